"""Load a drop folder's CSV/Parquet files as typed contract tables on a DuckDB connection.

The real path is ``ringscope ingest`` into a store, whose ``relational()``
connection presents the same tables.  This loader exists for tests, the
benchmark and quick experiments: it reads a drop as-is (no validation, no
rejects), casts each column to the type the store uses (contract, section 1;
dates DATE, ``settled_at`` TIMESTAMP, money DECIMAL(14,2), quantities DOUBLE,
``line_no`` BIGINT, ``controlled`` BOOLEAN, the rest VARCHAR) and creates an
empty table for every missing file, so detectors can always run.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from ringscope.ingest.contract import BOOL, DATE, DATETIME, INT, MONEY, NUMBER, TABLES

_SQL_TYPE = {
    DATE: "DATE", DATETIME: "TIMESTAMP", MONEY: "DECIMAL(14,2)", NUMBER: "DOUBLE",
    INT: "BIGINT", BOOL: "BOOLEAN",
}


def sql_type(kind: str) -> str:
    """DuckDB type of a contract logical column type."""
    return _SQL_TYPE.get(kind, "VARCHAR")


def _cast(column: str, kind: str) -> str:
    target = sql_type(kind)
    quoted = f'"{column}"'
    if target == "VARCHAR":
        return f"NULLIF({quoted}, '')"
    if target == "BOOLEAN":
        return f"CASE lower(NULLIF({quoted}, '')) WHEN 'true' THEN true WHEN '1' THEN true ELSE false END"
    return f"TRY_CAST(NULLIF({quoted}, '') AS {target})"


def load_drop(con: duckdb.DuckDBPyConnection, drop_dir: Path | str) -> None:
    """Create the contract tables on ``con`` from the files in ``drop_dir``."""
    drop = Path(drop_dir)
    for name, spec in TABLES.items():
        csv_path, pq_path = drop / f"{name}.csv", drop / f"{name}.parquet"
        if pq_path.exists():
            source = f"(SELECT * FROM read_parquet('{pq_path.as_posix()}'))"
            con.execute(f"CREATE OR REPLACE TEMP VIEW _raw_{name} AS SELECT * FROM {source}")
            present = {r[0] for r in con.execute(f"DESCRIBE _raw_{name}").fetchall()}
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _raw_{name} AS SELECT "
                + ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in present)
                + f" FROM {source}"
            )
        elif csv_path.exists():
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _raw_{name} AS SELECT * FROM "
                f"read_csv('{csv_path.as_posix()}', all_varchar=true, header=true)"
            )
            present = {r[0] for r in con.execute(f"DESCRIBE _raw_{name}").fetchall()}
        else:
            present = set()
        cols = []
        for col in spec.columns:
            if col.name in present:
                cols.append(f"{_cast(col.name, col.kind)} AS {col.name}")
            else:
                cols.append(f"CAST(NULL AS {sql_type(col.kind)}) AS {col.name}")
        extras = sorted(present - set(spec.column_names))
        extra = "CAST(NULL AS VARCHAR)" if not extras else (
            "to_json(struct_pack(" + ", ".join(f'"{e}" := "{e}"' for e in extras) + "))::VARCHAR"
        )
        cols.append(f"{extra} AS _extra")
        if present:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {', '.join(cols)} FROM _raw_{name}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {', '.join(cols)} WHERE false")


def connect_drop(drop_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """An in-memory connection holding one drop's contract tables."""
    con = duckdb.connect()
    load_drop(con, drop_dir)
    return con
