"""First load of a large catalogue with ``neo4j-admin database import`` (offline, empty database)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
from neo4j import Driver

from ringscope.graph.model import LABELS, NODE_SQL, REL_TYPES
from ringscope.graph.neo4j.loader import (
    _node_select,
)
from ringscope.graph.neo4j.schema import ensure_schema
from ringscope.graph.neo4j.statements import (
    _MARK_DROPS,
    _label,
    _rel_type,
)

# --------------------------------------------------------------- bulk import

_IMPORT_TYPES = {"DATE": "date", "DOUBLE": "double", "BIGINT": "long", "INTEGER": "int", "BOOLEAN": "boolean"}


@dataclass
class BulkImportReport:
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    export_seconds: float = 0.0
    import_seconds: float = 0.0
    files: list[str] = field(default_factory=list)


def _import_header_select(cur: duckdb.DuckDBPyConnection, label: str) -> str:
    """NODE_SQL as the import tool's CSV: ``id:ID(Label)`` and typed columns."""
    inner = _node_select(cur, label).rsplit(" ORDER BY ", 1)[0]
    cols = []
    for name, dtype, *_ in cur.execute(f"DESCRIBE {inner}").fetchall():
        dtype = str(dtype).upper()
        if name == "id":
            cols.append(f'"id" AS "id:ID({_label(label)})"')
        elif dtype.startswith("TIMESTAMP"):
            cols.append(f"strftime(\"{name}\", '%Y-%m-%dT%H:%M:%S') AS \"{name}:localdatetime\"")
        elif dtype in _IMPORT_TYPES:
            cols.append(f'"{name}" AS "{name}:{_IMPORT_TYPES[dtype]}"')
        else:
            cols.append(f'"{name}"')
    return f"SELECT {', '.join(cols)} FROM ({inner}) q"


def bulk_import(
    con: duckdb.DuckDBPyConnection, home, work_dir, *, database: str = "neo4j", threads: int | None = None
) -> BulkImportReport:
    """First load of an empty database with ``neo4j-admin database import full``.

    Offline: the local server in ``home`` must be stopped; the database is
    overwritten.  Exports every label and relationship type of the model to
    CSV from the catalogue, runs the import tool from the same jars, and
    leaves constraints and drop bookkeeping to :func:`finish_bulk_import`
    once the server is started again.
    """
    from pathlib import Path

    from ringscope.graph.neo4j import server as neo4j_server

    home, work_dir = Path(home), Path(work_dir)
    if neo4j_server.status(home).process_alive:
        raise RuntimeError(f"stop the server in {home} first: the bulk import works on a stopped database")
    work_dir.mkdir(parents=True, exist_ok=True)
    report = BulkImportReport()
    t0 = time.monotonic()
    # The database name goes first: --nodes takes several files and would swallow it.
    args = ["database", "import", "full", database, "--overwrite-destination=true", "--ignore-empty-strings=true",
            "--skip-duplicate-nodes=false", "--skip-bad-relationships=false", "--bad-tolerance=0",
            "--multiline-fields=true",  # names and addresses may hold line breaks (quoted by COPY)
            f"--report-file={work_dir / 'import.report'}"]
    if threads:
        args.append(f"--threads={threads}")
    cur = con.cursor()
    cur.execute("SET enable_progress_bar = false")
    for label in LABELS:
        path = work_dir / f"nodes_{label}.csv"
        sql = _import_header_select(cur, label)
        cur.execute(f"COPY ({sql}) TO '{path}' (HEADER, DELIMITER ',', QUOTE '\"', ESCAPE '\"')")
        report.nodes[label] = cur.execute(f"SELECT count(*) FROM ({NODE_SQL[label]})").fetchall()[0][0]
        args.append(f"--nodes={label}={path}")
    for rel in REL_TYPES:
        sql = f"SELECT * FROM ({rel.sql}) q(src_label, src_id, dst_label, dst_id)"
        report.relationships[rel.type] = 0
        for src_label, dst_label in cur.execute(f"SELECT DISTINCT src_label, dst_label FROM ({sql}) ORDER BY ALL").fetchall():
            path = work_dir / f"rels_{rel.type}_{_label(src_label)}_{_label(dst_label)}.csv"
            cur.execute(
                f'COPY (SELECT src_id AS ":START_ID({src_label})", dst_id AS ":END_ID({dst_label})" FROM ({sql}) '
                f"WHERE src_label = '{src_label}' AND dst_label = '{dst_label}') TO '{path}' (HEADER, DELIMITER ',')"
            )
            report.relationships[rel.type] += cur.execute(
                f"SELECT count(*) FROM ({sql}) WHERE src_label = '{src_label}' AND dst_label = '{dst_label}'"
            ).fetchall()[0][0]
            args.append(f"--relationships={_rel_type(rel.type)}={path}")
    cur.close()
    report.files = [a.split("=", 2)[-1] for a in args if a.startswith(("--nodes=", "--relationships="))]
    report.export_seconds = time.monotonic() - t0
    t1 = time.monotonic()
    neo4j_server.admin(home, args)
    report.import_seconds = time.monotonic() - t1
    return report


def finish_bulk_import(con: duckdb.DuckDBPyConnection, driver: Driver, database: str = "neo4j") -> None:
    """After a bulk import and a server start: constraints and indexes, and
    every catalogue drop marked projected (so the next ingest is a delta)."""
    ensure_schema(driver, database)
    drops = [r[0] for r in con.execute(
        "SELECT drop_id FROM ingest_drops WHERE status = 'loaded' ORDER BY drop_id"
    ).fetchall()]
    driver.execute_query(_MARK_DROPS, drops=drops, load_id="bulk-import", database_=database)
