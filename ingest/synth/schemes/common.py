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


def independent_pharmacies(world: World, rng: np.random.Generator, county: int, k: int) -> list[int]:
    """Up to ``k`` pharmacies of ``county`` outside staff-sharing chains (the
    chains are hard negatives), marked as ring facilities."""
    fac = world.facilities
    sharing = (fac.chain >= 0) & fac.chain_shares_staff[np.maximum(fac.chain, 0)]
    pool = np.flatnonzero((fac.county == county) & (fac.category == PHARMACY) & ~sharing)
    if len(pool) == 0:
        pool = np.flatnonzero((fac.category == PHARMACY) & ~sharing)
    chosen = sorted(int(f) for f in rng.choice(pool, size=min(k, len(pool)), replace=False))
    world.ring_facilities[chosen] = True
    return chosen


def choose(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    if len(pool) == 0:
        return pool
    return rng.choice(pool, size=min(k, len(pool)), replace=False)


__all__ = ["box_lines", "fund_ratio", "at", "alive_on", "alive_through", "same_province", "choose", "NO_DAY"]
