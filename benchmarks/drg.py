"""DRG payment screens (issue 18): case-level quality on fresh seeds, and their added detect time.

Quality: for each ``--seeds`` x ``--patients`` a fresh generated drop (``drg-s<seed>-<n>`` in
``--data``), loaded as contract tables, screened with default settings and scored against
``truth/drg_cases.csv`` by the contract 1.1 rule (violation and facility agree, settlement
Jaccard >= 0.5): per violation precision, recall, F1, median loss error, and cases touching a
planted look-alike (``truth/drg_lookalikes.csv``).  Cost shifting to the patient (the contract's
``cost_shifting`` at a fund loss of 0) is scored apart from shifting to the fund
(``label_patient_shifting``).  Targets: F1 >= 0.9 per violation, no case
on a look-alike, median loss error <= 1 %.

Time: on one drop of ``--timing`` patients, the baseline is the ring detection run
(``analytics.pipeline.run_detection``, every scheme) and the contender the three DRG screens on
the same connection, ``--repeat`` times; the ratio of medians is the time the screens add
(target <= 20 % at 1M patients).

Usage::

    python benchmarks/drg.py --data /tmp/drgbench --seeds 7101 7102 7103 --patients 20000 200000
    python benchmarks/drg.py --data /tmp/drgbench --timing 1000000 --repeat 1
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.drg.case import VIOLATIONS
from ringscope.analytics.drg.evaluation import (
    PATIENT,
    evaluate_drg,
    label_patient_shifting,
    load_drg_truth,
    load_lookalikes,
)
from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.pipeline import run_detection
from ringscope.ingest.synth import generate_drop

LABELS = (*VIOLATIONS, PATIENT)
"""Cost shifting is scored twice: to the fund (``cost_shifting``) and to the patient, apart."""


def drop_for(data: Path, seed: int, patients: int) -> Path:
    """A generated drop, cached by seed and size."""
    folder = data / f"drg-s{seed}-{patients}"
    if not (folder / "truth" / "drg_cases.csv").exists():
        generate_drop(folder, patients=patients, seed=seed)
    return folder


def quality(data: Path, seeds: list[int], sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for patients in sizes:
        for seed in seeds:
            drop = drop_for(data, seed, patients)
            con = connect_drop(drop)
            t0 = time.perf_counter()
            result = run_drg_screens(con)
            seconds = time.perf_counter() - t0
            truth, detected = label_patient_shifting(load_drg_truth(drop) or {}, [c.to_json() for c in result.cases])
            report = evaluate_drg(truth, detected, load_lookalikes(drop), LABELS)
            for violation in LABELS:
                rows.append({"patients": patients, "seed": seed, "violation": violation, "seconds": seconds,
                             **report[violation]})
            con.close()
    return rows


def timing(data: Path, patients: int, repeat: int, seed: int = 7199) -> dict[str, float]:
    drop = drop_for(data, seed, patients)
    con = connect_drop(drop)
    rings_s, drg_s = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run_detection(con)
        rings_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run_drg_screens(con)
        drg_s.append(time.perf_counter() - t0)
    base, extra = statistics.median(rings_s), statistics.median(drg_s)
    settlements = con.execute("SELECT count(*) FROM settlements").fetchall()[0][0]
    return {"patients": patients, "settlements": settlements, "detect_s": base, "drg_s": extra,
            "added": extra / base}


def print_quality(rows: list[dict[str, Any]]) -> None:
    print("| patients | seed | violation | true | detected | matched | precision | recall | F1 | median loss error "
          "| on look-alike | screens s |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        err = "-" if r["median_loss_error"] is None else f"{r['median_loss_error']:.2%}"
        print(f"| {r['patients']:,} | {r['seed']} | {r['violation']} | {r['true']} | {r['detected']} | {r['matched']} "
              f"| {r['precision']:.3f} | {r['recall']:.3f} | **{r['f1']:.3f}** | {err} | {r['on_lookalike']} "
              f"| {r['seconds']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="*", default=[])
    parser.add_argument("--patients", type=int, nargs="*", default=[20_000])
    parser.add_argument("--timing", type=int, default=0, help="patients of the timing drop (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    if args.seeds:
        print_quality(quality(args.data, args.seeds, args.patients))
    if args.timing:
        t = timing(args.data, args.timing, args.repeat)
        print(f"| {t['patients']:,} | {t['settlements']:,} | {t['detect_s']:.1f} | {t['drg_s']:.1f} | "
              f"**{t['added']:.1%}** |")


if __name__ == "__main__":
    main()
