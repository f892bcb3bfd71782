"""``generate_weekly_series``: the same simulated world delivered week by week.

``out_dir/week-01/`` ... each hold a complete contract drop of that week's
new rows: fact rows (settlements, dispensings, maternity claims) settled
that week only; reference rows that are new or changed that week (week 1
holds everything known at its end, later weeks a death, a replaced or
cancelled card, a newly registered employer, a job that started or ended),
and ``truth/`` cumulative as of the end of that week.  Rings appear, grow,
merge (the absorbed ring is listed under the survivor from the merge week
on, with the union of members) and stop; ``series.json`` says which ring
did what in which week, so that tests of ring-ID stability across growing
data can be written against it.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ringscope.ingest.synth.facts import DAY, subset
from ringscope.ingest.synth.generate import GenerationSummary, epoch_day, write_reference, write_truth
from ringscope.ingest.synth.render import Renderer
from ringscope.ingest.synth.settings import GeneratorSettings
from ringscope.ingest.synth.simulation import Progress, simulate
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.writer import DropWriter


@dataclass
class WeeklySeriesSummary:
    out_dir: Path
    patients: int
    seed: int
    weeks: list[GenerationSummary] = field(default_factory=list)
    rings: dict[str, int] = field(default_factory=dict)
    series: dict = field(default_factory=dict)
    seconds: float = 0.0


def week_folder(out_dir: Path, week: int) -> Path:
    return Path(out_dir) / f"week-{week:02d}"


def generate_weekly_series(out_dir: Path, patients: int, seed: int, weeks: int, *,
                           start_date: dt.date = dt.date(2026, 1, 5), progress: Progress | None = None,
                           settings: GeneratorSettings | None = None) -> WeeklySeriesSummary:
    """Write ``weeks`` weekly drops, their cumulative truth and ``series.json``."""
    if weeks < 2:
        raise ValueError(f"a weekly series needs at least 2 weeks, got {weeks}")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    start = epoch_day(start_date)
    sim = simulate(settings or GeneratorSettings(), patients, seed, start, weeks * 7, progress)
    renderer = Renderer(sim.world)
    writers = [DropWriter(week_folder(out_dir, w + 1)) for w in range(weeks)]
    try:
        for w, writer in enumerate(writers):
            since = None if w == 0 else start + 7 * w
            write_reference(writer, renderer, sim, since, start + 7 * (w + 1))
            if sim.drg_groups is not None:  # the DRG catalogue comes with the first week (contract 1.1)
                groups = sim.drg_groups.table()
                writer.write("drg_groups", groups if w == 0 else groups.slice(0, 0))
        for settlements, dispensings in sim.fact_blocks(progress):
            s_week = (settlements.t // DAY - start) // 7
            order = np.argsort(settlements.sid)
            d_week = s_week[order[np.searchsorted(settlements.sid[order], dispensings.sid)]]
            for w, writer in enumerate(writers):
                writer.write("settlements", renderer.settlements(subset(settlements, s_week == w)))
                writer.write("dispensings", renderer.dispensings(subset(dispensings, d_week == w)))
        c_week = (sim.claims.claimed - start) // 7
        for w, writer in enumerate(writers):
            writer.write("maternity_claims", renderer.claims(subset(sim.claims, c_week == w)))
    finally:
        for writer in writers:
            writer.close()
    summary = WeeklySeriesSummary(out_dir, patients, seed, rings=dict(sim.rings_per_scheme))
    for w, writer in enumerate(writers):
        week = GenerationSummary(writer.folder, patients, seed, start_date + dt.timedelta(days=7 * w), 7,
                                 rows=dict(writer.rows), rings=dict(sim.rings_per_scheme))
        write_truth(writer.folder / "truth", sim, renderer, start + 7 * (w + 1), week, drg=False)
        summary.weeks.append(week)
    summary.series = describe_series(sim.truth, start, weeks, start_date)
    (out_dir / "series.json").write_text(json.dumps(summary.series, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    summary.seconds = time.perf_counter() - began
    if progress:
        progress("done", 1.0)
    return summary


def _members_at(truth: Truth, cutoff: int) -> dict[str, set]:
    rings: dict[str, set] = {}
    for (ring, etype, index), (_, day) in truth.members.items():
        if day < cutoff:
            rings.setdefault(truth.survivor(ring, cutoff), set()).add((etype, index))
    return rings


def describe_series(truth: Truth, start: int, weeks: int, start_date: dt.date) -> dict:
    """Per week: which truth rings are new, grown, merged, dissolved, active.

    - new: listed in this week's truth and not in last week's;
    - grown: listed in both, with more members now (a survivor grows too);
    - merged: {survivor, absorbed} pairs whose merge happened this week;
    - dissolved: rings whose last fraudulent transaction was last week (no
      activity from this week on; they stay in the cumulative truth);
    - active: rings with at least one fraudulent transaction this week.
    """
    final = start + 7 * weeks
    last_day: dict[str, int] = {}
    first_day: dict[str, int] = {}
    for ring, _, _, _, day in truth.txns:
        ring_final = truth.survivor(ring, final)
        last_day[ring_final] = max(last_day.get(ring_final, day), day)
        first_day[ring] = min(first_day.get(ring, day), day)
    out_weeks = []
    previous: dict[str, set] = {}
    for w in range(weeks):
        lo, hi = start + 7 * w, start + 7 * (w + 1)
        current = _members_at(truth, hi)
        active = sorted({truth.survivor(r, hi) for r, _, _, _, d in truth.txns if lo <= d < hi})
        merged = sorted(({"survivor": s, "absorbed": b} for b, (s, d) in truth.merges.items()
                         if lo <= d < hi and b in previous), key=lambda m: m["absorbed"])
        out_weeks.append({
            "week": w + 1,
            "folder": f"week-{w + 1:02d}",
            "from": (start_date + dt.timedelta(days=7 * w)).isoformat(),
            "to": (start_date + dt.timedelta(days=7 * w + 6)).isoformat(),
            "rings": len(current),
            "new": sorted(set(current) - set(previous)),
            "grown": sorted(r for r in current if r in previous and len(current[r]) > len(previous[r])),
            "merged": merged,
            "dissolved": sorted(r for r, d in last_day.items() if lo - 7 <= d < lo and r in current),
            "active": active,
        })
        previous = current
    rings = {}
    for ring, scheme in sorted(truth.scheme_of.items()):
        if ring not in first_day:
            continue
        merge = truth.merges.get(ring)
        merge_week = (merge[1] - start) // 7 + 1 if merge and merge[1] < final else None
        rings[ring] = {
            "scheme": scheme,
            "first_week": (first_day[ring] - start) // 7 + 1,
            "last_active_week": (last_day[truth.survivor(ring, final)] - start) // 7 + 1
            if merge_week is None else merge_week,
            "merged_into": merge[0] if merge and merge_week else None,
            "merge_week": merge_week,
        }
    return {"weeks": out_weeks, "rings": rings}
