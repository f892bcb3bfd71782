"""Over-prescription (超量开药): doctors write far more than anyone can take.

One to three doctors at a clinic or small hospital prescribe abusable or
resaleable drugs (opioids, sedatives, pregabalin, codeine-opium tablets) to
a circle of patients, far above ``max_daily_units`` x days and refilled
before the previous supply can have run out; the prescriptions are filled at
a few cooperating pharmacies.  Partial evidence: days_supply is often left
blank and some fills are only slightly too large (the excess shows only
when overlapping fills are added up).

Variants (``variant_groups``), drawn per ring: ``mild_surplus`` (fills
only 1.5-2.5x the clinical maximum, refilled a little early);
``shared_pharmacy`` (one of the ring's pharmacies also fills for another
ring and for honest prescribers' patients); ``multi_city`` (patients of two
cities of a province, each filling near home).

Truth: the prescribers, their scheme patients and the filling pharmacies.
The pharmacies are near the practice (same city, or the patients' city for
``multi_city``); two unmerged rings never share a practice (so never a
prescriber) and share a pharmacy only as ``shared_pharmacy`` (both list
it); an absorbed ring works in its survivor's county and, from the merge
day, its patients are written for by the survivor's doctors and fill at the
survivor's pharmacies (a takeover hands the patients over; a ring that only
shares a pharmacy is the ``shared_pharmacy`` variant, two rings).
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import CLINIC, MINOR_HOSPITAL
from ringscope.ingest.synth.facts import OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.schemes.common import (
    at,
    box_lines,
    choose,
    draw_county,
    fund_ratio,
    in_multi_city_province,
    independent_pharmacies,
    other_city_county,
    pick_unused,
    ring_county,
    same_city,
)
from ringscope.ingest.synth.schemes.lifecycle import RingPlan
from ringscope.ingest.synth.schemes.trace_resale import diagnosis_for
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

PUSHED_DRUGS = ("盐酸曲马多缓释片", "氨酚羟考酮片", "普瑞巴林胶囊", "阿普唑仑片", "艾司唑仑片", "复方甘草片",
                "右佐匹克隆片", "酒石酸唑吡坦片", "利伐沙班片", "替格瑞洛片")


UNMERGED_ONLY = frozenset({"shared_pharmacy", "multi_city"})
"""Variants an absorbed ring cannot follow (it works where its survivor does)."""


def variant_groups(shape) -> list:
    return [(("mild_surplus", shape.overprescribe_mild_share),),
            (("shared_pharmacy", shape.overprescribe_shared_pharmacy_share),),
            (("multi_city", shape.overprescribe_multi_city_share),)]


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    pushed = np.array([world.catalogue.drug(name) for name in PUSHED_DRUGS])
    # rings sharing a pharmacy come after the rings whose pharmacy they share
    plans = sorted(plans, key=lambda p: (p.survivor is not None, "shared_pharmacy" in p.variants))
    used_practices: set[int] = set()
    pharmacies_of: dict[str, list[int]] = {}
    for plan in plans:
        spread = in_multi_city_province(world) if "multi_city" in plan.variants else np.ones(world.regions.size, bool)
        county = ring_county(plan, lambda spread=spread: draw_county(world, rng, spread))
        practice, doctors = _practice(world, plan, rng, county, used_practices, pharmacies_of)
        drugs = choose(rng, pushed, 1 + int(rng.random() < 0.5))
        patients, pharmacy_of = _patients(world, plan, rng, int(world.facilities.county[practice]))
        world.reserve(patients)
        for person, join in zip(patients.tolist(), plan.join):
            _fills(world, plan, builder, truth, rng, person, int(join), practice, doctors, drugs,
                   pharmacy_of.get(person))


def _practice(world, plan, rng, county, used_practices, pharmacies_of) -> tuple[int, list[int]]:
    """The practice, its ring doctors and the pharmacies (sets the hub)."""
    fac = world.facilities
    taken = sorted({f for fs in pharmacies_of.values() for f in fs})
    others = [f for fs in pharmacies_of.values() for f in fs]
    shared = []
    if "shared_pharmacy" in plan.variants and others and plan.survivor is None:
        shared = [int(others[int(rng.integers(0, len(others)))])]
        county = int(fac.county[shared[0]])
    else:
        plan.variants.discard("shared_pharmacy")
    practice = pick_unused(world, rng, county, CLINIC if rng.random() < 0.6 else MINOR_HOSPITAL,
                           used_practices, alternatives=(CLINIC, MINOR_HOSPITAL))
    used_practices.add(practice)
    county = int(fac.county[practice])
    if shared and not same_city(world, county)[fac.county[shared[0]]]:  # no free practice near that pharmacy
        shared = []
        plan.variants.discard("shared_pharmacy")
    n_doctors = min(int(fac.prescriber_count[practice]), int(rng.integers(1, 4)))
    doctors = [int(fac.prescriber_start[practice]) + i for i in range(n_doctors)]
    own = independent_pharmacies(world, rng, county, int(rng.integers(0 if shared else 1, 4)),
                                 exclude=set(taken) | set(shared))
    city = same_city(world, county)
    pharmacies = sorted(set(shared) | {f for f in own if city[fac.county[f]]})
    world.ring_facilities[practice] = True
    plan.hub = {"county": county, "practice": practice, "doctors": doctors, "pharmacies": pharmacies,
                "operators": {f: int(fac.pick_operator(rng, np.array([f]))[0]) for f in pharmacies}}
    pharmacies_of[plan.ring_id] = list(pharmacies)
    return practice, doctors


def _patients(world, plan, rng, county) -> tuple[np.ndarray, dict[int, int]]:
    """Scheme patients of the practice's county; for ``multi_city`` half of
    them from another city, filling at a pharmacy there."""
    pop = world.pop
    age = pop.age_at(world.start)
    fit = (age >= 25) & (age < 80) & (pop.chronic < 0) & (pop.death_day > plan.start + 20)
    other = other_city_county(world, rng, county) if "multi_city" in plan.variants else county
    if same_city(world, county)[other] or plan.size < 4:
        plan.variants.discard("multi_city")
        return choose(rng, world.candidates((pop.county == county) & fit), plan.size), {}
    n_away = plan.size // 2
    home = choose(rng, world.candidates((pop.county == county) & fit), plan.size - n_away)
    away = choose(rng, world.candidates((pop.county == other) & fit), n_away)
    fills_there = independent_pharmacies(world, rng, other, 1, exclude=set(plan.hub["pharmacies"]))
    pharmacy = fills_there[0]
    plan.hub["operators"][pharmacy] = int(world.facilities.pick_operator(rng, np.array([pharmacy]))[0])
    patients = np.concatenate([home, away]).astype(np.int64)
    rng.shuffle(patients)
    return patients, {int(p): pharmacy for p in away.tolist()}


def _fills(world, plan, builder, truth, rng, person, join, practice, doctors, drugs, away_pharmacy) -> None:
    pop, fac, cat, shape = world.pop, world.facilities, world.catalogue, world.settings.schemes
    mild = "mild_surplus" in plan.variants
    doctor = doctors[int(rng.integers(0, len(doctors)))]
    excess = rng.uniform(*(shape.overprescribe_mild_excess if mild else shape.overprescribe_excess))
    refill = shape.overprescribe_mild_refill_fraction if mild else shape.overprescribe_refill_fraction
    day = join
    stop = min(plan.end, int(pop.death_day[person]))
    while day < stop:
        hub = plan.hub_at(day)
        if hub is not plan.hub and practice != hub["practice"]:  # taken over: the survivor's doctors write now
            practice, doctor = hub["practice"], hub["doctors"][int(rng.integers(0, len(hub["doctors"])))]
        drug = int(drugs[int(rng.integers(0, len(drugs)))])
        stated_days = (7, 14, 30)[int(rng.integers(0, 3))]
        units = excess * rng.uniform(0.9, 1.1) * cat.max_daily_units[drug] * stated_days
        boxes = max(1, int(round(units / cat.box_units[drug])))
        record_days = stated_days if rng.random() < 0.5 else -1
        lines = box_lines(world, builder, drug, boxes, traced=rng.random() < 0.8, days_supply=record_days)
        near_home = away_pharmacy is not None and day < (plan.merge_day or plan.end)
        if near_home and rng.random() < shape.overprescribe_fill_near_home:
            facility, kind, fee, operator = away_pharmacy, PHARMACY_KIND, 0, hub["operators"].get(away_pharmacy, -1)
        elif rng.random() < 0.25 or not hub["pharmacies"]:  # fill at the doctor's own practice
            facility, kind, fee = practice, OUTPATIENT, int(rng.integers(1_000, 5_000))
            operator = int(fac.pick_operator(rng, np.array([practice]))[0])
        else:
            facility = hub["pharmacies"][int(rng.integers(0, len(hub["pharmacies"])))]
            kind, fee, operator = PHARMACY_KIND, 0, hub["operators"][facility]
        sid, fund = builder.settlement(
            card=pop.card_for(person, day), patient=person,
            facility=facility, kind=kind, t=at(day, 30_000 + int(rng.integers(0, 36_000))),
            lines=lines, fee=fee,
            fund_ratio=fund_ratio(world, rng, person, "pharmacy" if kind == PHARMACY_KIND else "outpatient"),
            prescriber=doctor, diag=diagnosis_for(world, drug),
            device=int(pop.device[person]) if rng.random() < 0.3 else -1, operator=operator)
        entities = [("prescriber", doctor, "prescriber"), ("patient", person, "patient")]
        if kind == PHARMACY_KIND:
            entities.append(("facility", facility, "pharmacy"))
        truth.settlement(plan.ring_id, sid, fund, day, entities)
        day += max(4, int(stated_days * rng.uniform(*refill)))
