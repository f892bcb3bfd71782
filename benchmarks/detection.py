"""Detection quality and speed, next to two baselines in the same run.

Quality (per scheme, contract matching rule) on generated drops from seeds
never used while developing the detectors, plus the outside drop:

* RingScope: ``analytics.pipeline.run_detection`` (default settings).
* Baseline A, no graph: one IsolationForest per scheme on per-entity tabular
  features (scikit-learn, seeded); flagged entities are grouped by their
  single most used facility / prescriber / employer into rings.
* Baseline B, plain community detection: Louvain (igraph multilevel, seeded)
  on the raw entity graph (patient–facility, card–device, card–operator,
  patient–prescriber, patient–employer edges weighted by counts); every
  community of 3–300 members is reported as a ``mixed`` ring.

Generality (issue 14), in the same run:

* every simulator family pooled (rings of a scheme counted over all its drops)
  next to its lowest per-drop F1: our generator's fresh seeds (``--seeds``), each
  ``--outside`` drop as a family of its own;
* at scale (ringscope only; the baselines do not scale): one drop of our generator
  (``--scale-patients``, 200k) and each ``--outside`` drop replicated to the same
  size (``benchmarks/replicate.py``: shared facilities, renamed people, shifted days);
* a clean drop of our generator with no rings planted (``--clean-patients``):
  every reported ring there is a false alarm, given per 100,000 patients.

Speed: detect wall time and peak memory at 10k and 100k patients (and 1M
with ``--million``), each in its own process so memory is measured alone.

Usage::

    python benchmarks/detection.py --data /tmp/rsdata --seeds 2024 2025 \
        --outside /work/shared/datasets/outside-a /work/shared/datasets/outside-b \
        --scale-patients 200000 --clean-patients 20000 --timing 10000 100000 --write-readme

Generated drops are cached in ``--data`` (``eval-s<seed>-<n>``, ``time-s<seed>-<n>``).
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.evaluation import DetectedRing, evaluate, load_truth, precision_recall_f1
from ringscope.analytics.pipeline import provisional_ids, run_detection
from ringscope.ingest.contract import SCHEMES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
TIMING_SEEDS = {10_000: 501, 100_000: 502, 1_000_000: 504}  # never in the 20k quality table


def ensure_drop(data: Path, kind: str, seed: int, patients: int, plant_rings: bool = True) -> Path:
    folder = data / f"{kind}-s{seed}-{patients // 1000}k"
    if not (folder / "settlements.csv").exists() and not (folder / "settlements.parquet").exists():
        from dataclasses import replace

        from ringscope.ingest.synth import GeneratorSettings, generate_drop

        generate_drop(folder, patients, seed, settings=replace(GeneratorSettings(), plant_rings=plant_rings))
    return folder


def ensure_replica(data: Path, outside: Path, patients: int) -> Path:
    """``outside`` replicated to about ``patients`` people (see benchmarks/replicate.py)."""
    from replicate import replicate_drop

    with open(outside / "patients.csv", encoding="utf-8-sig") as fh:
        base = sum(1 for _ in fh) - 1
    copies = max(2, round(patients / max(base, 1)))
    folder = data / f"{outside.name}-x{copies}"
    if not (folder / "settlements.csv").exists():
        replicate_drop(outside, folder, copies)
    return folder


def family(drop: Path) -> str:
    """The simulator family a drop belongs to: our generator's eval drops, else the drop itself."""
    return "ours (generated)" if drop.name.startswith("eval-") else drop.name


# --- RingScope ------------------------------------------------------------------

def ringscope_rings(con) -> list[DetectedRing]:
    rings = provisional_ids(run_detection(con).rings)
    return [DetectedRing(r.ring_id, r.scheme, set(r.member_keys()), r.fund_loss, r.score) for r in rings]


# --- Baseline A: IsolationForest per entity, no graph ----------------------------------

_ENTITY_FEATURES = {
    # scheme: (SQL giving entity key, group key, group member key, features...)
    "trace_resale": """
        SELECT 'patient:' || s.patient_id AS member, 'facility:' || arg_max(s.facility_id, s.fund_paid) AS grp,
               count(*) AS n, count(d.trace_code) AS traced, sum(s.fund_paid)::DOUBLE AS fund,
               count(DISTINCT s.facility_id) AS facilities
        FROM settlements s LEFT JOIN dispensings d USING (settlement_id)
        WHERE s.patient_id IS NOT NULL GROUP BY s.patient_id""",
    "borrowed_cards": """
        SELECT 'card:' || s.card_id AS member, 'facility:' || mode(s.facility_id) AS grp,
               count(*) AS n, count(DISTINCT s.facility_id) AS facilities,
               avg(CASE WHEN left(p.region_code, 4) <> left(f.region_code, 4) THEN 1 ELSE 0 END) AS far,
               count(DISTINCT s.operator_id) AS operators, count(DISTINCT s.device_id) AS devices
        FROM settlements s JOIN cards c USING (card_id) JOIN patients p ON p.patient_id = c.patient_id
        JOIN facilities f ON f.facility_id = s.facility_id GROUP BY s.card_id""",
    "car_shuttle": """
        SELECT 'patient:' || s.patient_id AS member, 'facility:' || mode(s.facility_id) AS grp,
               count(*) AS n, avg(CAST(s.self_paid AS DOUBLE) / nullif(CAST(s.total_amount AS DOUBLE), 0)) AS self_share,
               avg(date_diff('day', s.admitted_on, s.discharged_on)) AS stay, sum(s.fund_paid)::DOUBLE AS fund
        FROM settlements s WHERE s.kind = 'inpatient' AND s.patient_id IS NOT NULL GROUP BY s.patient_id""",
    "over_prescription": """
        SELECT 'patient:' || s.patient_id AS member, 'prescriber:' || mode(s.prescriber_id) AS grp,
               count(*) AS n, sum(d.quantity / nullif(dr.max_daily_units, 0)) AS supply_days,
               date_diff('day', min(s.settled_at), max(s.settled_at)) + 30 AS span, sum(s.fund_paid)::DOUBLE AS fund
        FROM settlements s JOIN dispensings d USING (settlement_id) JOIN drugs dr USING (drug_code)
        WHERE s.patient_id IS NOT NULL AND s.prescriber_id IS NOT NULL GROUP BY s.patient_id""",
    "maternity": """
        SELECT 'patient:' || m.patient_id AS member, 'employer:' || m.employer_id AS grp,
               CAST(m.amount AS DOUBLE) AS amount, coalesce(CAST(m.salary_base AS DOUBLE), 0) AS salary,
               coalesce(date_diff('day', e.registered_on, m.claimed_on), 9999) AS employer_age,
               coalesce((SELECT min(date_diff('day', em.start_on, m.claimed_on)) FROM employments em
                         WHERE em.patient_id = m.patient_id AND em.employer_id = m.employer_id), 9999) AS tenure
        FROM maternity_claims m LEFT JOIN employers e USING (employer_id)""",
}


def isolation_forest_rings(con, seed: int = 42, contamination: float = 0.01) -> list[DetectedRing]:
    from sklearn.ensemble import IsolationForest

    out: list[DetectedRing] = []
    for scheme, sql in _ENTITY_FEATURES.items():
        df = con.execute(sql).df()
        if len(df) < 10:
            continue
        X = df.drop(columns=["member", "grp"]).astype(float).fillna(0.0).to_numpy()
        flags = IsolationForest(random_state=seed, contamination=contamination).fit_predict(X) == -1
        groups: dict[str, set[str]] = {}
        for member, grp, flag in zip(df["member"], df["grp"], flags):
            if flag and isinstance(grp, str):
                groups.setdefault(grp, set()).add(member)
        for i, (grp, members) in enumerate(sorted(groups.items())):
            out.append(DetectedRing(f"IF-{scheme}-{i}", scheme, members | {grp}, fund_loss=0))  # type: ignore[arg-type]
    return out


# --- Baseline B: Louvain on the raw entity graph -----------------------------------------

_RAW_EDGES = """
SELECT 'patient:' || patient_id, 'facility:' || facility_id, count(*) FROM settlements WHERE patient_id IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'card:' || card_id, 'device:' || device_id, count(*) FROM settlements WHERE device_id IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'card:' || card_id, 'operator:' || operator_id, count(*) FROM settlements WHERE operator_id IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'card:' || card_id, 'patient:' || patient_id, 1 FROM cards
UNION ALL SELECT 'patient:' || patient_id, 'prescriber:' || prescriber_id, count(*) FROM settlements
          WHERE prescriber_id IS NOT NULL AND patient_id IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'patient:' || patient_id, 'employer:' || employer_id, count(*) FROM maternity_claims GROUP BY ALL
"""


def louvain_rings(con, seed: int = 42) -> list[DetectedRing]:
    import random

    import igraph as ig

    rows = con.execute(_RAW_EDGES).fetchall()
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {n: i for i, n in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b, _ in rows])
    g.es["weight"] = [float(w) for _, _, w in rows]
    random.seed(seed)
    ig.set_random_number_generator(random)
    parts = g.community_multilevel(weights="weight")
    out = []
    for i, part in enumerate(parts):
        members = {names[v] for v in part if not names[v].startswith("operator:")}
        if 3 <= len(members) <= 300:
            out.append(DetectedRing(f"LV-{i}", "mixed", members, fund_loss=0))  # type: ignore[arg-type]
    return out


# --- quality run ---------------------------------------------------------------------

def quality(drop: Path) -> dict[str, Any]:
    con = connect_drop(drop)
    truth = load_truth(drop)
    t0 = time.perf_counter()
    ours = ringscope_rings(con)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    iso = isolation_forest_rings(con)
    t_iso = time.perf_counter() - t0
    t0 = time.perf_counter()
    louv = louvain_rings(con)
    t_louv = time.perf_counter() - t0
    con.close()
    return {
        "drop": str(drop),
        "ringscope": dict(evaluate(truth, ours), seconds=round(t_ours, 2)),
        "isolation_forest": dict(evaluate(truth, iso), seconds=round(t_iso, 2)),
        "louvain": dict(evaluate(truth, louv), seconds=round(t_louv, 2)),
    }


def quality_ringscope_only(drop: Path, memory_limit: str) -> dict[str, Any]:
    """Ring quality on a drop too large for the baselines (the 1M timing drop)."""
    con = connect_drop(drop)
    if memory_limit:
        con.execute("SET memory_limit = $limit", {"limit": memory_limit})
    report = evaluate(load_truth(drop), ringscope_rings(con))
    con.close()
    return dict(report, drop=str(drop))


def clean_false_alarms(drop: Path) -> dict[str, Any]:
    """Rings reported on a drop with no fraud planted: every one is a false alarm."""
    con = connect_drop(drop)
    patients = con.execute("SELECT count(*) FROM patients").fetchall()[0][0]
    rings = ringscope_rings(con)
    con.close()
    per_scheme = {s: sum(1 for r in rings if r.scheme == s) for s in list(SCHEMES) + ["mixed"]}
    return {"drop": str(drop), "patients": patients, "rings": len(rings), "per_scheme": per_scheme,
            "per_100k": round(len(rings) * 100_000 / max(patients, 1), 2)}


# --- timing run (child process) -------------------------------------------------------

def timing_child(drop: Path, memory_limit: str) -> dict[str, Any]:
    """Load the drop into a DuckDB file (like the workspace catalogue), then detect under a memory limit."""
    import duckdb

    from ringscope.analytics.contract_tables import load_drop

    db = drop.parent / f"{drop.name}.duckdb"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{drop.parent / 'duckdb_spill'}'")
    load_drop(con, drop)
    load_s = time.perf_counter() - t0
    settlements = con.execute("SELECT count(*) FROM settlements").fetchall()[0][0]
    t0 = time.perf_counter()
    result = run_detection(con)
    detect_s = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    con.close()
    db.unlink(missing_ok=True)
    return {"drop": str(drop), "settlements": settlements, "load_s": round(load_s, 1), "detect_s": round(detect_s, 1),
            "rings": len(result.rings), "per_detector_s": result.timings, "peak_rss_gib": round(peak_kib / 1024 ** 2, 2),
            "memory_limit": memory_limit or "DuckDB default (80% of RAM)"}


def timing(drop: Path, memory_limit: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--timing-child", str(drop), "--memory-limit", memory_limit],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------

def _f1_cell(report: dict[str, Any], scheme: str) -> str:
    row = report["per_scheme"].get(scheme)
    return "-" if row is None else f"{row['f1']:.2f}"


def pooled(reports: list[dict[str, Any]], scheme: str) -> dict[str, float]:
    """One scheme's rings over several drops counted together (micro-average).

    With three to five true rings per scheme in a 20k drop, one drop's F1 moves in
    steps of 0.1-0.2; the drops together give the detector's rate, and the per-drop
    minimum and the count of drops at or above 0.9 sit next to it.
    """
    rows = [r["per_scheme"][scheme] for r in reports if scheme in r["per_scheme"]]
    matched = sum(r["matched"] for r in rows)
    true = sum(r["true_rings"] for r in rows)
    detected = sum(r["detected_rings"] for r in rows)
    per_drop = [r["f1"] for r in rows]
    return {"matched": matched, "true_rings": true, "detected_rings": detected,
            **precision_recall_f1(matched, detected, matched, true), "min_f1": min(per_drop, default=0.0),
            "drops_at_09": sum(1 for f in per_drop if f >= 0.9), "drops": len(per_drop)}


def _family_lines(reports: list[tuple[str, dict[str, Any]]], title: str) -> list[str]:
    """One row per simulator family: pooled F1 per scheme next to its lowest per-drop F1."""
    families: dict[str, list[dict[str, Any]]] = {}
    for fam, report in reports:
        families.setdefault(fam, []).append(report)
    if not families:
        return []
    lines = ["", title, "", "| family (drops) | " + " | ".join(SCHEMES) + " | hard-neg share | fund-loss err (median ring) |",
             "|" + "---|" * (len(SCHEMES) + 3)]
    for fam, reps in families.items():
        cells = []
        for scheme in SCHEMES:
            p = pooled(reps, scheme)
            cells.append(f"{p['f1']:.2f} (min {p['min_f1']:.2f}; P {p['precision']:.2f} R {p['recall']:.2f})")
        hn = sum(r["hard_negative_rings"] for r in reps) / max(1, sum(r["detected_rings"] for r in reps))
        errs = sorted(abs(m["detected_loss"] - m["true_loss"]) / m["true_loss"]
                      for r in reps for m in r["matches"] if m["true_loss"])
        med = f"{errs[len(errs) // 2]:.2%}" if errs else "-"
        lines.append(f"| {fam} ({len(reps)}) | " + " | ".join(cells) + f" | {hn:.1%} | {med} |")
    return lines


def _pooled_lines(results: dict[str, Any]) -> list[str]:
    reports = [(family(Path(q["drop"])), q["ringscope"]) for q in results["quality"]]
    lines = _family_lines(reports, "**Generality at 20k** — each simulator family pooled (rings of a scheme counted "
                          "over its drops); in brackets the lowest per-drop F1:")
    generated = [q for q in results["quality"] if Path(q["drop"]).name.startswith("eval-")]
    if generated:
        every = sum(1 for q in generated
                    if all(q["ringscope"]["per_scheme"].get(s, {}).get("f1", 0.0) >= 0.9 for s in SCHEMES))
        lines += ["", f"Generated drops where every scheme reaches F1 ≥ 0.9 (ringscope): {every} of {len(generated)}."]
    scale = [(Path(q["drop"]).name, q) for q in results.get("scale", [])]
    lines += _family_lines(scale, "**At scale** (ringscope only): our generator at 200k and each outside drop "
                           "replicated to the same size (benchmarks/replicate.py):")
    clean = results.get("clean")
    if clean:
        lines += ["", f"**Clean drop** ({Path(clean['drop']).name}: {clean['patients']:,} patients, no ring planted): "
                  f"{clean['rings']} ring(s) reported = **{clean['per_100k']} false rings per 100,000 patients**"
                  + "".join(f" ({', '.join(f'{k} {v}' for k, v in clean['per_scheme'].items() if v)})"
                            for _ in [0] if clean["rings"]) + "."]
    return lines


def markdown(results: dict[str, Any], command: str) -> str:
    lines = ["## Detection", "",
             f"`{command}` — measured {date.today().isoformat()} on this 2-core machine.",
             "Ring-level F1 per scheme under the contract's matching rule (Jaccard ≥ 0.5 on the types the true",
             "ring lists, same scheme or `mixed`, one-to-one). Hard-negative share: reported rings whose members",
             "are mostly planted look-alikes. Fund-loss error: mean |detected − true| / true over matched rings.",
             "Baselines in the same run: (A) IsolationForest per entity on tabular features, no graph, flagged",
             "entities grouped by their main facility/prescriber/employer; (B) Louvain on the raw entity graph,",
             "every community of 3–300 members reported as `mixed` (its per-scheme precision only counts matched",
             "rings, so read its overall precision).", ""]
    header = "| drop | method | " + " | ".join(SCHEMES) + " | overall P | overall R | hard-neg share | fund-loss err |"
    lines += [header, "|" + "---|" * (len(SCHEMES) + 6)]
    for q in results["quality"]:
        name = Path(q["drop"]).name
        for method in ("ringscope", "isolation_forest", "louvain"):
            r = q[method]
            err = r["fund_loss_error_mean"]
            bold = "**" if method == "ringscope" else ""
            lines.append(
                f"| {name} | {bold}{method}{bold} | " + " | ".join(_f1_cell(r, s) for s in SCHEMES)
                + f" | {r['overall']['precision']:.2f} | {r['overall']['recall']:.2f} | {r['hard_negative_share']:.1%}"
                + f" | {'n/a' if method != 'ringscope' else ('-' if err is None else f'{err:.1%}')} |")
    lines += _pooled_lines(results)
    if results.get("timing"):
        lines += ["", "Detect time (all five detectors on a DuckDB file like the workspace catalogue, DuckDB",
                  f"memory_limit {results['timing'][0].get('memory_limit')}, one process per size; load = reading the",
                  "CSV drop into typed tables, not part of detect; peak RSS is the whole process):", "",
                  "| drop | settlements | load s | detect s | peak RSS GiB | rings | slowest detector |", "|---|---:|---:|---:|---:|---:|---|"]
        for t in results["timing"]:
            slow = max(((k, v) for k, v in t["per_detector_s"].items()), key=lambda kv: kv[1])
            lines.append(f"| {Path(t['drop']).name} | {t['settlements']:,} | {t['load_s']} | {t['detect_s']} | "
                         f"{t['peak_rss_gib']} | {t['rings']} | {slow[0]} {slow[1]:.1f}s |")
    big = results.get("quality_large")
    if big:
        lines += ["", f"Ring quality on {Path(big['drop']).name} (ringscope only; the baselines do not scale to it): "
                  f"precision {big['overall']['precision']:.2f}, recall {big['overall']['recall']:.2f}, "
                  f"hard-negative share {big['hard_negative_share']:.1%}, fund-loss error "
                  f"{big['fund_loss_error_mean']:.1%}; F1 " + ", ".join(f"{s} {_f1_cell(big, s)}" for s in SCHEMES) + "."]
    if results.get("notes"):
        lines += [""] + list(results["notes"])
    return "\n".join(lines) + "\n"


def write_readme_section(section: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    start = text.find("## Detection")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    README.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/rsdata"))
    ap.add_argument("--seeds", type=int, nargs="*", default=[2024, 2025])
    ap.add_argument("--patients", type=int, default=20000)
    ap.add_argument("--outside", type=Path, nargs="*", default=[])
    ap.add_argument("--timing", type=int, nargs="*", default=[10000, 100000])
    ap.add_argument("--million", action="store_true", help="also time 1,000,000 patients")
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    ap.add_argument("--memory-limit", default="10GB", help="DuckDB memory_limit for the timing runs ('' = default)")
    ap.add_argument("--million-quality", action="store_true",
                    help="also score ringscope's rings on the 1M timing drop (a few minutes)")
    ap.add_argument("--scale-patients", type=int, default=0,
                    help="also score ringscope at this size: one generated drop and each --outside replicated")
    ap.add_argument("--scale-seed", type=int, default=9901)
    ap.add_argument("--clean-patients", type=int, default=0, help="also count false rings on a clean drop this size")
    ap.add_argument("--clean-seed", type=int, default=9951)
    ap.add_argument("--notes", type=Path, default=None, help="markdown appended to the section (what the figures mean)")
    ap.add_argument("--timing-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.timing_child:
        print(json.dumps(timing_child(args.timing_child, args.memory_limit)))
        return
    results: dict[str, Any] = {"quality": [], "timing": []}
    if args.notes:
        results["notes"] = args.notes.read_text(encoding="utf-8").rstrip("\n").splitlines()
    drops = [ensure_drop(args.data, "eval", s, args.patients) for s in args.seeds] + list(args.outside)
    for drop in drops:
        q = quality(drop)
        results["quality"].append(q)
        r = q["ringscope"]
        print(f"{Path(drop).name}: " + ", ".join(f"{s} F1 {_f1_cell(r, s)}" for s in SCHEMES)
              + f"; hard-neg {r['hard_negative_share']:.1%}; fund-loss err {r['fund_loss_error_mean']}", flush=True)
    if args.scale_patients:
        results["scale"] = []
        big = [ensure_drop(args.data, "scale", args.scale_seed, args.scale_patients)]
        big += [ensure_replica(args.data, o, args.scale_patients) for o in args.outside]
        for drop in big:
            report = quality_ringscope_only(drop, args.memory_limit)
            results["scale"].append(report)
            print(f"{drop.name}: " + ", ".join(f"{s} F1 {_f1_cell(report, s)}" for s in SCHEMES), flush=True)
    if args.clean_patients:
        clean = ensure_drop(args.data, "clean", args.clean_seed, args.clean_patients, plant_rings=False)
        results["clean"] = clean_false_alarms(clean)
        print(f"{clean.name}: {results['clean']['per_100k']} false rings per 100k patients", flush=True)
    sizes = list(args.timing) + ([1_000_000] if args.million else [])
    for n in sizes:
        t = timing(ensure_drop(args.data, "time", TIMING_SEEDS.get(n, 500 + int(math.log10(n))), n), args.memory_limit)
        results["timing"].append(t)
        print(f"{n:,} patients: detect {t['detect_s']} s, peak {t['peak_rss_gib']} GiB", flush=True)
    if args.million_quality:
        large = ensure_drop(args.data, "time", TIMING_SEEDS[1_000_000], 1_000_000)
        results["quality_large"] = quality_ringscope_only(large, args.memory_limit)
        print(f"{large.name}: " + ", ".join(f"{s} F1 {_f1_cell(results['quality_large'], s)}" for s in SCHEMES), flush=True)
    command = "python benchmarks/detection.py " + " ".join(sys.argv[1:]).replace(" --write-readme", "")
    section = markdown(results, command)
    print(section)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    if args.write_readme:
        write_readme_section(section)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
