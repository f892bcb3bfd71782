"""One simulated period: the world, the planted rings and hard negatives,
and a stream of fact blocks ready to write.

Planting happens before background generation so that planted people can be
adjusted (a nursing home address, a delivery date) before their ordinary
activity is drawn, and so that settlement numbers of planted rows are
interleaved with ordinary ones (rows are sorted by time within each block).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ringscope.ingest.synth.background import background_chunk, plan_background
from ringscope.ingest.synth.employers import ordinary_claims
from ringscope.ingest.synth.facts import Claims, Dispensings, FactBuilder, Settlements, concat, length, subset
from ringscope.ingest.synth.settings import GeneratorSettings
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World, build_world

Progress = Callable[[str, float], None]


@dataclass
class Simulation:
    world: World
    truth: Truth
    planted_settlements: Settlements
    planted_dispensings: Dispensings
    claims: Claims
    rings_per_scheme: dict[str, int]
    drg_groups: Any = None
    """The DRG payment catalogue (``drg.groups.DrgGroups``), contract 1.1."""
    drg_truth: Any = None
    """Planted DRG cases and look-alikes (``drg.planting.DrgTruth``)."""

    @property
    def n_chunks(self) -> int:
        return max(1, -(-self.world.pop.size // self.world.settings.chunk_patients))

    def fact_blocks(self, progress: Progress | None = None) -> Iterator[tuple[Settlements, Dispensings]]:
        """Settlements and their lines, block by block, each block sorted by time."""
        world = self.world
        plan = plan_background(world)
        n_chunks, size = self.n_chunks, world.settings.chunk_patients
        ps, pd = self.planted_settlements, self.planted_dispensings
        p_chunk = np.arange(length(ps)) % n_chunks
        order = np.argsort(ps.sid)
        d_chunk = p_chunk[order[np.searchsorted(ps.sid[order], pd.sid)]] if length(pd) else np.zeros(0, int)
        for chunk in range(n_chunks):
            lo, hi = chunk * size, min(world.pop.size, (chunk + 1) * size)
            s, d = background_chunk(world, plan, chunk, lo, hi)
            s = concat([s, subset(ps, p_chunk == chunk)])
            d = concat([d, subset(pd, d_chunk == chunk)])
            s_order = np.lexsort((s.sid, s.t))
            s = subset(s, s_order)
            by_sid = np.argsort(s.sid)
            d_pos = by_sid[np.searchsorted(s.sid[by_sid], d.sid)] if length(d) else np.zeros(0, int)
            d = subset(d, np.lexsort((d.line, d_pos)))
            if progress:
                progress("facts", (chunk + 1) / n_chunks)
            yield s, d


def simulate(settings: GeneratorSettings, patients: int, seed: int, start: int, days: int,
             progress: Progress | None = None) -> Simulation:
    from ringscope.ingest.synth.drg.planting import plant_drg
    from ringscope.ingest.synth.hard_negatives import plant_hard_negatives
    from ringscope.ingest.synth.schemes.planting import plant_rings

    if patients < 500:
        raise ValueError(f"patients must be at least 500 to plant every scheme, got {patients}")
    if days < 14:
        raise ValueError(f"days must be at least 14, got {days}")
    world = build_world(settings, patients, seed, start, days)
    if progress:
        progress("population", 1.0)
    truth = Truth()
    builder = FactBuilder(world.counters, world.records_device, world.records_operator)
    rings = plant_rings(world, builder, truth)
    plant_hard_negatives(world, builder, truth)
    drg_groups, drg_truth = plant_drg(world, builder)
    if progress:
        progress("rings", 1.0)
    planted_s, planted_d, planted_c = builder.batches()
    claims = concat([ordinary_claims(world.rng(6), world.regions, world.employers, world.jobs,
                                     world.delivery, world.start, world.days, world.counters), planted_c])
    claims = subset(claims, np.lexsort((claims.claim, claims.claimed)))
    return Simulation(world, truth, planted_s, planted_d, claims, rings, drg_groups, drg_truth)
