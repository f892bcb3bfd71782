"""Embedded engine vs Spark local[N] on the same drop, in one run (issue #15).

    python benchmarks/spark.py DROP_DIR [--cores 2 1] [--low-memory 300MB] [--conf spark.driver.memory=8g]
        [--temp-tables disk,parquet] [--schemes trace_resale] [--spark-first]
        [--embedded-db FILE --embedded-memory-limit 6GB] [--side-by-side]

For one drop (a generated CSV drop, e.g. ``ringscope generate --patients
1000000``) it writes the contract tables once as Parquet next to a scratch
folder, then runs, each in a fresh process so that memory is its own:

* the embedded engine (DuckDB, the store's SQL) — the baseline;
* Spark ``local[N]`` for every N in ``--cores`` (default 2, then 1);
* with ``--embedded-db``: the embedded engine on an on-disk DuckDB database (as
  the workspace's catalogue is), loaded from the Parquet tables with
  ``--embedded-memory-limit`` set first, so that it spills instead of holding
  the drop in memory (at 5M patients the in-memory path needs most of a 24 GiB
  machine for one scheme);
* with ``--side-by-side``: the baseline at the same time as the first Spark
  run (two processes; each one's CPU seconds are its own, wall times are
  then upper bounds) when the session cannot give them an hour each;
* with ``--low-memory``: the embedded engine again with ``[detection]
  memory_limit`` set that low (it fails when the drop needs more), and Spark
  with a 512 MB heap (it completes: Spark spills what does not fit).

Each run reports wall time, its peak RSS (driver process, plus the JVM's
high-water mark for Spark) and a digest of its rings (members, schemes, settlement/claim ids,
fund loss to the cent, provisional ring ids); the table says whether every
engine gave the rings the embedded engine gave.  Results go to
benchmarks/README.md by hand, with the machine's load noted.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

SPARK_LOW_HEAP = "512m"
"""The heap of the low-memory Spark run (local mode: the driver JVM is the executor)."""


def ring_digest(rings) -> tuple[str, int]:
    facts = sorted((r.ring_id, r.scheme, sorted(r.member_keys()), sorted(r.settlement_ids), sorted(r.claim_ids),
                    f"{r.fund_loss:.2f}") for r in rings)
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16], len(facts)


def worker(args: argparse.Namespace) -> None:
    """One engine, one run; prints a JSON line with the digest and the detection time."""
    from ringscope.analytics.pipeline import provisional_ids, run_detection
    from ringscope.analytics.settings import DetectionSettings

    raw: dict[str, Any] = {"memory_limit": args.memory_limit} if args.memory_limit else {}
    if args.schemes:  # one scheme at a size where every scheme does not fit the session
        raw["schemes"] = args.schemes.split(",")
    settings = DetectionSettings.from_dict(raw)
    cores = args.cores[0]  # a worker runs one engine on one core count
    t0 = time.perf_counter()
    if args.engine == "embedded":
        con = _embedded_connection(args, settings)
        load = time.perf_counter() - t0
        rings = run_detection(con, settings).rings
    else:
        from ringscope.analytics.spark.connection import SparkConnection
        from ringscope.analytics.spark.settings import SparkSettings
        from ringscope.analytics.spark.tables import load_tables
        from ringscope.app.spark_engine import session_conf, start_session

        conf = session_conf(f"local[{cores}]", args.conf, SparkSettings())  # what `detect --engine spark` uses
        if args.memory_limit:  # DuckDB's cap means nothing to Spark: bound the JVM heap instead, Spark spills
            conf["spark.driver.memory"] = SPARK_LOW_HEAP
        spark = start_session(f"local[{cores}]", conf)
        load_tables(spark, args.tables)
        # duck-types the DuckDB connection run_detection is typed for, as app.spark_engine.spark_sql yields it
        spark_con: Any = SparkConnection(spark, temp_tables=args.temp_tables)
        load = time.perf_counter() - t0
        rings = run_detection(spark_con, settings, engine=spark_con.community_engine()).rings
    digest, n = ring_digest(provisional_ids(rings))
    detect_s = round(time.perf_counter() - t0 - load, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb, cpu_s = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    if args.engine == "spark":  # the JVM does the work: its high-water mark and CPU time count too
        jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
        peak_kb += _vm_hwm_kb(jvm)
        cpu_s += _cpu_s(jvm)
    print(json.dumps({"digest": digest, "rings": n, "load_s": round(load, 1), "detect_s": detect_s,
                      "cpu_s": round(cpu_s, 1), "peak_rss_mb": round(peak_kb / 1024)}))


def _embedded_connection(args: argparse.Namespace, settings: Any) -> Any:
    """The drop in memory (CSV read), or in a fresh on-disk database loaded from the Parquet tables;
    ``[detection] memory_limit`` set as `ringscope detect` sets it."""
    import duckdb

    from ringscope.analytics.contract_tables import connect_drop, load_drop
    from ringscope.app.detection import apply_memory_limit

    if not args.embedded_db:
        con = connect_drop(args.drop)
        apply_memory_limit(con, settings)
        return con
    db = Path(args.embedded_db)
    db.unlink(missing_ok=True)  # a fresh database: the load is part of the run, as ingest is
    con = duckdb.connect(str(db))
    apply_memory_limit(con, settings)  # before the load, so that the load spills too
    load_drop(con, args.tables)
    con.execute("CHECKPOINT")
    return con


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (the JVM): a figure the machine's other load barely moves."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(engine: str, drop: Path, tables: Path, cores: int = 2, memory_limit: str = "",
        conf: list[str] | None = None, temp_tables: str = "auto", schemes: str = "", embedded_db: str = "") -> dict:
    cmd = [sys.executable, __file__, "--worker", engine, str(drop), "--tables", str(tables), "--cores", str(cores),
           "--temp-tables", temp_tables, "--schemes", schemes, "--embedded-db", embedded_db]
    for pair in conf or []:
        cmd += ["--conf", pair]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    label = memory_limit if engine == "embedded" or not memory_limit else f"heap {SPARK_LOW_HEAP}"
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    # the worker's stderr (with RINGSCOPE_SPARK_DEBUG=1: each statement's time as it ends) goes to a file
    log = Path(tempfile.gettempdir(), f"ringscope-bench-{engine}-{cores}-{temp_tables}.log")
    with log.open("w") as sink:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=sink, text=True)
    wall = time.perf_counter() - t0
    stderr = log.read_text(errors="replace")
    name = ("embedded, on disk" if embedded_db else "embedded") if engine == "embedded" else \
        f"spark local[{cores}] {temp_tables}"
    out: dict = {"engine": name,
                 "wall_s": round(wall, 1), "peak_rss_mb": None, "memory_limit": label or "-",
                 "load": f"{load0:.1f}-{os.getloadavg()[0]:.1f}", "ended": time.strftime("%H:%M UTC", time.gmtime())}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode == 0 and lines:
        out.update(json.loads(lines[-1]))
    else:
        err = [ln for ln in stderr.splitlines() if "Error" in ln or "error" in ln]
        tail = err[-1:] or stderr.strip().splitlines()[-1:] or ["?"]
        out["failed"] = tail[0][:160]
    return out


def export(drop: Path, tables: Path) -> None:
    from ringscope.analytics.contract_tables import connect_drop
    from ringscope.analytics.spark.tables import write_parquet_tables

    if (tables / "settlements.parquet").exists():
        return
    con = connect_drop(drop)
    try:
        write_parquet_tables(con, tables)
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("drop", type=Path)
    ap.add_argument("--tables", type=Path, help="Parquet folder (default: a scratch folder, written once)")
    ap.add_argument("--cores", type=int, nargs="+", default=[2, 1])
    ap.add_argument("--low-memory", default="", help="e.g. 300MB: embedded with this memory_limit vs Spark")
    ap.add_argument("--worker", choices=["embedded", "spark"])
    ap.add_argument("--memory-limit", default="")
    ap.add_argument("--temp-tables", default="auto",
                    help="how Spark materialises temp tables: auto (the [spark] default: parquet on a local "
                         "master), parquet, disk, memory, columnar (comma: one run each)")
    ap.add_argument("--schemes", default="", help="comma-separated schemes (default: every scheme)")
    ap.add_argument("--spark-first", action="store_true", help="run the first Spark setting before the baseline")
    ap.add_argument("--side-by-side", action="store_true",
                    help="run the baseline at the same time as the first Spark setting (wall times: upper bounds)")
    ap.add_argument("--embedded-db", default="", help="the baseline on this on-disk DuckDB file, loaded from Parquet")
    ap.add_argument("--embedded-memory-limit", default="", help="the baseline's memory_limit, e.g. 6GB")
    ap.add_argument("--conf", action="append", default=[],
                    help="key=value for the Spark runs, as `detect --conf` (e.g. spark.driver.memory=8g at 1M patients)")
    args = ap.parse_args()
    if args.worker:
        args.engine = args.worker
        worker(args)
        return
    tables = args.tables or Path(tempfile.gettempdir()) / f"ringscope-bench-{args.drop.name}-parquet"
    t0 = time.perf_counter()
    export(args.drop, tables)
    print(f"parquet tables in {tables} ({time.perf_counter() - t0:.0f} s)", flush=True)
    spark_runs = [(cores, mode) for cores in args.cores for mode in args.temp_tables.split(",")]

    def spark(cores: int, mode: str) -> dict:
        return run("spark", args.drop, tables, cores, conf=args.conf, temp_tables=mode, schemes=args.schemes)

    def baseline() -> dict:
        return run("embedded", args.drop, tables, memory_limit=args.embedded_memory_limit, schemes=args.schemes,
                   embedded_db=args.embedded_db)

    # --spark-first: the first Spark run before the baseline (a long run gets the session's quietest time);
    # --side-by-side: the two at once
    first = spark_runs[:1] if args.spark_first or args.side_by_side else []
    if args.side_by_side:
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(baseline)] + [pool.submit(spark, c, m) for c, m in first]
            results = [job.result() for job in jobs]
        for r in results:
            r["engine"] += " (side by side)"
            print(json.dumps(r), flush=True)
    else:
        results = [spark(c, m) for c, m in first]
        for r in results:
            print(json.dumps(r), flush=True)
        results.insert(0, baseline())
        print(json.dumps(results[0]), flush=True)
    for cores, mode in spark_runs[len(first):]:
        results.append(spark(cores, mode))
        print(json.dumps(results[-1]), flush=True)
    if args.low_memory:
        for engine in ("embedded", "spark"):
            results.append(run(engine, args.drop, tables, 2, args.low_memory, conf=args.conf,
                               temp_tables=args.temp_tables.split(",")[0], schemes=args.schemes))
            print(json.dumps(results[-1]), flush=True)
    base = results[0]
    print("\n| engine | memory cap | wall (s) | detect (s) | CPU (s) | peak RSS (MB) | rings | same rings as embedded | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        same = "failed: " + r["failed"] if "failed" in r else ("yes" if r.get("digest") == base.get("digest") else "NO")
        print(f"| {r['engine']} | {r['memory_limit']} | {r['wall_s']} | {r.get('detect_s', '-')} | "
              f"{r.get('cpu_s', '-')} | {r['peak_rss_mb']} | {r.get('rings', '-')} | {same} | {r['load']} |")


if __name__ == "__main__":
    main()
