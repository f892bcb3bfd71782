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
from typing import Callable, Iterator

import duckdb
from neo4j import Driver, ManagedTransaction

from ringscope.graph.model import LABELS, NODE_SQL, REL_TYPE_NAMES, REL_TYPES
from ringscope.graph.neo4j_schema import BATCH_LABEL, DROP_LABEL, ensure_schema
from ringscope.ingest.contract import TABLES

NODE_BATCH = 10_000
REL_BATCH = 10_000
# Two sessions in flight: while Neo4j commits one batch, DuckDB and the driver
# prepare the next (measured on 2 cores: 59k vs 32k relationships/s).
WORKERS = 2
Progress = Callable[[str, float], None]


# --------------------------------------------------------------- statements


def _label(name: str) -> str:
    if name not in LABELS:
        raise ValueError(f"not a graph label: {name!r}")
    return name


def _rel_type(name: str) -> str:
    if name not in REL_TYPE_NAMES:
        raise ValueError(f"not a relationship type: {name!r}")
    return name


def node_statement(label: str, mode: str) -> str:
    if mode == "create":
        # Returns the new nodes' internal ids: the relationships of this load
        # then find their ends by id (a direct record read) instead of an
        # index seek; see rel_by_nid_statement.
        return (f"UNWIND $rows AS r CREATE (n:{_label(label)}) SET n = r "
                "RETURN collect([r.id, id(n)]) AS nids")
    return f"UNWIND $rows AS r MERGE (n:{_label(label)} {{id: r.id}}) SET n += r"


def nid_lookup_statement(label: str) -> str:
    """Internal ids of nodes committed by an earlier, interrupted run."""
    return f"UNWIND $rows AS r MATCH (n:{_label(label)} {{id: r.id}}) RETURN collect([r.id, id(n)]) AS nids"


def rel_by_nid_statement(rel_type: str) -> str:
    """First load only: both ends were created by this load, whose internal
    ids are known (deleted nodes' ids can be reused, so ids are never kept
    past the load that read them)."""
    return (
        "UNWIND $rows AS r MATCH (a) WHERE id(a) = r[0] MATCH (b) WHERE id(b) = r[1] "
        f"CREATE (a)-[:{_rel_type(rel_type)}]->(b)"
    )


def rel_statement(rel_type: str, src_label: str, dst_label: str, mode: str) -> str:
    verb = "CREATE" if mode == "create" else "MERGE"
    return (
        f"UNWIND $rows AS r "
        f"MATCH (a:{_label(src_label)} {{id: r[0]}}) "
        f"MATCH (b:{_label(dst_label)} {{id: r[1]}}) "
        f"{verb} (a)-[:{_rel_type(rel_type)}]->(b)"
    )


_LEDGER_WRITE = f"CREATE (:{BATCH_LABEL} {{key: $key, load_id: $load_id, rows: $n, at: datetime()}})"
_LEDGER_KEYS = f"MATCH (b:{BATCH_LABEL} {{load_id: $load_id}}) RETURN b.key AS key"
_LEDGER_FOREIGN = f"MATCH (b:{BATCH_LABEL}) WHERE b.load_id <> $load_id RETURN count(b) AS n"
# Once every catalogue drop is projected, no ledger (this load's or an
# abandoned one's) is needed any more.
_LEDGER_CLEAR = f"MATCH (b:{BATCH_LABEL}) DELETE b"
_PROJECTED_DROPS = f"MATCH (d:{DROP_LABEL}) RETURN d.drop_id AS drop_id"
_MARK_DROPS = (
    f"UNWIND $drops AS d MERGE (x:{DROP_LABEL} {{drop_id: d}}) "
    "SET x.projected_at = datetime(), x.load_id = $load_id"
)
_MODEL_REL_COUNT = "MATCH ()-[r]->() RETURN count(r) AS n"

# Relationships whose owner has exactly one current target: when an updated
# reference row arrives, the owner's other relationships of that type are
# stale.  (owner label, rel type, SQL giving owner id and current target id)
_SINGLE_VALUED: tuple[tuple[str, str, str], ...] = (
    ("Card", "HOLDS", "SELECT card_id, patient_id FROM cards"),
    ("Prescriber", "WORKS_AT", "SELECT prescriber_id, facility_id FROM prescribers"),
    ("Patient", "HAS_PHONE", "SELECT patient_id, phone FROM patients"),
    ("Employer", "HAS_PHONE", "SELECT employer_id, phone FROM employers"),
    ("Patient", "HAS_ADDRESS", "SELECT patient_id, address FROM patients"),
    ("Employer", "HAS_ADDRESS", "SELECT employer_id, address FROM employers"),
)


def stale_statement(owner_label: str, rel_type: str) -> str:
    return (
        f"UNWIND $rows AS r MATCH (o:{_label(owner_label)} {{id: r[0]}})-[x:{_rel_type(rel_type)}]-(m) "
        "WHERE r[1] IS NULL OR m.id <> r[1] DELETE x"
    )


_RELABEL_TO_INSTITUTION = "UNWIND $ids AS id MATCH (n:Pharmacy {id: id}) REMOVE n:Pharmacy SET n:Institution"
_RELABEL_TO_PHARMACY = "UNWIND $ids AS id MATCH (n:Institution {id: id}) REMOVE n:Institution SET n:Pharmacy"
_ORPHANS = {
    label: f"MATCH (n:{_label(label)}) WHERE NOT (n)--() DELETE n" for label in ("Phone", "Address")
}


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
    if mode is None:
        foreign = driver.execute_query(_LEDGER_FOREIGN, load_id=load_id, database_=database).records[0]["n"]
        rels = driver.execute_query(_MODEL_REL_COUNT, database_=database).records[0]["n"]
        clean_start = not projected and foreign == 0 and (rels == 0 or bool(done))
        mode = "create" if clean_start else "merge"
    if mode not in ("create", "merge"):
        raise ValueError(f"mode must be create or merge, not {mode!r}")
    report.mode = mode

    full = not projected
    scope = _Scope(con, pending, full)
    writer = _Writer(driver, database, load_id, done, workers)
    by_nid = mode == "create"
    try:
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
                for step, stmt, sql in _rel_steps(rel_cur, rel, mode):
                    n, _ = writer.run_step(step, stmt, _batches(rel_cur, sql, rel_batch, True))
                    report.relationships[rel.type] += n
        if mode == "merge" and projected:
            for stmt in _ORPHANS.values():
                driver.execute_query(stmt, database_=database)
        report.rel_seconds = time.monotonic() - t_rels
    finally:
        writer.close()
    driver.execute_query(_MARK_DROPS, drops=pending, load_id=load_id, database_=database)
    driver.execute_query(_LEDGER_CLEAR, database_=database)
    report.batches_written, report.batches_skipped = writer.written, writer.skipped
    report.batch_timings = writer.timings
    report.seconds = time.monotonic() - t0
    step_progress("done", 1.0)
    return report


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


def _rel_steps(cur: duckdb.DuckDBPyConnection, rel, mode: str) -> Iterator[tuple[str, str, str]]:
    """(ledger step name, Cypher, SQL of [src, dst] rows in a stable order)
    for one relationship type.  First load: ends by internal id, ordered by
    it (neighbouring records, warm pages).  Later loads: ends by their
    ``id`` index, one statement per pair of end labels."""
    sql = f"SELECT * FROM ({rel.sql}) q(src_label, src_id, dst_label, dst_id)"
    if mode == "create":
        yield (
            f"rel:{rel.type}",
            rel_by_nid_statement(rel.type),
            f"SELECT a.nid, b.nid FROM ({sql}) q "
            "JOIN rs_nid a ON a.label = q.src_label AND a.id = q.src_id "
            "JOIN rs_nid b ON b.label = q.dst_label AND b.id = q.dst_id ORDER BY 1, 2",
        )
        return
    for src_label, dst_label in cur.execute(f"SELECT DISTINCT src_label, dst_label FROM ({sql}) ORDER BY ALL").fetchall():
        yield (
            f"rel:{rel.type}:{src_label}:{dst_label}",
            rel_statement(rel.type, src_label, dst_label, mode),
            f"SELECT src_id, dst_id FROM ({sql}) WHERE src_label = '{_label(src_label)}' "
            f"AND dst_label = '{_label(dst_label)}' ORDER BY src_id, dst_id",
        )


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

    from ringscope.graph import neo4j_server

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
