"""When rings start, grow, merge and stop.

A ring starts on some day, recruits part of its members at once and the
rest over time (growth), may go quiet before the period ends (stop), and a
few rings are absorbed by another ring of the same scheme (merge): from the
merge day the absorbed ring's members work through the survivor's hub (its
pharmacies, devices, institution, agent), so the two become one connected
ring, listed under the survivor's ring_id.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ringscope.ingest.synth.world import World

ABBREVIATION = {"trace_resale": "TR", "borrowed_cards": "BC", "car_shuttle": "CS",
                "over_prescription": "OP", "maternity": "MA"}


@dataclass
class RingPlan:
    ring_id: str
    scheme: str
    start: int                  # epoch day of first activity
    end: int                    # first epoch day without activity
    size: int                   # intended number of core members
    join: np.ndarray            # per member slot: day it joins (sorted)
    survivor: "RingPlan | None" = None
    merge_day: int | None = None
    hub: dict = field(default_factory=dict)
    variants: set = field(default_factory=set)
    """Names of the variants this ring follows (see ``variants.py``); a
    planter drops a name it could not apply."""

    def hub_at(self, day: int) -> dict:
        """Hub the ring works through on ``day`` (the survivor's after a merge)."""
        if self.survivor is not None and self.merge_day is not None and day >= self.merge_day:
            return self.survivor.hub_at(day)
        return self.hub


def ring_count(world: World, scheme: str) -> int:
    s = world.settings
    return max(s.min_rings_per_scheme,
               int(round(world.pop.size / s.patients_per_ring * s.scheme_weights[scheme])))


def plan_rings(world: World, scheme: str, rng: np.random.Generator) -> list[RingPlan]:
    s = world.settings
    n = ring_count(world, scheme)
    lo, hi = s.ring_size
    plans = []
    for k in range(n):
        size = int(np.clip(round(np.exp(rng.uniform(np.log(lo), np.log(hi)))), lo, hi))
        start = world.start + (0 if rng.random() < 0.3 else int(rng.integers(0, max(1, int(world.days * 0.5)))))
        end = world.end
        if rng.random() < s.stop_early_share and world.days >= 28:
            end = min(world.end - 14, start + int(world.days * rng.uniform(0.3, 0.6)))
            end = max(end, start + 14)
        join = _join_days(rng, size, start, end)
        plans.append(RingPlan(f"{ABBREVIATION[scheme]}-{k + 1:04d}", scheme, start, end, size, join))
    _plan_merges(world, plans, rng)
    return plans


def _join_days(rng, size: int, start: int, end: int) -> np.ndarray:
    founders = max(2, int(np.ceil(size * rng.uniform(0.4, 0.7))))
    later_span = max(1, end - 7 - start)
    join = np.concatenate([start + rng.integers(0, 4, founders),
                           start + 7 + rng.integers(0, later_span, max(0, size - founders))])
    return np.sort(np.minimum(join, end - 1))


def _plan_merges(world: World, plans: list[RingPlan], rng: np.random.Generator) -> None:
    """Pair rings: the absorbed one's members move to the survivor's hub."""
    n_merges = max(1 if len(plans) >= 3 else 0, int(len(plans) * world.settings.merge_pairs_per_rings))
    free = list(range(len(plans)))
    rng.shuffle(free)
    while n_merges > 0 and len(free) >= 2:
        a, b = plans[free.pop()], plans[free.pop()]
        n_merges -= 1
        earliest = max(a.start, b.start) + 14
        latest = world.end - 10
        if earliest >= latest:
            continue
        day = int(rng.integers(earliest, latest))
        a.end = max(a.end, min(world.end, day + 21))
        b.end = a.end
        b.survivor, b.merge_day = a, day
        b.join = np.minimum(b.join, b.end - 1)
