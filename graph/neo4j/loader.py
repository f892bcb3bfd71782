"""Project the validated catalogue (workspace DuckDB) into Neo4j.

The catalogue is the truth: ingest validates and merges a drop there exactly
as for the embedded store, then :func:`project_catalogue` writes the part of
the catalogue Neo4j has not seen yet (the drops without a
``_RingScopeDrop`` node) into the graph.  What to write comes from
``graph.model`` (one SQL query per label and per relationship type), so both
backends hold the same graph by construction.

How it is fast (benchmarks/README.md, "Neo4j ingest", has the measurements):

* nodes first, then relationships, each by batched parameterised
  ``UNWIND $rows``; on a first load into an empty graph nodes are
  ``CREATE``\\ d and return their internal ids, and relationships are
  ``CREATE``\\ d between ends read by internal id (no index seek, ordered
  for warm pages); on later drops both are ``MERGE``\\ d, ends found through
  the ``id`` uniqueness constraints (an index, never a scan);
* rows stream from DuckDB as Arrow record batches in a stable order;
* two batches of one step in flight at a time (``WORKERS``), in separate
  sessions, so that DuckDB and the driver prepare a batch while Neo4j commits
  another; the ledger makes out-of-order commits resumable too.

How it is exact when interrupted (process or server killed): every batch is
committed together with a ledger node ``_RingScopeBatch {key}`` in the same
transaction, and the batch order is deterministic, so a rerun skips exactly
the committed batches and redoes the rest.  Drops are marked projected only
when everything is written.  A rerun after completion finds no pending drop
and writes nothing (idempotent); an interrupted load followed by a new drop
switches to ``MERGE`` for everything.

Every Cypher statement is built from the code's whitelist of labels and
relationship types (``graph.model``), with all values passed as parameters.
"""
from __future__ import annotations

import hashlib
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Iterator

import duckdb
from neo4j import Driver, ManagedTransaction

from ringscope.graph.model import LABELS, NODE_SQL, REL_TYPES
from ringscope.graph.neo4j.schema import ensure_schema
from ringscope.graph.neo4j.statements import (
    _LEDGER_CLEAR,
    _LEDGER_FOREIGN,
    _LEDGER_KEYS,
    _LEDGER_WRITE,
    _MARK_DROPS,
    _MODEL_REL_COUNT,
    _ORPHANS,
    _PROJECTED_DROPS,
    _RELABEL_TO_INSTITUTION,
    _RELABEL_TO_PHARMACY,
    _SINGLE_VALUED,
    NODE_BATCH,
    REL_BATCH,
    WORKERS,
    Progress,
    nid_lookup_statement,
    node_statement,
    rel_steps,
    stale_statement,
)
from ringscope.ingest.contract import TABLES

# --------------------------------------------------------------- report


@dataclass
class ProjectionReport:
    load_id: str = ""
    drops: list[str] = field(default_factory=list)
    mode: str = "none"  # none | create | merge
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    batches_written: int = 0
    batches_skipped: int = 0
    batch_timings: list[tuple[str, int, float]] = field(default_factory=list, repr=False)
    node_seconds: float = 0.0
    rel_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def node_rows(self) -> int:
        return sum(self.nodes.values())

    @property
    def rel_rows(self) -> int:
        return sum(self.relationships.values())


# --------------------------------------------------------------- catalogue side


class _Scope:
    """The catalogue seen through views limited to the pending drops.

    Each cursor gets temporary views named like the contract tables (they
    shadow the catalogue's tables on that cursor only, and vanish with it;
    temporary objects work on a read-only catalogue too).  Scope ``nodes``
    limits every table to the pending drops; scope ``rels`` does the same
    except for ``facilities``, kept whole, because a new settlement at an old
    facility still needs the facility's kind.  ``graph.model``'s SQL then
    runs unchanged.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, pending: list[str], full: bool):
        self.con = con
        self.pending = pending
        self.full = full
        self.catalog = con.execute("SELECT current_database()").fetchall()[0][0]

    def cursor(self, schema: str) -> duckdb.DuckDBPyConnection:
        cur = self.con.cursor()
        cur.execute("SET enable_progress_bar = false")
        cur.execute("CREATE TEMP TABLE rs_pending (drop_id VARCHAR)")
        if self.pending:
            cur.executemany("INSERT INTO rs_pending VALUES (?)", [[d] for d in self.pending])
        for table in TABLES:
            source = f'"{self.catalog}".main."{table}"'
            limited = not self.full and not (schema == "rels" and table == "facilities")
            where = " WHERE _drop_id IN (SELECT drop_id FROM rs_pending)" if limited else ""
            cur.execute(f'CREATE TEMP VIEW "{table}" AS SELECT * FROM {source}{where}')
        return cur


def _node_select(cur: duckdb.DuckDBPyConnection, label: str) -> str:
    """NODE_SQL without the caption column, money as DOUBLE (Neo4j has no
    decimal type), ordered by id so that batches are deterministic."""
    sql = NODE_SQL[label]
    described = cur.execute(f"DESCRIBE SELECT * FROM ({sql}) q").fetchall()
    decimals = [row[0] for row in described if str(row[1]).upper().startswith("DECIMAL")]
    replace = ""
    if decimals:
        replace = " REPLACE (" + ", ".join(f'CAST("{c}" AS DOUBLE) AS "{c}"' for c in decimals) + ")"
    return f"SELECT * EXCLUDE (caption){replace} FROM ({sql}) q ORDER BY id"


def _batches(cur: duckdb.DuckDBPyConnection, sql: str, size: int, as_pairs: bool) -> Iterator[list]:
    reader = cur.sql(sql).to_arrow_reader(size)  # streams Arrow record batches
    buffer: list = []
    for batch in reader:
        if as_pairs:
            rows = [list(p) for p in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist())]
        else:
            rows = batch.to_pylist()
        buffer.extend(rows)
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


# --------------------------------------------------------------- the load


def _write_batch(tx: ManagedTransaction, stmt: str, rows: list, key: str, load_id: str) -> list | None:
    record = tx.run(stmt, rows=rows).single()
    tx.run(_LEDGER_WRITE, key=key, load_id=load_id, n=len(rows)).consume()
    return record["nids"] if record is not None and "nids" in record.keys() else None


def _read_nids(tx: ManagedTransaction, stmt: str, rows: list) -> list:
    record = tx.run(stmt, rows=rows).single(strict=True)
    return record["nids"]


class _Writer:
    """Runs batches of one step, ``workers`` at a time, skipping the ledger's."""

    def __init__(self, driver: Driver, database: str, load_id: str, done: set[str], workers: int):
        self.driver = driver
        self.database = database
        self.load_id = load_id
        self.done = done
        self.workers = max(1, workers)
        self.pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        self.written = 0
        self.skipped = 0
        self.timings: list[tuple[str, int, float]] = []  # (step, rows, seconds) per written batch

    def _one(self, stmt: str, rows: list, key: str) -> list | None:
        t0 = time.monotonic()
        with self.driver.session(database=self.database) as session:
            result = session.execute_write(_write_batch, stmt, rows, key, self.load_id)
        self.timings.append((key.split("|")[1], len(rows), time.monotonic() - t0))
        return result

    def _lookup(self, stmt: str, rows: list) -> list:
        with self.driver.session(database=self.database) as session:
            return session.execute_read(_read_nids, stmt, rows)

    def run_step(self, step: str, stmt: str, batches: Iterator[list], lookup: str | None = None) -> tuple[int, list]:
        """Write every batch not in the ledger; returns (rows, [id, nid] pairs
        when the statement returns internal ids, ``lookup`` fetching those of
        skipped batches)."""
        total = 0
        nids: list = []
        in_flight: set[Future] = set()

        def collect(result: list | None) -> None:
            if result:
                nids.extend(result)

        for number, rows in enumerate(batches):
            total += len(rows)
            key = f"{self.load_id}|{step}|{number}"
            if key in self.done:
                self.skipped += 1
                if lookup is not None:
                    collect(self._lookup(lookup, rows))
                continue
            if self.pool is None:
                collect(self._one(stmt, rows, key))
            else:
                if len(in_flight) >= 2 * self.workers:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for f in finished:
                        collect(f.result())
                in_flight.add(self.pool.submit(self._one, stmt, rows, key))
            self.written += 1
        for f in in_flight:
            collect(f.result())
        return total, nids

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def pending_drops(con: duckdb.DuckDBPyConnection, driver: Driver, database: str = "neo4j") -> tuple[list[str], list[str]]:
    """(drops in the catalogue not yet in the graph, drops already in the graph)."""
    loaded = [r[0] for r in con.execute(
        "SELECT drop_id FROM ingest_drops WHERE status = 'loaded' ORDER BY drop_id"
    ).fetchall()]
    records, _, _ = driver.execute_query(_PROJECTED_DROPS, database_=database)
    projected = {r["drop_id"] for r in records}
    return [d for d in loaded if d not in projected], sorted(projected)


def project_catalogue(
    con: duckdb.DuckDBPyConnection,
    driver: Driver,
    *,
    database: str = "neo4j",
    node_batch: int = NODE_BATCH,
    rel_batch: int = REL_BATCH,
    workers: int = WORKERS,
    progress: Progress | None = None,
    mode: str | None = None,
) -> ProjectionReport:
    """Write the catalogue's pending drops into Neo4j (see module docstring).

    ``mode`` forces ``"merge"`` or ``"create"`` (tests and benchmarks); by
    default CREATE is used only when it cannot duplicate anything: no drop
    projected yet and no relationship or ledger from another load present.
    """
    t0 = time.monotonic()
    step_progress = progress or (lambda _label, _frac: None)
    ensure_schema(driver, database)
    pending, projected = pending_drops(con, driver, database)
    report = ProjectionReport()
    if not pending:
        report.seconds = time.monotonic() - t0
        return report
    load_id = hashlib.sha256("\n".join(pending).encode()).hexdigest()[:16]
    report.load_id, report.drops = load_id, pending
    records, _, _ = driver.execute_query(_LEDGER_KEYS, load_id=load_id, database_=database)
    done = {r["key"] for r in records}
    report.mode = mode = _load_mode(driver, database, load_id, projected, done, mode)

    scope = _Scope(con, pending, not projected)
    writer = _Writer(driver, database, load_id, done, workers)
    try:
        _write_graph(scope, writer, driver, database, mode, bool(projected), (node_batch, rel_batch),
                     step_progress, report)
    finally:
        writer.close()
    driver.execute_query(_MARK_DROPS, drops=pending, load_id=load_id, database_=database)
    driver.execute_query(_LEDGER_CLEAR, database_=database)
    report.batches_written, report.batches_skipped = writer.written, writer.skipped
    report.batch_timings = writer.timings
    report.seconds = time.monotonic() - t0
    step_progress("done", 1.0)
    return report


def _load_mode(driver: Driver, database: str, load_id: str, projected: list[str], done: set[str],
               mode: str | None) -> str:
    """CREATE only when it cannot duplicate anything (nothing projected, no other load's rows)."""
    if mode is None:
        foreign = driver.execute_query(_LEDGER_FOREIGN, load_id=load_id, database_=database).records[0]["n"]
        rels = driver.execute_query(_MODEL_REL_COUNT, database_=database).records[0]["n"]
        clean_start = not projected and foreign == 0 and (rels == 0 or bool(done))
        mode = "create" if clean_start else "merge"
    if mode not in ("create", "merge"):
        raise ValueError(f"mode must be create or merge, not {mode!r}")
    return mode


def _write_graph(scope: _Scope, writer: _Writer, driver: Driver, database: str, mode: str, projected: bool,
                 batches: tuple[int, int], step_progress: Progress, report: ProjectionReport) -> None:
    """Nodes label by label, then relationships type by type, each a resumable step of batches."""
    node_batch, rel_batch = batches
    by_nid = mode == "create"
    if mode == "merge" and projected:
        _relabel_facilities(scope, driver, database)
    n_steps = len(LABELS) + len(REL_TYPES)
    t_nodes = time.monotonic()
    with scope.cursor("nodes") as cur, scope.cursor("rels") as rel_cur:
        rel_cur.execute("CREATE TEMP TABLE rs_nid (label VARCHAR, id VARCHAR, nid BIGINT)")
        for i, label in enumerate(LABELS):
            step_progress(f"nodes {label}", i / n_steps)
            report.nodes[label], nids = writer.run_step(
                f"node:{label}", node_statement(label, mode),
                _batches(cur, _node_select(cur, label), node_batch, False),
                lookup=nid_lookup_statement(label) if by_nid else None,
            )
            if nids:
                _store_nids(rel_cur, label, nids)
        report.node_seconds = time.monotonic() - t_nodes
        t_rels = time.monotonic()
        if mode == "merge" and projected:
            _delete_stale(scope, driver, database)
        for j, rel in enumerate(REL_TYPES):
            step_progress(f"relationships {rel.type}", (len(LABELS) + j) / n_steps)
            report.relationships[rel.type] = 0
            for step, stmt, sql in rel_steps(rel_cur, rel, mode):
                n, _ = writer.run_step(step, stmt, _batches(rel_cur, sql, rel_batch, True))
                report.relationships[rel.type] += n
    if mode == "merge" and projected:
        for stmt in _ORPHANS.values():
            driver.execute_query(stmt, database_=database)
    report.rel_seconds = time.monotonic() - t_rels


def _store_nids(cur: duckdb.DuckDBPyConnection, label: str, pairs: list) -> None:
    import pyarrow as pa

    batch = pa.table({
        "label": pa.array([label] * len(pairs), pa.string()),
        "id": pa.array([p[0] for p in pairs], pa.string()),
        "nid": pa.array([p[1] for p in pairs], pa.int64()),
    })
    cur.register("rs_nid_batch", batch)
    cur.execute("INSERT INTO rs_nid SELECT * FROM rs_nid_batch")
    cur.unregister("rs_nid_batch")


def _relabel_facilities(scope: _Scope, driver: Driver, database: str) -> None:
    """A facility whose kind changed to or from pharmacy keeps its node and
    relationships and changes label."""
    with scope.cursor("nodes") as cur:
        to_pharmacy = [r[0] for r in cur.execute("SELECT facility_id FROM facilities WHERE kind = 'pharmacy'").fetchall()]
        to_institution = [r[0] for r in cur.execute("SELECT facility_id FROM facilities WHERE kind <> 'pharmacy'").fetchall()]
    if to_pharmacy:
        driver.execute_query(_RELABEL_TO_PHARMACY, ids=to_pharmacy, database_=database)
    if to_institution:
        driver.execute_query(_RELABEL_TO_INSTITUTION, ids=to_institution, database_=database)


def _delete_stale(scope: _Scope, driver: Driver, database: str, batch: int = 10_000) -> None:
    """Updated reference rows: drop the owner's relationships that no longer hold."""
    with scope.cursor("nodes") as cur:
        for owner, rel_type, sql in _SINGLE_VALUED:
            stmt = stale_statement(owner, rel_type)
            for rows in _batches(cur, sql, batch, True):
                driver.execute_query(stmt, rows=rows, database_=database)


def clear_graph(driver: Driver, database: str = "neo4j", batch: int = 50_000) -> None:
    """Delete every node and relationship (bookkeeping included), in batches
    so that a big graph does not need one huge transaction; the schema stays."""
    with driver.session(database=database) as session:  # IN TRANSACTIONS needs an auto-commit query
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS", batch=batch
        ).consume()
