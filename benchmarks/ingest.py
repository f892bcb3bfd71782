"""Ingest speed: validation + load into the embedded store vs a plain DuckDB read.

Baseline: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` for every table of
the same drop into a fresh DuckDB file (no validation, types sniffed).
Contender: ``ringscope ingest`` (every rule of the contract, atomic merge,
rejects file) into a fresh workspace.  Both run in this process, alternating,
``--repeat`` times; the table reports medians and the ratio.

    python benchmarks/ingest.py --patients 100000 --repeat 3
    python benchmarks/ingest.py --drop some/drop --repeat 3
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.contract import TABLES
from ringscope.ingest.mapping import HeaderMapping


def baseline(drop: Path, work: Path) -> float:
    db = work / "baseline.duckdb"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    con = duckdb.connect(str(db))
    for name in TABLES:
        path = drop / f"{name}.csv"
        if path.exists():
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_csv(?)', [str(path)])
    con.close()
    return time.perf_counter() - t


def contender(drop: Path, work: Path) -> float:
    ws = work / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    t = time.perf_counter()
    store = DuckDBStore(StoreConfig(workspace=ws))
    report = store.ingest_drop(drop, HeaderMapping())
    store.close()
    elapsed = time.perf_counter() - t
    assert report.rejected == 0, report.rejects_file
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drop", type=Path, help="an existing drop (default: generate one)")
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rs-bench-ingest-"))
    drop = args.drop
    if drop is None:
        from ringscope.ingest.synth import generate_drop

        drop = work / "drop"
        generate_drop(drop, args.patients, args.seed)
    rows = {}
    con = duckdb.connect()
    for name in TABLES:
        p = drop / f"{name}.csv"
        if p.exists():
            rows[name] = con.execute("SELECT count(*) FROM read_csv(?)", [str(p)]).fetchall()[0][0]
    total_rows = sum(rows.values())
    base, ours = [], []
    for _ in range(args.repeat):
        base.append(baseline(drop, work))
        ours.append(contender(drop, work))
    b, o = statistics.median(base), statistics.median(ours)
    print(f"drop: {drop}  rows: {total_rows:,} (settlements {rows.get('settlements', 0):,}, "
          f"dispensings {rows.get('dispensings', 0):,})  repeats: {args.repeat}")
    print("| what | median s | rows/s | speed vs baseline |")
    print("|---|---:|---:|---:|")
    print(f"| baseline: DuckDB read_csv, no validation | {b:.2f} | {total_rows / b:,.0f} | 1.00 |")
    print(f"| ringscope ingest (validate + atomic load) | {o:.2f} | {total_rows / o:,.0f} | {b / o:.2f} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
