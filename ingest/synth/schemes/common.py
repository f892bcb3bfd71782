"""Small helpers shared by the planters (money shares, boxes, times)."""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import PHARMACY
from ringscope.ingest.synth.facts import DAY, FactBuilder
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.world import World


def box_lines(world: World, builder: FactBuilder, drug: int, boxes: int, traced: bool = True,
              days_supply: int = -1) -> list[tuple[int, int, int, int, int]]:
    """Dispensing lines for ``boxes`` boxes of ``drug``: one line per traced
    box (its own new trace code) or one untraced line for all."""
    cat = world.catalogue
    units = int(cat.box_units[drug])
    price = int(cat.unit_price_cents[drug])
    if not traced:
        return [(drug, units * boxes, units * boxes * price, -1, days_supply)]
    return [(drug, units, units * price, builder.new_box(), days_supply) for _ in range(boxes)]


def fund_ratio(world: World, rng: np.random.Generator, person: int, kind: str) -> float:
    """The same reimbursement shares background settlements use."""
    emp = bool(world.pop.employee[person])
    z = rng.random()
    if kind == "outpatient":
        return 0.55 + 0.25 * z if emp else 0.35 + 0.25 * z
    if kind == "pharmacy":
        return 0.6 + 0.3 * z if emp else 0.2 + 0.3 * z
    return 0.72 + 0.18 * z if emp else 0.55 + 0.2 * z


def at(day: int, seconds: int) -> int:
    return int(day) * DAY + int(seconds)


def alive_on(world: World, person: int, day: int) -> bool:
    return world.pop.death_day[person] > day


def alive_through(world: World, people: np.ndarray, day: int) -> np.ndarray:
    return world.pop.death_day[people] > day


def same_province(world: World, county: int) -> np.ndarray:
    """Mask of counties in the province of ``county``."""
    code = world.regions.code
    return np.array([c[:2] == code[county][:2] for c in code])


def same_city(world: World, county: int) -> np.ndarray:
    """Mask of counties in the city (prefecture) of ``county``."""
    code = world.regions.code
    return np.array([c[:4] == code[county][:4] for c in code])


def in_multi_city_province(world: World) -> np.ndarray:
    """Mask of counties whose province has more than one city (a ring can
    span two cities only there: Beijing's districts are one city)."""
    code = world.regions.code
    cities: dict[str, set[str]] = {}
    for c in code:
        cities.setdefault(c[:2], set()).add(c[:4])
    return np.array([len(cities[c[:2]]) > 1 for c in code])


def draw_county(world: World, rng: np.random.Generator, mask: np.ndarray) -> int:
    """A county among ``mask`` by population weight."""
    pool = np.flatnonzero(mask)
    return int(rng.choice(pool, p=world.regions.weight[pool] / world.regions.weight[pool].sum()))


def other_city_county(world: World, rng: np.random.Generator, county: int, rural: bool | None = None) -> int:
    """A county of another city in the province of ``county`` (of the given
    rural/urban kind when there is one), or any other county of the province,
    or ``county`` itself when its province has no other."""
    province, city = same_province(world, county), same_city(world, county)
    for mask in (province & ~city, province & (np.arange(len(city)) != county)):
        pool = np.flatnonzero(mask)
        if rural is not None and (world.regions.rural[pool] == rural).any():
            pool = pool[world.regions.rural[pool] == rural]
        if len(pool):
            return int(rng.choice(pool, p=world.regions.weight[pool] / world.regions.weight[pool].sum()))
    return int(county)


def neighbour_county(world: World, rng: np.random.Generator, county: int, rural: bool) -> int:
    """Another county of the same city (same rural/urban kind preferred), else of the province."""
    for mask in (same_city(world, county), same_province(world, county)):
        pool = np.flatnonzero(mask & (np.arange(len(mask)) != county))
        kind = pool[world.regions.rural[pool] == rural]
        pool = kind if len(kind) else pool
        if len(pool):
            return int(rng.choice(pool))
    return int(county)


def own_care(world: World, rng: np.random.Generator, person: int) -> tuple[int, int]:
    """(diagnosis, drug) a person would ordinarily get: their chronic
    condition and its drug, else a common acute complaint."""
    cat = world.catalogue
    chronic = int(world.pop.chronic[person])
    if chronic >= 0 and world.chronic_drugs[person, 0] >= 0:
        return int(cat.chronic_diag[chronic]), int(world.chronic_drugs[person, 0])
    row = int(rng.choice(len(cat.acute_diag), p=cat.acute_weight))
    pool = cat.acute_pool[row]
    pool = pool[pool >= 0]
    return int(cat.acute_diag[row]), int(pool[int(rng.integers(0, len(pool)))])


def independent_pharmacies(world: World, rng: np.random.Generator, county: int, k: int,
                           exclude: set[int] | None = None) -> list[int]:
    """Up to ``k`` pharmacies of ``county`` outside staff-sharing chains (the
    chains are hard negatives) and outside ``exclude`` (pharmacies of other
    rings of the same scheme), marked as ring facilities.  Only when the
    county has too few does the search widen to its city (same prefecture
    code), and only when the city has none to its province."""
    fac = world.facilities
    sharing = (fac.chain >= 0) & fac.chain_shares_staff[np.maximum(fac.chain, 0)]
    free = ~np.isin(np.arange(fac.size), np.fromiter(exclude or (), dtype=np.int64))
    ok = (fac.category == PHARMACY) & ~sharing & free
    pool = np.flatnonzero((fac.county == county) & ok)
    if len(pool) < k:  # too few left in the county: the rest of its city
        code = world.regions.code
        city = np.array([c[:4] == code[county][:4] for c in code])
        pool = np.concatenate([pool, np.flatnonzero(city[fac.county] & (fac.county != county) & ok)])
    if len(pool) == 0:
        pool = np.flatnonzero(same_province(world, county)[fac.county] & ok)
    if len(pool) == 0:
        pool = np.flatnonzero(ok)
    local = pool[fac.county[pool] == county]
    chosen = [int(f) for f in rng.choice(local, size=min(k, len(local)), replace=False)]
    rest = pool[fac.county[pool] != county]
    if len(chosen) < k and len(rest):
        chosen += [int(f) for f in rng.choice(rest, size=min(k - len(chosen), len(rest)), replace=False)]
    chosen = sorted(chosen)
    world.ring_facilities[chosen] = True
    return chosen


def pick_unused(world: World, rng: np.random.Generator, county: int, category: int,
                used: set[int], tries: int = 30, alternatives: tuple[int, ...] = ()) -> int:
    """A facility of ``category`` in ``county`` not in ``used`` (facilities of
    other rings of the same scheme), so that two unmerged rings never share a
    practice, institution or counter.  When the county has none left, a free
    one of an ``alternatives`` tier in the county, then of the same tier in
    its city, then its province (callers then work in that facility's
    county)."""
    fac = world.facilities
    first = -1
    for _ in range(tries):
        f = int(fac.pick(rng, np.array([county]), category)[0])
        if first < 0:
            first = f
        if f not in used:
            return f
    tier = fac.category[first]
    code = world.regions.code
    taken = np.isin(np.arange(fac.size), np.fromiter(used, dtype=np.int64))
    for other in alternatives:
        free = np.flatnonzero((fac.county == county) & (fac.category == other) & ~taken)
        if len(free):
            return int(free[int(rng.integers(0, len(free)))])
    for width in (6, 4, 2):
        near = np.array([c[:width] == code[county][:width] for c in code])
        free = np.flatnonzero(near[fac.county] & (fac.category == tier) & ~taken)
        if len(free):
            return int(free[int(rng.integers(0, len(free)))])
    return first


def ring_county(plan, draw) -> int:
    """The county a ring works in: an absorbed ring works where its survivor
    does (rings that merge are neighbours sharing a collector, a car, an
    agent), otherwise ``draw()``."""
    county = int(draw())
    if plan.survivor is not None and "county" in plan.survivor.hub:
        return int(plan.survivor.hub["county"])
    return county


def choose(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    if len(pool) == 0:
        return pool
    return rng.choice(pool, size=min(k, len(pool)), replace=False)


__all__ = ["NO_DAY", "alive_on", "alive_through", "at", "box_lines", "choose", "draw_county", "fund_ratio",
           "in_multi_city_province", "independent_pharmacies", "neighbour_county", "other_city_county", "own_care",
           "pick_unused", "ring_county", "same_city", "same_province"]
