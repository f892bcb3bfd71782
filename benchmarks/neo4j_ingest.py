"""Neo4j ingest benchmark: batched UNWIND vs one row per transaction vs bulk import.

    python benchmarks/neo4j_ingest.py --settlements 1000000

Builds a catalogue of >= 1M settlements with line items (``--source sql``:
straight into DuckDB with SQL, below; ``--source synth``: the project's
generator ``ringscope.ingest.synth.generate_drop`` through the validated
ingest), runs a private benchmark server (``benchmarks/.data/neo4j``, its own
port, never the workspace server the tests use), then measures in one run:

1. cold start of the server (stop, start, until Bolt answers);
2. the driver load: ``project_catalogue`` into an empty graph (batched
   ``UNWIND``, nodes then relationships), nodes/s and relationships/s, wall
   clock and per CPU-second (server JVM + this process, from /proc: the box
   may be shared, CPU time is what the method costs);
3. the baseline: the same statements one row per transaction, on a sample,
   rate extrapolated;
4. the incremental path (``MERGE`` on indexed ends) on a sample of existing
   relationships;
5. ``neo4j-admin database import full`` of the same catalogue (offline),
   export + import time.

Samples are repeated ``--repeat`` times and the median kept.  Results go to
``benchmarks/.data/neo4j_ingest.json`` and a Markdown table on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import duckdb

from ringscope.graph.catalogue import ensure_schema as ensure_catalogue
from ringscope.graph.config import Neo4jConfig
from ringscope.graph.model import NODE_SQL
from ringscope.graph.neo4j import server
from ringscope.graph.neo4j.bulk_import import bulk_import, finish_bulk_import
from ringscope.graph.neo4j.loader import clear_graph, project_catalogue
from ringscope.graph.neo4j.statements import rel_statement
from ringscope.graph.neo4j.store import connect

DATA = Path(__file__).resolve().parent / ".data"
DROP_ID = "D-bench-0001"


# ------------------------------------------------------------ synthetic catalogue


def build_catalogue(path: Path, settlements: int = 1_000_000, seed: int = 7) -> dict[str, int]:
    """Contract tables straight into a fresh catalogue (one drop), no validation.

    Shapes of a city-sized fund: 5 settlements per patient, 2.5 lines per
    settlement, half of the lines with a trace code, a device on half of the
    settlements, a prescriber on 60 %.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_suffix(path.suffix + ".wal")):
        p.unlink(missing_ok=True)
    patients, facilities, prescribers = max(10, settlements // 5), max(4, settlements // 500), max(4, settlements // 200)
    drugs, devices, employers = 3_000, max(4, settlements // 10), max(2, settlements // 250)
    cards = int(patients * 1.1)
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    ensure_catalogue(con)
    h = f"hash(i, {seed})"
    statements = [
        f"""INSERT INTO patients (patient_id, name, gender, birth_date, region_code, address, phone, insured_type, _drop_id)
        SELECT 'P' || lpad(i::VARCHAR, 9, '0'), '患者' || i, CASE WHEN {h} % 2 = 0 THEN 'M' ELSE 'F' END,
               DATE '1940-01-01' + CAST({h} % 25000 AS INTEGER), '1101' || lpad((i % 20)::VARCHAR, 2, '0'),
               '北京市某区' || (i % {int(patients * 0.8)}) || '号', '138' || lpad((i % {int(patients * 0.9)})::VARCHAR, 8, '0'),
               'employee', '{DROP_ID}' FROM range({patients}) t(i)""",
        f"""INSERT INTO cards (card_id, patient_id, issued_on, status, _drop_id)
        SELECT 'C' || lpad(i::VARCHAR, 9, '0'), 'P' || lpad((i % {patients})::VARCHAR, 9, '0'),
               DATE '2015-01-01' + CAST(i % 3000 AS INTEGER), 'active', '{DROP_ID}' FROM range({cards}) t(i)""",
        f"""INSERT INTO facilities (facility_id, kind, name, region_code, level, _drop_id)
        SELECT 'F' || lpad(i::VARCHAR, 6, '0'),
               CASE i % 5 WHEN 0 THEN 'pharmacy' WHEN 1 THEN 'hospital' WHEN 2 THEN 'clinic'
                          WHEN 3 THEN 'community_health_center' ELSE 'village_clinic' END,
               '机构' || i, '110101', '2', '{DROP_ID}' FROM range({facilities}) t(i)""",
        f"""INSERT INTO prescribers (prescriber_id, name, facility_id, specialty, _drop_id)
        SELECT 'R' || lpad(i::VARCHAR, 7, '0'), '医生' || i, 'F' || lpad(((i * 5 + 1) % {facilities})::VARCHAR, 6, '0'),
               'general', '{DROP_ID}' FROM range({prescribers}) t(i)""",
        f"""INSERT INTO drugs (drug_code, name, category, unit_price, max_daily_units, controlled, _drop_id)
        SELECT 'XD' || lpad(i::VARCHAR, 6, '0'), '药品' || i, 'western', CAST(1 + i % 200 AS DECIMAL(14,2)) / 4,
               1 + i % 6, i % 50 = 0, '{DROP_ID}' FROM range({drugs}) t(i)""",
        f"""INSERT INTO employers (employer_id, name, region_code, registered_on, phone, address, _drop_id)
        SELECT 'E' || lpad(i::VARCHAR, 7, '0'), '公司' || i, '110101', DATE '2010-01-01' + CAST(i % 4000 AS INTEGER),
               '010' || lpad(i::VARCHAR, 8, '0'), '工业园' || i || '号', '{DROP_ID}' FROM range({employers}) t(i)""",
        f"""INSERT INTO employments (patient_id, employer_id, start_on, salary_base, _drop_id)
        SELECT 'P' || lpad(i::VARCHAR, 9, '0'), 'E' || lpad((i % {employers})::VARCHAR, 7, '0'),
               DATE '2018-01-01', 6000, '{DROP_ID}' FROM range(0, {patients}, 3) t(i)""",
        f"""INSERT INTO settlements (settlement_id, card_id, facility_id, settled_at, total_amount, fund_paid, patient_id,
                                 prescriber_id, kind, self_paid, device_id, _drop_id)
        SELECT 'S' || lpad(i::VARCHAR, 10, '0'), 'C' || lpad(({h} % {cards})::VARCHAR, 9, '0'),
               'F' || lpad((hash(i, {seed} + 1) % {facilities})::VARCHAR, 6, '0'),
               TIMESTAMP '2025-01-01 08:00:00' + INTERVAL (i % 31536000) SECOND,
               100.00, 70.00, 'P' || lpad((({h} % {cards}) % {patients})::VARCHAR, 9, '0'),
               CASE WHEN i % 5 < 3 THEN 'R' || lpad((hash(i, {seed} + 2) % {prescribers})::VARCHAR, 7, '0') END,
               'outpatient', 30.00,
               CASE WHEN i % 2 = 0 THEN 'V' || lpad((hash(i, {seed} + 3) % {devices})::VARCHAR, 8, '0') END,
               '{DROP_ID}' FROM range({settlements}) t(i)""",
        f"""INSERT INTO dispensings (settlement_id, line_no, drug_code, quantity, amount, trace_code, days_supply, _drop_id)
        SELECT 'S' || lpad(s::VARCHAR, 10, '0'), l, 'XD' || lpad((hash(s, l, {seed}) % {drugs})::VARCHAR, 6, '0'),
               28, 40.00, CASE WHEN (s + l) % 2 = 0 THEN '8' || lpad((s * 3 + l)::VARCHAR, 19, '0') END, 14, '{DROP_ID}'
        FROM range({settlements}) a(s), range(1, 4) b(l) WHERE l <= 2 + (s % 2)""",
    ]
    for stmt in statements:
        con.execute(stmt)
    con.execute("INSERT INTO ingest_drops VALUES (?, 'benchmarks/neo4j_ingest.py', 'synthetic', now(), now(), "
                "'loaded', '', NULL)", [DROP_ID])
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
              for t in ("patients", "cards", "facilities", "settlements", "dispensings")}
    con.close()
    return counts


def ingest_generated(workspace: Path, settlements: int, seed: int) -> dict[str, int]:
    """The project's generator through the validated ingest (slower; realistic shapes)."""
    from ringscope.graph.config import StoreConfig
    from ringscope.graph.duckdb_store import DuckDBStore
    from ringscope.ingest.mapping import HeaderMapping
    try:
        from ringscope.ingest.synth import generate_drop
    except ImportError:
        from ringscope.ingest.synth.generate import generate_drop

    drop = workspace.parent / "drop"
    generate_drop(drop, max(10, settlements // 5), seed)
    store = DuckDBStore(StoreConfig(workspace=workspace))
    try:
        store.ingest_drop(drop, HeaderMapping())
        con = store.relational()
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in ("settlements", "dispensings")}
    finally:
        store.close()


# ------------------------------------------------------------ measuring


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuClock:
    """Wall and CPU seconds (server JVM + this process) of a block."""

    def __init__(self, server_pid: int):
        self.pid = server_pid

    def __enter__(self):
        self.t, self.s, self.c = time.monotonic(), _cpu_seconds(self.pid), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t
        self.cpu = (_cpu_seconds(self.pid) - self.s) + (time.process_time() - self.c)


def _per_row_rate(driver, statement: str, rows: list, pid: int) -> tuple[float, float]:
    """One row per transaction (each its own managed transaction)."""
    with CpuClock(pid) as clock:
        for row in rows:
            with driver.session() as session:
                session.execute_write(lambda tx, r=row: tx.run(statement, rows=[r]).consume())
    return len(rows) / clock.wall, len(rows) / clock.cpu


def _batched_rate(driver, statement: str, rows: list, batch: int, pid: int) -> tuple[float, float]:
    with CpuClock(pid) as clock:
        for i in range(0, len(rows), batch):
            with driver.session() as session:
                session.execute_write(lambda tx, chunk=rows[i:i + batch]: tx.run(statement, rows=chunk).consume())
    return len(rows) / clock.wall, len(rows) / clock.cpu


def _delete_rels(driver, rel_type: str, ids: list[str]) -> None:
    """Remove the sample's USED_IN relationships so the baseline recreates them."""
    assert rel_type == "USED_IN"
    driver.execute_query("UNWIND $ids AS i MATCH (:Settlement {id: i})<-[r:USED_IN]-() DELETE r", ids=ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--settlements", type=int, default=1_000_000)
    ap.add_argument("--source", choices=("sql", "synth"), default="sql")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", type=Path, default=DATA / "neo4j")
    ap.add_argument("--port", type=int, default=7688)
    ap.add_argument("--heap", default="3g")
    ap.add_argument("--pagecache", default="3g")
    ap.add_argument("--node-batch", type=int, default=10_000)
    ap.add_argument("--rel-batch", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline-sample", type=int, default=2_000)
    ap.add_argument("--merge-sample", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-bulk", action="store_true")
    ap.add_argument("--reuse-catalogue", action="store_true")
    ap.add_argument("--out", type=Path, default=DATA / "neo4j_ingest.json")
    args = ap.parse_args()
    results: dict = {"settlements": args.settlements, "source": args.source, "heap": args.heap,
                     "pagecache": args.pagecache, "node_batch": args.node_batch, "rel_batch": args.rel_batch,
                     "workers": args.workers, "loadavg_start": os.getloadavg()}

    workspace = DATA / "neo4j-bench-ws"
    catalogue = workspace / "ringscope.duckdb"
    t0 = time.monotonic()
    if not (args.reuse_catalogue and catalogue.exists()):
        results["tables"] = (build_catalogue(catalogue, args.settlements, args.seed) if args.source == "sql"
                             else ingest_generated(workspace, args.settlements, args.seed))
    results["catalogue_seconds"] = round(time.monotonic() - t0, 1)
    print("catalogue", results.get("tables"), results["catalogue_seconds"], "s", flush=True)

    os.environ["RINGSCOPE_NEO4J_HEAP"] = args.heap
    server.install(args.home, port=args.port, pagecache=args.pagecache)
    server.stop(args.home)
    # An empty store without deleting millions of entities one by one: with the
    # server stopped, remove the user database's files; Neo4j recreates it.
    for sub in ("data/databases/neo4j", "data/transactions/neo4j"):
        shutil.rmtree(args.home / sub, ignore_errors=True)
    t0 = time.monotonic()
    server.start(args.home, timeout=180)
    results["start_seconds"] = round(time.monotonic() - t0, 1)
    print("server start", results["start_seconds"], "s", flush=True)
    conn = server.connection(args.home)
    cfg = Neo4jConfig(uri=conn.uri, user=conn.user, password=conn.password)
    driver = connect(cfg)
    pid = server.status(args.home).pid
    if pid is None:  # the CPU clocks below read the server's /proc entry
        raise SystemExit(f"neo4j_ingest: the server under {args.home} stopped right after it started (see its logs)")
    con = duckdb.connect(str(catalogue), read_only=True)

    # 2. the driver load into an empty graph
    clear_graph(driver)
    driver.execute_query("MATCH (d:_RingScopeDrop) DELETE d")
    with CpuClock(pid) as clock:
        report = project_catalogue(con, driver, node_batch=args.node_batch, rel_batch=args.rel_batch,
                                   workers=args.workers,
                                   progress=lambda label, frac: print(f"  {frac:5.1%} {label}", flush=True))
    node_batches = [n / s for step, n, s in report.batch_timings if step.startswith("node:")]
    rel_batches = [n / s for step, n, s in report.batch_timings if step.startswith("rel:")]
    results["driver"] = {
        "mode": report.mode, "nodes": report.node_rows, "relationships": report.rel_rows,
        "node_seconds": round(report.node_seconds, 1), "rel_seconds": round(report.rel_seconds, 1),
        "nodes_per_s": round(report.node_rows / report.node_seconds),
        "rels_per_s": round(report.rel_rows / report.rel_seconds),
        "median_batch_nodes_per_s": round(statistics.median(node_batches)),
        "median_batch_rels_per_s": round(statistics.median(rel_batches)),
        "total_seconds": round(clock.wall, 1), "cpu_seconds": round(clock.cpu, 1),
        "rows_per_cpu_s": round((report.node_rows + report.rel_rows) / clock.cpu),
        "per_type_rels_per_s": {
            t: round(sum(n for s_, n, _ in report.batch_timings if s_ == f"rel:{t}")
                     / max(1e-9, sum(x for s_, _, x in report.batch_timings if s_ == f"rel:{t}")))
            for t in report.relationships if report.relationships[t]
        },
    }
    print("driver load", results["driver"], flush=True)

    # 3. baseline: one row per transaction, on a sample of USED_IN (indexed ends)
    sample = con.execute(
        f"SELECT card_id, settlement_id FROM settlements USING SAMPLE {args.baseline_sample} ROWS (reservoir, 42)"
    ).fetchall()
    stmt = rel_statement("USED_IN", "Card", "Settlement", "create")
    rows = [list(r) for r in sample]
    base, batched = [], []
    for _ in range(args.repeat):
        _delete_rels(driver, "USED_IN", [r[1] for r in rows])
        base.append(_per_row_rate(driver, stmt, rows, pid))
        _delete_rels(driver, "USED_IN", [r[1] for r in rows])
        batched.append(_batched_rate(driver, stmt, rows, args.rel_batch, pid))
    results["baseline_one_row_per_tx"] = {
        "sample": len(rows), "rels_per_s": round(statistics.median(b[0] for b in base)),
        "rels_per_cpu_s": round(statistics.median(b[1] for b in base)),
        "same_sample_batched_rels_per_s": round(statistics.median(b[0] for b in batched)),
    }
    print("baseline", results["baseline_one_row_per_tx"], flush=True)

    # 4. incremental path: MERGE with indexed ends over existing relationships
    merge_rows = [list(r) for r in con.execute(
        f"SELECT card_id, settlement_id FROM settlements ORDER BY settlement_id LIMIT {args.merge_sample}").fetchall()]
    merge_stmt = rel_statement("USED_IN", "Card", "Settlement", "merge")
    merges = [_batched_rate(driver, merge_stmt, merge_rows, args.rel_batch, pid) for _ in range(args.repeat)]
    results["merge_batched"] = {"sample": len(merge_rows), "rels_per_s": round(statistics.median(m[0] for m in merges)),
                                "rels_per_cpu_s": round(statistics.median(m[1] for m in merges))}
    print("merge", results["merge_batched"], flush=True)
    driver.close()

    # 5. bulk import of the same catalogue (offline)
    if not args.skip_bulk:
        server.stop(args.home)
        bulk = bulk_import(con, args.home, DATA / "neo4j-import")
        t0 = time.monotonic()
        server.start(args.home, timeout=180)
        driver = connect(cfg)
        finish_bulk_import(con, driver)
        index_seconds = time.monotonic() - t0
        counts = {k: driver.execute_query(f"MATCH (n:{k}) RETURN count(n) AS n").records[0]["n"]
                  for k in NODE_SQL}
        rel_total = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n").records[0]["n"]
        driver.close()
        nodes_total = sum(counts.values())
        results["bulk_import"] = {
            "export_seconds": round(bulk.export_seconds, 1), "import_seconds": round(bulk.import_seconds, 1),
            "start_and_index_seconds": round(index_seconds, 1),
            "nodes": nodes_total, "relationships": rel_total,
            "rows_per_s_import_only": round((nodes_total + rel_total) / bulk.import_seconds),
            "rows_per_s_end_to_end": round((nodes_total + rel_total)
                                           / (bulk.export_seconds + bulk.import_seconds + index_seconds)),
        }
        assert nodes_total == report.node_rows and rel_total == report.rel_rows, "bulk import counts differ"
        print("bulk", results["bulk_import"], flush=True)

    d, b = results["driver"], results["baseline_one_row_per_tx"]
    results["ratios"] = {"batched_vs_one_row_per_tx": round(d["rels_per_s"] / b["rels_per_s"], 1)}
    if "bulk_import" in results:
        driver_total = d["node_seconds"] + d["rel_seconds"]
        bulk_total = sum(results["bulk_import"][k] for k in ("export_seconds", "import_seconds", "start_and_index_seconds"))
        results["ratios"]["bulk_vs_driver_end_to_end"] = round(driver_total / bulk_total, 1)
    results["loadavg_end"] = os.getloadavg()
    con.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
