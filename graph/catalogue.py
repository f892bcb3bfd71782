"""The workspace catalogue: contract tables and ingest history in DuckDB.

Both stores keep their validated data here (the Neo4j store projects it
into the graph afterwards), so validation, foreign keys and fact conflicts
are judged the same way whichever store is selected.

A drop is merged in one DuckDB transaction: either every good row of every
file lands, or (on a file that cannot be used at all) nothing does.
"""
from __future__ import annotations

import errno
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from ringscope.graph.config import StoreConfig
from ringscope.graph.store import StoreError, StoreUnavailable
from ringscope.graph.workspace_files import catalogue_files, open_workspace, remove_scratch
from ringscope.ingest.contract import LOAD_ORDER, TABLES
from ringscope.ingest.errors import IngestError
from ringscope.ingest.mapping import HeaderMapping
from ringscope.ingest.stage import locate_files, skipped_files, stage_file
from ringscope.ingest.validate import REJECTS_DDL, TableOutcome, validate_table
from ringscope.ingest.validate_sql import duckdb_type, q

SCHEMA_VERSION = 1
Progress = Callable[[str, float], None]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the contract tables and history tables if missing (idempotent)."""
    for spec in TABLES.values():
        cols = ", ".join(f"{q(c.name)} {duckdb_type(c)}" for c in spec.columns)
        # Reference tables need their key for upserts; facts are append-only and
        # their keys are checked by validation, so they skip the index cost.
        key = "" if spec.fact else ", PRIMARY KEY (" + ", ".join(q(k) for k in spec.key) + ")"
        con.execute(f"CREATE TABLE IF NOT EXISTS {q(spec.name)} ({cols}, _extra VARCHAR, _drop_id VARCHAR{key})")
        for c in spec.columns:  # a store made under an older contract gains its new optional columns (1.1)
            con.execute(f"ALTER TABLE {q(spec.name)} ADD COLUMN IF NOT EXISTS {q(c.name)} {duckdb_type(c)}")
    con.execute(
        "CREATE TABLE IF NOT EXISTS ingest_drops (drop_id VARCHAR PRIMARY KEY, source VARCHAR, fingerprint VARCHAR, "
        "started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, status VARCHAR, message VARCHAR, rejects_file VARCHAR)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS ingest_tables (drop_id VARCHAR, table_name VARCHAR, file VARCHAR, "
        "encoding VARCHAR, read BIGINT, new BIGINT, updated BIGINT, unchanged BIGINT, duplicates BIGINT, "
        "rejected BIGINT)"
    )
    con.execute("CREATE TABLE IF NOT EXISTS catalogue_meta (name VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(
        "INSERT INTO catalogue_meta VALUES ('schema_version', ?) ON CONFLICT (name) DO NOTHING",
        [str(SCHEMA_VERSION)],
    )


@dataclass
class DropReport:
    drop_id: str
    source: str
    fingerprint: str
    tables: list[TableOutcome] = field(default_factory=list)
    rejects_file: str | None = None
    warnings: list[str] = field(default_factory=list)  # files in the drop folder that were not loaded

    @property
    def loaded(self) -> int:
        return sum(t.new + t.updated for t in self.tables)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    def to_dict(self) -> dict:
        return {**asdict(self), "loaded": self.loaded, "rejected": self.rejected}


def open_catalogue(config: StoreConfig, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The workspace catalogue file, private and with its schema; both stores open it here.

    Read-only needs an existing catalogue (an explorer must not create an empty one).
    """
    path = config.catalogue_path
    if read_only and not path.exists():
        raise StoreUnavailable(f"no workspace data at {path}: run `ringscope ingest DROP_DIR` first")
    open_workspace(path.parent, config.file_mode, config.dir_mode, catalogue_files(path))
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreUnavailable(f"cannot open {path}: {str(exc).splitlines()[0]}") from None
    if not read_only:
        ensure_schema(con)
    return con


def ingest_into_catalogue(con: duckdb.DuckDBPyConnection, config: StoreConfig, drop_dir: Path,
                          mapping: HeaderMapping, progress: Progress | None = None) -> DropReport:
    """Validate and merge one drop; a refused drop is recorded in the history, then re-raised."""
    try:
        return ingest_drop(con, drop_dir, mapping, config.rejects_dir, config.scratch_dir, progress)
    except IngestError as exc:
        record_failed_drop(con, drop_dir, exc)
        raise


def fingerprint_drop(files: dict[str, Path]) -> str:
    """SHA-256 over the drop's table files, so a drop can be named in provenance."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        with open(files[name], "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def _merge(con: duckdb.DuckDBPyConnection, table: str, present: tuple[str, ...], drop_id: str) -> None:
    spec = TABLES[table]
    ok = q(f"ok_{table}")
    cols = [c for c in spec.column_names]
    insert_cols = ", ".join(q(c) for c in cols)
    if spec.fact:
        con.execute(
            f"INSERT INTO {q(table)} ({insert_cols}, _extra, _drop_id) SELECT {insert_cols}, _extra, ? FROM {ok}",
            [drop_id],
        )
        return
    updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in cols if c not in spec.key)
    updates = (updates + ", " if updates else "") + "_extra = excluded._extra, _drop_id = excluded._drop_id"
    key = ", ".join(q(k) for k in spec.key)
    # The contract: an empty cell is a missing value.  Columns absent from this
    # file, and blank cells of columns it has, keep their stored values; a drop
    # cannot erase a stored value (docs/ingest.md, "Empty cells").
    select_cols = ", ".join(
        q(c) if c in spec.key else f"coalesce(o.{q(c)}, s.{q(c)})" if c in present else f"s.{q(c)}"
        for c in cols
    )
    con.execute(
        f"INSERT INTO {q(table)} ({insert_cols}, _extra, _drop_id) "
        f"SELECT {select_cols}, coalesce(o._extra, s._extra), ? FROM {ok} o LEFT JOIN {q(table)} s USING ({key}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
        [drop_id],
    )


def ingest_drop(
    con: duckdb.DuckDBPyConnection,
    drop_dir: Path,
    mapping: HeaderMapping,
    rejects_dir: Path,
    scratch_dir: Path,
    progress: Progress | None = None,
) -> DropReport:
    """Validate and merge one drop atomically; return what happened per table."""
    step = progress or (lambda _label, _frac: None)
    ensure_schema(con)
    files = locate_files(drop_dir, mapping)
    step("fingerprint", 0.02)
    fp = fingerprint_drop(files)
    started = datetime.now(timezone.utc)
    drop_id = f"D{started:%Y%m%d%H%M%S%f}-{fp[:8]}"
    report = DropReport(drop_id, str(drop_dir.resolve()), fp, warnings=skipped_files(drop_dir, files))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(REJECTS_DDL)
        _stage_validate_merge(con, files, mapping, scratch_dir, report, step)
        report.rejects_file = _write_rejects(con, rejects_dir, drop_id)
        con.execute(
            "INSERT INTO ingest_drops VALUES (?, ?, ?, ?, now(), 'loaded', ?, ?)",
            [drop_id, report.source, fp, started, json.dumps({"loaded": report.loaded, "rejected": report.rejected, "warnings": report.warnings},
                                    ensure_ascii=False),
             report.rejects_file],
        )
        con.execute("COMMIT")
    except BaseException as exc:
        _rollback(con)
        failure = storage_failure(exc, rejects_dir.parent)
        if failure is not None:
            raise failure from None
        raise
    finally:
        remove_scratch(scratch_dir)
        for table in TABLES:
            con.execute(f"DROP TABLE IF EXISTS {q('stg_' + table)}")
            con.execute(f"DROP TABLE IF EXISTS {q('ok_' + table)}")
    step("done", 1.0)
    return report


def _stage_validate_merge(con: duckdb.DuckDBPyConnection, files: dict[str, Path], mapping: HeaderMapping,
                          scratch_dir: Path, report: DropReport, step: Progress) -> None:
    """Every file staged first, then validated in load order (foreign keys see earlier tables), then merged."""
    stored = set(TABLES)
    in_drop: set[str] = set()
    staged_all = []
    order = [t for t in LOAD_ORDER if t in files]
    for i, table in enumerate(order):
        step(f"read {files[table].name}", 0.05 + 0.45 * i / len(order))
        staged_all.append(stage_file(con, TABLES[table], files[table], mapping, scratch_dir))
    for i, staged in enumerate(staged_all):
        step(f"validate {staged.file}", 0.5 + 0.3 * i / len(order))
        outcome = validate_table(con, staged, stored, in_drop)
        in_drop.add(staged.spec.name)
        report.tables.append(outcome)
        con.execute(
            "INSERT INTO ingest_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [report.drop_id, outcome.table, outcome.file, staged.encoding, outcome.read, outcome.new,
             outcome.updated, outcome.unchanged, outcome.duplicates, outcome.rejected],
        )
    for i, staged in enumerate(staged_all):
        step(f"store {staged.spec.name}", 0.8 + 0.18 * i / len(order))
        _merge(con, staged.spec.name, staged.columns, report.drop_id)


def _write_rejects(con: duckdb.DuckDBPyConnection, rejects_dir: Path, drop_id: str) -> str | None:
    """The drop's rejects as CSV (file, line, column, value, reason, table), or None when there are none."""
    if not con.execute("SELECT count(*) FROM _rejects").fetchall()[0][0]:
        return None
    rejects_dir.mkdir(parents=True, exist_ok=True)
    path = rejects_dir / f"{drop_id}-rejects.csv"
    con.execute(
        "COPY (SELECT file, line, column_name AS column, value, reason, table_name AS table "
        f"FROM _rejects ORDER BY table_name, line, column_name) TO '{_path_literal(path)}' (HEADER, DELIMITER ',')"
    )
    return str(path)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the drop.  DuckDB has already ended a transaction whose COMMIT failed
    (e.g. the disk filled while writing the WAL); its "no transaction is active"
    must not hide the real reason."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


_NO_SPACE = "No space left on device"


def storage_failure(exc: BaseException, workspace: Path) -> StoreError | None:
    """A one-line StoreError for a workspace that cannot be written (disk full, quota, I/O), else None."""
    text = str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
        reason = exc.strerror or text
    elif isinstance(exc, (duckdb.IOException, duckdb.TransactionException)) and (
        _NO_SPACE in text or "Could not write" in text or isinstance(exc, duckdb.IOException)
    ):
        reason = _NO_SPACE if _NO_SPACE in text else text.splitlines()[0]
    else:
        return None
    return StoreError(
        f"cannot write to the workspace {workspace}: {reason}; nothing of the drop was stored: "
        "free space and run the ingest again"
    )


def record_failed_drop(con: duckdb.DuckDBPyConnection, drop_dir: Path, error: IngestError) -> None:
    """Keep a line of history for a refused drop (its data was not stored)."""
    ensure_schema(con)
    now = datetime.now(timezone.utc)
    con.execute(
        "INSERT INTO ingest_drops VALUES (?, ?, NULL, ?, ?, 'refused', ?, NULL)",
        [f"D{now:%Y%m%d%H%M%S%f}-refused", str(drop_dir), now, now, str(error)],
    )


def _path_literal(path: Path) -> str:
    """COPY takes no parameter for its target; the path is ours (workspace + drop id)."""
    return str(path).replace("'", "''")
