"""Validate staged tables set-wise and sort rows into good and rejected.

Runs on the store's own DuckDB connection, inside the ingest transaction,
so foreign keys and fact conflicts are checked against what earlier drops
stored as well as against this drop.  For each table, in contract load
order, it leaves a typed temp table ``ok_<table>`` of rows ready to merge
and appends reasons to ``_rejects``; a rejected parent rejects its children
(a dispensing line of a rejected settlement has nowhere to go).
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ringscope.ingest.stage import StagedTable
from ringscope.ingest.validate_sql import column_problem_sql, duckdb_type, q, row_problems_sql, typed_sql

REJECTS_DDL = (
    "CREATE OR REPLACE TEMP TABLE _rejects (table_name VARCHAR, file VARCHAR, line BIGINT, "
    "column_name VARCHAR, value VARCHAR, reason VARCHAR)"
)


@dataclass
class TableOutcome:
    table: str
    file: str
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0


def _reject(con: duckdb.DuckDBPyConnection, staged: StagedTable, select_sql: str, params: list | None = None) -> None:
    """Append rejects; ``select_sql`` yields (line, column_name, value, reason)."""
    con.execute(
        f"INSERT INTO _rejects SELECT ?, ?, r.* FROM ({select_sql}) r",
        [staged.spec.name, staged.file, *(params or [])],
    )


def _drop_rejected(con: duckdb.DuckDBPyConnection, table: str, staged: StagedTable) -> None:
    """Remove newly rejected lines from the typed table (skipped when nothing new was rejected)."""
    count = _reject_count(con, staged.spec.name)
    if count == staged.rejects_applied:
        return
    staged.rejects_applied = count
    con.execute(
        f"DELETE FROM {q(table)} WHERE _line IN (SELECT line FROM _rejects WHERE table_name = ?)",
        [staged.spec.name],
    )


def validate_table(
    con: duckdb.DuckDBPyConnection, staged: StagedTable, stored_tables: set[str], in_drop: set[str]
) -> TableOutcome:
    """Leave ``ok_<table>`` (typed, deduplicated, new or changed rows) and record rejects."""
    spec = staged.spec
    stg, ok = q(staged.stage_table), q(f"ok_{spec.name}")
    out = TableOutcome(spec.name, staged.file, read=staged.rows + len(staged.malformed))

    for line, column, reason in staged.malformed:
        con.execute("INSERT INTO _rejects VALUES (?, ?, ?, ?, NULL, ?)", [spec.name, staged.file, line, column, reason])

    # 1. cell rules, in one scan
    checks = [
        f"{{'col': '{c.name}', 'val': {q(c.name)}, 'why': {column_problem_sql(c)}}}"
        for c in spec.columns
        if c.name in staged.columns
    ]
    any_problem = " OR ".join(
        f"({column_problem_sql(c)}) IS NOT NULL" for c in spec.columns if c.name in staged.columns
    ) or "false"
    _reject(
        con, staged,
        f"SELECT _line, u.col, u.val, u.why FROM (SELECT _line, unnest([{', '.join(checks)}]) AS u "
        f"FROM (SELECT * FROM {stg} WHERE {any_problem})) WHERE u.why IS NOT NULL",
    )

    # 2. typed copy of rows whose cells passed
    typed_cols = ", ".join(
        f"{typed_sql(c)} AS {q(c.name)}" if c.name in staged.columns else f"CAST(NULL AS {duckdb_type(c)}) AS {q(c.name)}"
        for c in spec.columns
    )
    if _reject_count(con, spec.name):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {ok} AS SELECT _line, {typed_cols}, _extra FROM {stg} s "
            "ANTI JOIN (SELECT line FROM _rejects WHERE table_name = ?) r ON s._line = r.line",
            [spec.name],
        )
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ok} AS SELECT _line, {typed_cols}, _extra FROM {stg}")

    # 3. cross-column rules
    for column, rule in row_problems_sql(spec):
        if column in staged.columns:
            _reject(con, staged, f"SELECT _line, '{column}', CAST({q(column)} AS VARCHAR), ({rule}) FROM {ok} "
                                 f"WHERE ({rule}) IS NOT NULL")
    _drop_rejected(con, f"ok_{spec.name}", staged)

    # 4. a key twice in one file: identical rows are harmless, different ones are conflicts
    key = ", ".join(q(k) for k in spec.key)
    present = [q(c) for c in spec.column_names if c in staged.columns]
    content = ", ".join(present)
    # Cheap screen: distinct key hashes; a collision only sends us down the exact path.
    total, distinct = con.execute(f"SELECT count(*), count(DISTINCT hash({key})) FROM {ok}").fetchall()[0]
    if total != distinct:
        _dedupe_in_file(con, staged, out, key, content)

    # 5. foreign keys: this drop's good rows or what earlier drops stored
    _reject_orphans(con, staged, stored_tables, in_drop)
    _drop_rejected(con, f"ok_{spec.name}", staged)
    return _compare_with_stored(con, staged, out, stored_tables, present)


def _reject_orphans(con: duckdb.DuckDBPyConnection, staged: StagedTable, stored_tables: set[str],
                    in_drop: set[str]) -> None:
    """Reject rows whose foreign key is neither among this drop's good rows nor stored by an earlier drop."""
    spec = staged.spec
    ok = q(f"ok_{spec.name}")
    for fk in spec.foreign_keys:
        if fk.column not in staged.columns:
            continue
        if fk.when_present and not _referenced_table_present(con, fk.table, stored_tables, in_drop):
            continue
        sources = []
        if fk.table in in_drop:
            sources.append(f"SELECT {q(fk.target_column)} AS k FROM {q('ok_' + fk.table)}")
        if fk.table in stored_tables:
            sources.append(f"SELECT {q(fk.target_column)} AS k FROM main.{q(fk.table)}")
        exists = " UNION ALL ".join(sources) if sources else "SELECT NULL::VARCHAR AS k WHERE false"
        _reject(
            con, staged,
            f"SELECT o._line, '{fk.column}', o.{q(fk.column)}, "
            f"'{fk.column} ' || o.{q(fk.column)} || ' not found in {fk.table}' "
            f"FROM (SELECT _line, {q(fk.column)} FROM {ok} WHERE {q(fk.column)} IS NOT NULL) o "
            f"ANTI JOIN ({exists}) k ON o.{q(fk.column)} = k.k",
        )


def _referenced_table_present(con: duckdb.DuckDBPyConnection, table: str, stored_tables: set[str],
                              in_drop: set[str]) -> bool:
    """An optional reference table (contract 1.1 drg_groups) counts once a drop brought it."""
    if table in in_drop:
        return True
    return table in stored_tables and bool(
        con.execute(f"SELECT EXISTS (SELECT 1 FROM main.{q(table)})").fetchall()[0][0])


def _reject_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute("SELECT count(*) FROM _rejects WHERE table_name = ?", [table]).fetchall()[0][0]


def _dedupe_in_file(con, staged: StagedTable, out: TableOutcome, key: str, content: str) -> None:
    """A key twice in one file: identical rows are harmless, differing ones are conflicts."""
    spec, ok = staged.spec, q(f"ok_{staged.spec.name}")
    _reject(
        con, staged,
        f"SELECT _line, '{spec.key[-1]}', CAST({q(spec.key[-1])} AS VARCHAR), "
        f"'key appears again in this file with different content (first at line ' || first_line || ')' "
        f"FROM (SELECT _line, {key}, min(_line) OVER w AS first_line, "
        f"({content}) IS DISTINCT FROM first_value(({content})) OVER w AS differs FROM {ok} "
        f"WINDOW w AS (PARTITION BY {key} ORDER BY _line)) WHERE differs",
    )
    _drop_rejected(con, f"ok_{spec.name}", staged)
    before = con.execute(f"SELECT count(*) FROM {ok}").fetchone()[0]
    con.execute(f"DELETE FROM {ok} WHERE _line NOT IN (SELECT min(_line) FROM {ok} GROUP BY {key})")
    out.duplicates += before - con.execute(f"SELECT count(*) FROM {ok}").fetchone()[0]


def _compare_with_stored(con, staged: StagedTable, out: TableOutcome, stored_tables: set[str], present: list[str]) -> TableOutcome:
    """Facts never change (same key, other content = conflict); reference rows update."""
    spec, ok = staged.spec, q(f"ok_{staged.spec.name}")
    if spec.name in stored_tables and con.execute(f"SELECT count(*) FROM main.{q(spec.name)}").fetchone()[0]:
        join = " AND ".join(f"s.{q(k)} = o.{q(k)}" for k in spec.key)
        # A blank cell says nothing (empty = missing), so it never differs from the stored value.
        same = " AND ".join(f"(o.{c} IS NULL OR s.{c} IS NOT DISTINCT FROM o.{c})" for c in present)
        if spec.fact:
            _reject(
                con, staged,
                f"SELECT o._line, '{spec.key[-1]}', CAST(o.{q(spec.key[-1])} AS VARCHAR), "
                f"'conflicts with a stored row of the same key (facts are immutable)' "
                f"FROM {ok} o JOIN main.{q(spec.name)} s ON {join} WHERE NOT ({same})",
            )
            _drop_rejected(con, f"ok_{spec.name}", staged)
        n_before = con.execute(f"SELECT count(*) FROM {ok}").fetchone()[0]
        con.execute(
            f"DELETE FROM {ok} o WHERE EXISTS (SELECT 1 FROM main.{q(spec.name)} s WHERE {join} AND {same})"
        )
        unchanged = n_before - con.execute(f"SELECT count(*) FROM {ok}").fetchone()[0]
        if spec.fact:
            out.duplicates += unchanged
        else:
            out.unchanged = unchanged
            out.updated = con.execute(
                f"SELECT count(*) FROM {ok} o WHERE EXISTS (SELECT 1 FROM main.{q(spec.name)} s WHERE {join})"
            ).fetchone()[0]
    total_ok = con.execute(f"SELECT count(*) FROM {ok}").fetchone()[0]
    out.new = total_ok - out.updated
    out.rejected = con.execute(
        "SELECT count(DISTINCT line) FROM _rejects WHERE table_name = ?", [spec.name]
    ).fetchone()[0]
    return out
