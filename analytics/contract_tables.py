"""Load a drop folder's CSV/Parquet files as typed contract tables on a DuckDB connection.

The real path is ``ringscope ingest`` into a store, whose ``relational()``
connection presents the same tables.  This loader serves training, the
detection benchmark, tests and quick experiments, so every F1 they quote
must come from the tables production sees: cells go through the contract's
own rules and casts from ingest (``ingest.validate_sql``: datetimes with an
offset converted to China Standard Time, ``true``/``false`` booleans in any
case, ID numbers upper-cased), and a row ingest would reject (a bad cell, a
broken cross-column rule) is left out.  What it skips is the rest of
ingest: header mapping, encodings other than UTF-8, rejects files, the
catalogue and its history.  A missing file gives an empty table, so
detectors can always run.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from ringscope.ingest.contract import TABLES, TableSpec
from ringscope.ingest.validate_sql import DUCKDB_TYPES, as_text, column_problem_sql, q, row_problems_sql, typed_sql


def sql_type(kind: str) -> str:
    """DuckDB type of a contract logical column type (the store's, ``ingest.validate_sql``)."""
    return DUCKDB_TYPES.get(kind, "VARCHAR")


def _raw_view(con: duckdb.DuckDBPyConnection, name: str, drop: Path) -> set[str]:
    """``_raw_<name>``: the table's file as text columns; returns the columns present (none: no file)."""
    csv_path, pq_path = drop / f"{name}.csv", drop / f"{name}.parquet"
    if pq_path.exists():
        source = f"read_parquet('{pq_path.as_posix()}')"
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        cols = ", ".join(f"{as_text(q(c), t)} AS {q(c)}" for c, t, *_ in described)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _raw_{name} AS SELECT {cols} FROM {source}")
    elif csv_path.exists():
        con.execute(f"CREATE OR REPLACE TEMP VIEW _raw_{name} AS SELECT * FROM "
                    f"read_csv('{csv_path.as_posix()}', all_varchar=true, header=true)")
    else:
        return set()
    return {r[0] for r in con.execute(f"DESCRIBE _raw_{name}").fetchall()}


def _load_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, present: set[str]) -> None:
    """Typed ``spec.name`` from ``_raw_<name>``: rows passing ingest's cell rules, cast as ingest casts."""
    name = spec.name
    cols = [f"{typed_sql(c)} AS {q(c.name)}" if c.name in present else f"CAST(NULL AS {sql_type(c.kind)}) AS {q(c.name)}"
            for c in spec.columns]
    extras = sorted(present - set(spec.column_names))
    extra = "CAST(NULL AS VARCHAR)" if not extras else (
        "to_json(struct_pack(" + ", ".join(f'{q(e)} := {q(e)}' for e in extras) + "))::VARCHAR")
    cols.append(f"{extra} AS _extra")
    if not present:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {', '.join(cols)} WHERE false")
        return
    passing = " AND ".join(f"({column_problem_sql(c)}) IS NULL" for c in spec.columns if c.name in present) or "true"
    # the cell rules first, materialised, so that no cast ever sees a value its rule refused
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ok_{name} AS SELECT * FROM _raw_{name} WHERE {passing}")
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {', '.join(cols)} FROM _ok_{name}")
    con.execute(f"DROP TABLE _ok_{name}")
    for column, rule in row_problems_sql(spec):
        if column in present:
            con.execute(f"DELETE FROM {name} WHERE ({rule}) IS NOT NULL")


def load_drop(con: duckdb.DuckDBPyConnection, drop_dir: Path | str) -> None:
    """Create the contract tables on ``con`` from the files in ``drop_dir``."""
    drop = Path(drop_dir)
    for name, spec in TABLES.items():
        _load_table(con, spec, _raw_view(con, name, drop))


def connect_drop(drop_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """An in-memory connection holding one drop's contract tables."""
    con = duckdb.connect()
    load_drop(con, drop_dir)
    return con
