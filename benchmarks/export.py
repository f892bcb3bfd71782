"""Benchmark: the referral package of a ring of 2,000 settlements (target: under 30 s).

Builds a drop holding one trace-resale ring of ``--settlements`` settlements
(400 sellers' cards at 5 pharmacies, one box per settlement, a quarter of
the boxes reimbursed again at a sixth pharmacy) plus background settlements,
ingests it into a fresh workspace, writes the ring's rings.json, then times
``build_referral`` (both languages, PDF + HTML, CSV + XLSX, PNG + HTML graph,
BagIt zip and its self-check) ``--repeat`` times after one warm-up run (the
first run in a process also pays for loading WeasyPrint, fonts and
matplotlib, reported apart).  Prints medians; ``--markdown`` prints the table
for benchmarks/README.md.

    python benchmarks/export.py --settlements 2000 --repeat 3
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_S = 30.0


def _write(folder: Path, name: str, header: list[str], rows) -> None:
    with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def make_drop(folder: Path, n_ring: int, n_background: int = 5000) -> list[str]:
    """Write the drop; return the ring's settlement ids."""
    folder.mkdir(parents=True, exist_ok=True)
    n_patients = 1000
    _write(folder, "patients", ["patient_id", "name", "phone"],
           [[f"P{i:06d}", f"患者{i}", f"139{i:08d}"] for i in range(n_patients)])
    _write(folder, "cards", ["card_id", "patient_id"], [[f"C{i:06d}", f"P{i:06d}"] for i in range(n_patients)])
    _write(folder, "facilities", ["facility_id", "kind", "name"],
           [[f"F{i:02d}", "pharmacy", f"药房{i}"] for i in range(8)])
    _write(folder, "drugs", ["drug_code", "name", "max_daily_units"], [["D01", "阿托伐他汀钙片", "2"]])
    start = datetime(2026, 1, 1, 8, 0, 0)
    settlements, lines, ring = [], [], []
    for i in range(n_ring):
        sid = f"S{i:07d}"
        at = start + timedelta(minutes=97 * i)
        settlements.append([sid, f"C{i % 400:06d}", f"F{i % 5:02d}", at.isoformat(), "98.00",
                            f"{60 + (i % 37) + (i % 100) / 100:.2f}", f"DEV{i % 50}", f"OP{i % 12}"])
        lines.append([sid, 1, "D01", 28, "98.00", f"{81000000000000000000 + i}"])
        ring.append(sid)
        if i % 4 == 0:  # the box is reimbursed again at the reselling pharmacy
            rid = f"R{i:07d}"
            settlements.append([rid, f"C{400 + i % 200:06d}", "F05", (at + timedelta(days=9)).isoformat(), "98.00",
                                "68.60", "", "OPX"])
            lines.append([rid, 1, "D01", 28, "98.00", f"{81000000000000000000 + i}"])
            ring.append(rid)
    for j in range(n_background):
        sid = f"B{j:07d}"
        settlements.append([sid, f"C{600 + j % 400:06d}", f"F{6 + j % 2:02d}",
                            (start + timedelta(minutes=53 * j)).isoformat(), "50.00", "35.00", "", ""])
        lines.append([sid, 1, "D01", 14, "50.00", ""])
    _write(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                   "fund_paid", "device_id", "operator_id"], settlements)
    _write(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount", "trace_code"], lines)
    return ring[:n_ring]  # exactly n_ring settlements in the ring


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settlements", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)

    from ringscope.app.config import load_config
    from ringscope.app.export import build_referral, verify_package
    from ringscope.graph.duckdb_store import DuckDBStore
    from ringscope.ingest.mapping import HeaderMapping

    with tempfile.TemporaryDirectory(prefix="ringscope-bench-export-") as tmp:
        root = Path(tmp)
        ring_ids = make_drop(root / "drop", args.settlements)
        cfg = load_config(workspace=root / "ws", env={})
        store = DuckDBStore(cfg.store)
        store.ingest_drop(root / "drop", HeaderMapping())
        members = [{"type": "patient", "id": f"P{i:06d}", "role": "seller"} for i in range(400)]
        members += [{"type": "facility", "id": "F05", "role": "reseller"}]
        doc = {"contract": 1, "generated_at": "2026-03-01T00:00:00+08:00", "run_id": "RUN-BENCH",
               "rings": [{"ring_id": "R-BENCH", "scheme": "trace_resale", "score": 0.9, "members": members,
                          "fund_loss": 0, "settlement_ids": ring_ids, "claim_ids": [], "evidence": []}]}
        (root / "ws" / "rings.json").write_text(json.dumps(doc), encoding="utf-8")

        def once(i: int) -> tuple[float, Path]:
            t0 = time.perf_counter()
            out = build_referral(store, "R-BENCH", root / f"case{i}.zip", user="bench", config=cfg)
            return time.perf_counter() - t0, out

        first, out = once(0)
        times = [once(i + 1)[0] for i in range(args.repeat)]
        median = statistics.median(times)
        size = out.stat().st_size
        ok = verify_package(out).ok
        store.close()
    rows = [
        ("first run in a fresh process (loads WeasyPrint, fonts, matplotlib)", first),
        (f"median of {args.repeat} further runs", median),
    ]
    if args.markdown:
        print(f"| what ({args.settlements:,} settlements in the ring) | seconds | target |")
        print("|---|---:|---:|")
        for what, s in rows:
            print(f"| {what} | {s:.1f} | < {TARGET_S:.0f} |")
        print(f"\nPackage: {size / 1e6:.1f} MB, verify {'passes' if ok else 'FAILS'}; runs: "
              + ", ".join(f"{t:.1f}" for t in times) + " s.")
    else:
        for what, s in rows:
            print(f"{what}: {s:.2f} s")
        print(f"package {size:,} bytes, verify ok={ok}, runs={['%.2f' % t for t in times]}")
    return 0 if median < TARGET_S and ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
