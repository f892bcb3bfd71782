"""Over-prescription (超量开药): doctors write far more than anyone can take.

One to three doctors at a clinic or small hospital prescribe abusable or
resaleable drugs (opioids, sedatives, pregabalin, codeine-opium tablets) to
a circle of patients, far above ``max_daily_units`` x days and refilled
before the previous supply can have run out; the prescriptions are filled at
a few cooperating pharmacies.  Partial evidence: days_supply is often left
blank and some fills are only slightly too large (the excess shows only
when overlapping fills are added up).

Truth: the prescribers, their scheme patients and the filling pharmacies.
The pharmacies are near the practice (same county); two unmerged rings
never share a practice (so never a prescriber) or a pharmacy; an absorbed
ring works in its survivor's county and, from the merge day, fills at the
survivor's pharmacies.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import CLINIC, MINOR_HOSPITAL
from ringscope.ingest.synth.facts import OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.schemes.common import (at, box_lines, choose, fund_ratio, independent_pharmacies,
                                                   pick_unused, ring_county)
from ringscope.ingest.synth.schemes.lifecycle import RingPlan
from ringscope.ingest.synth.schemes.trace_resale import diagnosis_for
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

PUSHED_DRUGS = ("盐酸曲马多缓释片", "氨酚羟考酮片", "普瑞巴林胶囊", "阿普唑仑片", "艾司唑仑片", "复方甘草片",
                "右佐匹克隆片", "酒石酸唑吡坦片", "利伐沙班片", "替格瑞洛片")


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    age = pop.age_at(world.start)
    pushed = np.array([cat.drug(name) for name in PUSHED_DRUGS])
    shape = world.settings.schemes
    used_practices: set[int] = set()
    used_pharmacies: set[int] = set()
    for plan in plans:
        county = ring_county(plan, lambda: rng.choice(world.regions.size, p=world.regions.weight))
        practice = pick_unused(world, rng, county, CLINIC if rng.random() < 0.6 else MINOR_HOSPITAL,
                               used_practices, alternatives=(CLINIC, MINOR_HOSPITAL))
        used_practices.add(practice)
        county = int(fac.county[practice])
        n_doctors = min(int(fac.prescriber_count[practice]), int(rng.integers(1, 4)))
        doctors = [int(fac.prescriber_start[practice]) + i for i in range(n_doctors)]
        pharmacies = independent_pharmacies(world, rng, county, int(rng.integers(1, 4)),
                                            exclude=used_pharmacies)
        city = world.regions.code[county][:4]
        pharmacies = [f for f in pharmacies if world.regions.code[int(fac.county[f])][:4] == city]
        used_pharmacies.update(pharmacies)  # none free in the city: the practice fills everything
        world.ring_facilities[practice] = True
        plan.hub = {"county": county, "pharmacies": pharmacies,
                    "operators": {f: int(fac.pick_operator(rng, np.array([f]))[0]) for f in pharmacies}}
        drugs = choose(rng, pushed, 1 + int(rng.random() < 0.5))
        pool = world.candidates((pop.county == county) & (age >= 25) & (age < 80) & (pop.chronic < 0)
                                & (pop.death_day > plan.start + 20))
        patients = choose(rng, pool, plan.size)
        world.reserve(patients)
        for person, join in zip(patients.tolist(), plan.join):
            doctor = doctors[int(rng.integers(0, len(doctors)))]
            excess = rng.uniform(*shape.overprescribe_excess)
            day = int(join)
            stop = min(plan.end, int(pop.death_day[person]))
            while day < stop:
                hub = plan.hub_at(day)
                drug = int(drugs[int(rng.integers(0, len(drugs)))])
                stated_days = (7, 14, 30)[int(rng.integers(0, 3))]
                units = excess * rng.uniform(0.8, 1.2) * cat.max_daily_units[drug] * stated_days
                boxes = max(1, int(round(units / cat.box_units[drug])))
                record_days = stated_days if rng.random() < 0.5 else -1
                lines = box_lines(world, builder, drug, boxes, traced=rng.random() < 0.8, days_supply=record_days)
                if rng.random() < 0.25 or not hub["pharmacies"]:  # fill at the doctor's own practice
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
                day += max(4, int(stated_days * rng.uniform(*shape.overprescribe_refill_fraction)))
