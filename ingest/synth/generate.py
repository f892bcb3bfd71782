"""``generate_drop``: one complete contract drop plus its ground truth."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ringscope.ingest.synth.drg.truth import drg_drift_table, drg_truth_tables
from ringscope.ingest.synth.render import Renderer
from ringscope.ingest.synth.settings import GeneratorSettings
from ringscope.ingest.synth.simulation import Progress, Simulation, simulate
from ringscope.ingest.synth.writer import DropWriter, write_csv

EPOCH = dt.date(1970, 1, 1)


@dataclass
class GenerationSummary:
    """What was written: rows per table, rings per scheme, truth sizes."""

    out_dir: Path
    patients: int
    seed: int
    start_date: dt.date
    days: int
    rows: dict[str, int] = field(default_factory=dict)
    rings: dict[str, int] = field(default_factory=dict)
    ring_members: int = 0
    ring_transactions: int = 0
    fund_loss: float = 0.0
    hard_negatives: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


def generate_drop(out_dir: Path, patients: int, seed: int, *, start_date: dt.date = dt.date(2026, 1, 5),
                  days: int = 182, progress: Progress | None = None,
                  settings: GeneratorSettings | None = None) -> GenerationSummary:
    """Write a synthetic drop (every contract table as CSV) and ``truth/``.

    Same arguments and seed give byte-identical files.

    >>> generate_drop(Path("/tmp/drop"), patients=2_000, seed=7)  # doctest: +SKIP
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    sim = simulate(settings or GeneratorSettings(), patients, seed, epoch_day(start_date), days, progress)
    world = sim.world
    renderer = Renderer(world)
    writer = DropWriter(out_dir)
    try:
        write_reference(writer, renderer, sim, None, world.end)
        if sim.drg_groups is not None:
            writer.write("drg_groups", sim.drg_groups.table())
        for settlements, dispensings in sim.fact_blocks(progress):
            writer.write("settlements", renderer.settlements(settlements))
            writer.write("dispensings", renderer.dispensings(dispensings))
        writer.write("maternity_claims", renderer.claims(sim.claims))
    finally:
        writer.close()
    summary = GenerationSummary(out_dir, patients, seed, start_date, days, rows=dict(writer.rows),
                                rings=dict(sim.rings_per_scheme))
    write_truth(out_dir / "truth", sim, renderer, world.end, summary)
    summary.seconds = time.perf_counter() - began
    if progress:
        progress("done", 1.0)
    return summary


def write_reference(writer: DropWriter, renderer: Renderer, sim: Simulation, since: int | None, until: int) -> None:
    """Reference rows that are new or changed in [since, until); all rows
    known before ``until`` when ``since`` is None (a first or single drop)."""
    world = sim.world
    pop = world.pop
    first = since is None
    lo = -(10**9) if since is None else since

    def changed(day: np.ndarray) -> np.ndarray:
        return (day >= lo) & (day < until)

    people = np.arange(pop.size) if first else np.flatnonzero(changed(pop.death_day))
    writer.write("patients", renderer.patients(people, until))
    n_cards = len(pop.card_holder)
    cards = np.flatnonzero(changed(pop.card_issued) | (changed(pop.card_cancelled_on) if not first
                                                       else np.zeros(n_cards, bool)))
    writer.write("cards", renderer.cards(cards, until))
    if first:
        writer.write("facilities", renderer.facilities())
        writer.write("prescribers", renderer.prescribers())
        writer.write("drugs", renderer.drugs())
    else:
        writer.write("facilities", renderer.facilities().slice(0, 0))
        writer.write("prescribers", renderer.prescribers().slice(0, 0))
        writer.write("drugs", renderer.drugs().slice(0, 0))
    registered = np.array(world.employers.registered, dtype=np.int64)
    writer.write("employers", renderer.employers(np.flatnonzero(changed(registered))))
    start_on = np.array(world.jobs.start, dtype=np.int64)
    end_on = np.array(world.jobs.end, dtype=np.int64)
    jobs = changed(start_on) | ((~first) & changed(end_on) & (start_on < lo))
    writer.write("employments", renderer.employments(np.flatnonzero(jobs), until))


def write_truth(folder: Path, sim: Simulation, renderer: Renderer, cutoff: int,
                summary: GenerationSummary | None = None, drg: bool = True) -> None:
    """Ring truth cut at ``cutoff``; with ``drg``, the DRG cases of the whole period (a single drop:
    DRG truth is not cut by week, so the weekly series leaves it out)."""
    rings, ring_settlements, hard = sim.truth.tables(cutoff, renderer.facility_id)
    write_csv(folder / "rings.csv", rings)
    write_csv(folder / "ring_settlements.csv", ring_settlements)
    write_csv(folder / "hard_negatives.csv", hard)
    write_csv(folder / "ring_variants.csv", sim.truth.variant_table(cutoff))
    if drg and sim.drg_truth is not None:
        cases, lookalikes = drg_truth_tables(sim.drg_truth, renderer.facility_id)
        write_csv(folder / "drg_cases.csv", cases)
        write_csv(folder / "drg_lookalikes.csv", lookalikes)
        write_csv(folder / "drg_drift.csv", drg_drift_table(sim.drg_truth, renderer.facility_id))
    if summary is not None:
        summary.ring_members = rings.num_rows
        summary.ring_transactions = ring_settlements.num_rows
        summary.fund_loss = float(sum(float(x) for x in ring_settlements.column("loss").to_pylist()))
        summary.hard_negatives = dict(sorted(Counter(hard.column("kind").to_pylist()).items()))
        summary.rows.update({"truth/rings": rings.num_rows, "truth/ring_settlements": ring_settlements.num_rows,
                             "truth/hard_negatives": hard.num_rows})
