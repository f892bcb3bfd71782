"""When rings start, grow, merge and stop.

A ring starts on some day, recruits part of its members at once and the
rest over time (growth), may go quiet before the period ends (stop), and a
few rings are absorbed by another ring of the same scheme (merge): from the
merge day the absorbed ring's members work through the survivor's hub (its
pharmacies, devices, institution, agent) and, where the scheme works in
batches (a gang's card sessions, a shuttle's rounds), inside the survivor's
own batches: a takeover hands the recruits to the survivor's people, so the
two become one ring in behaviour, not only in the truth's listing (two
groups that merely share a place are two rings, and the look-alikes plant
those).  The merged ring is listed under the survivor's ring_id.
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
    absorbed: list["RingPlan"] = field(default_factory=list)
    """Rings this one takes over (each on its own ``merge_day``)."""
    recruits: np.ndarray | None = None
    """The ring's own recruits (cards, villagers), one per ``join`` slot, set
    by planters whose rings work in batches."""

    @property
    def own_end(self) -> int:
        """First day without the ring's own batches: an absorbed ring's
        recruits are worked in the survivor's batches from the merge day."""
        if self.survivor is not None and self.merge_day is not None:
            return min(self.end, self.merge_day)
        return self.end

    def hub_at(self, day: int) -> dict:
        """Hub the ring works through on ``day`` (the survivor's after a merge)."""
        if self.survivor is not None and self.merge_day is not None and day >= self.merge_day:
            return self.survivor.hub_at(day)
        return self.hub


MERGED_DAYS = 42
"""Days a merged ring works on after the merge day, at least: the absorbed recruits must
be seen in the survivor's batches (a handover and two rounds of the slowest shuttle)
before the truth may list them as one ring (a third of a shorter period)."""


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
        merged_days = min(MERGED_DAYS, world.days // 3)  # short series: merges still happen
        earliest = max(a.start, b.start) + 14
        latest = world.end - merged_days
        if earliest >= latest:
            continue
        day = int(rng.integers(earliest, latest))
        a.end = max(a.end, min(world.end, day + merged_days))
        b.end = a.end
        b.survivor, b.merge_day = a, day
        a.absorbed.append(b)
        b.join = np.minimum(b.join, b.end - 1)


def batch_team(plan: RingPlan, handover_days: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who is worked in ``plan``'s own batches: (recruits, join day, earliest day).

    Its own recruits that join before ``own_end`` (from the ring's start),
    then each absorbed ring's recruits, from that ring's merge day plus
    ``handover_days`` (a villager still in hospital from the last round of
    the absorbed ring rides again only once out).  A planter clamps each
    join day between the earliest day and its own latest useful day.
    """
    assert plan.recruits is not None, "set plan.recruits before planning batches"
    own = plan.join[: len(plan.recruits)] < plan.own_end
    people = [plan.recruits[own]]
    joins = [plan.join[: len(plan.recruits)][own]]
    earliest = [np.full(int(own.sum()), plan.start, dtype=np.int64)]
    for b in plan.absorbed:
        if b.recruits is None or b.merge_day is None:
            continue
        people.append(b.recruits)
        handed_over = b.merge_day + handover_days
        joins.append(np.maximum(b.join[: len(b.recruits)], handed_over))
        earliest.append(np.full(len(b.recruits), handed_over, dtype=np.int64))
    return (np.concatenate(people).astype(np.int64), np.concatenate(joins).astype(np.int64),
            np.concatenate(earliest))
