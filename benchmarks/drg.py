"""DRG payment screens (issue 18): case-level quality on fresh seeds, and their added detect time.

Quality: for each ``--seeds`` x ``--patients`` a fresh generated drop (``drg-s<seed>-<n>`` in
``--data``), loaded as contract tables, screened with default settings and scored against
``truth/drg_cases.csv`` by the contract 1.1 rule (violation and facility agree, settlement
Jaccard >= 0.5): per violation precision, recall, F1, median loss error, and cases touching a
planted look-alike (``truth/drg_lookalikes.csv``).  Cost shifting to the patient (the contract's
``cost_shifting`` at a fund loss of 0) is scored apart from shifting to the fund
(``label_patient_shifting``).  Targets: F1 >= 0.9 per violation, no case
on a look-alike, median loss error <= 1 %.

Coding drift (the contract has no case type for it: a drifting unit's up-coded stays are
``up_coding`` cases) is scored apart, per unit (prescriber, institution).  A unit is called
drifting when an up-coding case carries its drift evidence with ``drifting`` true.  It is
drifting by the truth when the generator up-coded at least ``drift_margin`` of its episodes in
ADRGs with several groups, over at least ``drift_min_episodes`` (``unit_truth``: the documented
call on the generator's labels; a doctor who received several scattered up-coded stays drifts as
much as a planted one).  The doctors of a planted drifting institution are not scored at the
prescriber level (``unscored``): they share the office's habit with the colleagues they are
compared with, and the institution is the unit that drifts.  Also shown: how many of the planted drifting units of
``truth/drg_drift.csv`` (ours) were called, and the planted look-alikes (``supported_case_mix``
doctors, ``sicker_case_mix`` tertiary hospitals) called (target: none).

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
import csv
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
from ringscope.analytics.settings import DrgSettings
from ringscope.ingest.synth import generate_drop

DRIFT_KINDS = ("institution_drift", "prescriber_drift")
LABELS = (*VIOLATIONS, PATIENT)
"""Cost shifting is scored twice: to the fund (``cost_shifting``) and to the patient, apart."""


def load_drift_truth(drop: Path) -> list[dict[str, str]]:
    path = drop / "truth" / "drg_drift.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def drift_calls(cases: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(unit, facility_id, prescriber_id or '') of every unit an up-coding case calls drifting."""
    return {(e["unit"], e["facility_id"], e.get("prescriber_id") or "") for c in cases
            for e in c.get("evidence") or [] if e.get("kind") in DRIFT_KINDS and e.get("drifting") == "true"}


def unit_truth(con: Any, truth: dict[str, dict[str, Any]], settings: DrgSettings) -> dict[tuple[str, str, str], bool]:
    """Every unit with a truly up-coded stay: is it drifting by the truth? (keys as ``drift_calls``)

    Its true unsupported share is its planted up-coded stays (``truth/drg_cases.csv``) over its
    inpatient episodes in ADRGs with several groups; drifting when that share is at least
    ``drift_margin`` over at least ``drift_min_episodes`` episodes (the documented call, made on the
    generator's labels instead of the screen's flags).
    """
    upcoded = [s for t in truth.values() if t["violation"] == "up_coding" for s in t["settlements"]]
    out: dict[tuple[str, str, str], bool] = {}
    for unit, key in (("institution", "''"), ("prescriber", "coalesce(s.prescriber_id, '')")):
        rows = con.execute(f"""
            SELECT s.facility_id, {key} AS prescriber, count(*) AS episodes,
                   count(*) FILTER (WHERE list_contains(?, s.settlement_id)) AS upcoded
            FROM settlements s JOIN drg_groups g ON g.drg_code = s.drg_code
            WHERE s.kind = 'inpatient' AND g.adrg IN (SELECT adrg FROM drg_groups GROUP BY adrg HAVING count(*) > 1)
            GROUP BY ALL HAVING count(*) FILTER (WHERE list_contains(?, s.settlement_id)) > 0
        """, [upcoded, upcoded]).fetchall()  # key: one of two fixed SQL expressions
        for facility, prescriber, episodes, up in rows:
            out[(unit, facility, prescriber)] = (episodes >= settings.drift_min_episodes
                                                 and up / episodes >= settings.drift_margin)
    return out


def score_drift(units: list[dict[str, str]], calls: set[tuple[str, str, str]],
                truth_units: dict[tuple[str, str, str], bool]) -> dict[str, dict[str, Any]]:
    """Per unit: drifting units by the truth found (P/R/F1), planted drifting units found, look-alikes called."""
    out = {}
    for unit in ("prescriber", "institution"):
        mine = [(unit, u["facility_id"], u["prescriber_id"] or "", u["planted"]) for u in units if u["unit"] == unit]
        planted = {k[:3] for k in mine if k[3] == "drifting"}
        lookalike = {k[:3] for k in mine if k[3] != "drifting"}
        # A drifting institution's doctors share its coding office's habit with the colleagues they are
        # compared with: at the prescriber level they are neither expected nor wrong (the institution is).
        offices = {u["facility_id"] for u in units if u["unit"] == "institution" and u["planted"] == "drifting"}
        unscored = {k for k in (*truth_units, *calls) if k[0] == unit and unit == "prescriber" and k[1] in offices}
        true = {k for k, drifting in truth_units.items() if drifting and k[0] == unit} - unscored
        called = {c for c in calls if c[0] == unit} - unscored
        tp = len(called & true)
        p = tp / len(called) if called else 1.0
        r = tp / len(true) if true else 1.0
        out[unit] = {"true": len(true), "called": len(called), "matched": tp, "precision": p, "recall": r,
                     "f1": 2 * p * r / (p + r) if p + r else 0.0, "planted": len(planted),
                     "planted_found": len(called & planted), "lookalikes": len(lookalike),
                     "on_lookalike": len(called & lookalike), "unscored": len(unscored)}
    return out


def drop_for(data: Path, seed: int, patients: int) -> Path:
    """A generated drop, cached by seed and size."""
    folder = data / f"drg-s{seed}-{patients}"
    if not (folder / "truth" / "drg_cases.csv").exists():
        generate_drop(folder, patients=patients, seed=seed)
    return folder


def quality(data: Path, seeds: list[int], sizes: list[int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    drift_rows: list[dict[str, Any]] = []
    for patients in sizes:
        for seed in seeds:
            drop = drop_for(data, seed, patients)
            con = connect_drop(drop)
            counted = {sid for ring in run_detection(con).rings for sid in ring.settlement_ids}
            t0 = time.perf_counter()
            result = run_drg_screens(con, ring_settlements=counted)  # as `ringscope detect` runs them
            seconds = time.perf_counter() - t0
            truth, detected = label_patient_shifting(load_drg_truth(drop) or {}, [c.to_json() for c in result.cases])
            report = evaluate_drg(truth, detected, load_lookalikes(drop), LABELS)
            for violation in LABELS:
                rows.append({"patients": patients, "seed": seed, "violation": violation, "seconds": seconds,
                             **report[violation]})
            drift = score_drift(load_drift_truth(drop), drift_calls(detected),
                                unit_truth(con, load_drg_truth(drop) or {}, DrgSettings()))
            drift_rows.extend({"patients": patients, "seed": seed, "unit": u, **d} for u, d in drift.items())
            con.close()
    return rows, drift_rows


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


def print_drift(rows: list[dict[str, Any]]) -> None:
    print("\n| patients | seed | drift unit | drifting (truth) | called | matched | precision | recall | F1 "
          "| planted drifting found | look-alikes called | unscored |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['patients']:,} | {r['seed']} | {r['unit']} | {r['true']} | {r['called']} | {r['matched']} "
              f"| {r['precision']:.3f} | {r['recall']:.3f} | **{r['f1']:.3f}** | {r['planted_found']}/{r['planted']} "
              f"| {r['on_lookalike']}/{r['lookalikes']} | {r['unscored']} |")


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
        cases, drift = quality(args.data, args.seeds, args.patients)
        print_quality(cases)
        print_drift(drift)
    if args.timing:
        t = timing(args.data, args.timing, args.repeat)
        print(f"| {t['patients']:,} | {t['settlements']:,} | {t['detect_s']:.1f} | {t['drg_s']:.1f} | "
              f"**{t['added']:.1%}** |")


if __name__ == "__main__":
    main()
