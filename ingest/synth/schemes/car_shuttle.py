"""Car shuttles (车接车送 / 诱导住院): villagers bussed in for fake admissions.

A private or township hospital sends a car to the same few villages; elderly
villagers are admitted together on the same day, stay a few days with the
same diagnosis, and pay nothing (the hospital waives the patient's share,
which is itself illegal inducement).  Rounds repeat every one to three
weeks.  Partial evidence: some rounds vary the discharge days.

Truth: the shuttled patients and the admitting institution.  Every listed
villager rides in at least two cohorts when the ring lasts long enough (the
least-shuttled go first, and villagers join early enough for two rounds);
two unmerged rings never share an institution; an absorbed ring fetches
villagers of its survivor's county and, from the merge day, brings them to
the survivor's institution.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import MINOR_HOSPITAL
from ringscope.ingest.synth.facts import DAY, INPATIENT, FactBuilder
from ringscope.ingest.synth.schemes.common import at, box_lines, choose, pick_unused, ring_county
from ringscope.ingest.synth.schemes.lifecycle import RingPlan
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

SHUTTLE_DIAGNOSES = ("M51.2", "I67.9", "I63.9", "J44.1", "E11.9")


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    age = pop.age_at(world.start)
    villages = pop.villages
    rural = np.flatnonzero(world.regions.rural)
    injections = cat.drugs_in("inj")
    shape = world.settings.schemes
    used: set[int] = set()
    for plan in plans:
        county = ring_county(plan, lambda: rng.choice(rural, p=world.regions.weight[rural] / world.regions.weight[rural].sum()))
        institution = pick_unused(world, rng, county, MINOR_HOSPITAL, used)
        county = int(fac.county[institution])
        used.add(institution)
        world.ring_facilities[institution] = True
        codes = choose(rng, np.array(SHUTTLE_DIAGNOSES), 1 + int(rng.random() < 0.4))
        plan.hub = {"county": county, "institution": institution,
                    "operator": int(fac.pick_operator(rng, np.array([institution]))[0]),
                    "doctor": int(fac.pick_prescriber(rng, np.array([institution]))[0])}
        local_villages = np.flatnonzero(villages.county == county)
        chosen = choose(rng, local_villages, int(rng.integers(1, 4)))
        pool = world.candidates(np.isin(pop.village, chosen) & (age >= shape.shuttle_min_age) & (pop.death_day > plan.start + 10))
        if len(pool) < 3:  # small drops: widen to the whole county
            pool = world.candidates((pop.county == county) & (age >= 50) & (pop.death_day > plan.start + 10))
        members = choose(rng, pool, plan.size)
        world.reserve(members)
        latest = plan.end - 4 - 2 * shape.shuttle_round_every_days[1]
        join = np.maximum(plan.start, np.minimum(plan.join[: len(members)], latest))
        busy_until = dict.fromkeys(members.tolist(), 0)
        rides = dict.fromkeys(members.tolist(), 0)
        uniform_stay = int(rng.integers(3, 8))
        day = plan.start
        while day < plan.end - 3:
            hub = plan.hub_at(day)
            ready = [int(m) for m in members[join <= day] if busy_until[int(m)] <= day
                     and pop.death_day[m] > day + 10]
            if len(ready) >= 2:
                lo, hi = shape.shuttle_cohort_size
                size = int(rng.integers(lo, min(hi, len(ready)) + 1))
                size = max(size, min(hi, sum(rides[m] < 2 for m in ready)))
                # the least-shuttled villagers first (random among equals)
                order = np.lexsort((rng.random(len(ready)), [min(rides[m], 2) for m in ready]))
                cohort = np.array(ready)[order[:size]]
                rng.shuffle(cohort)
                clock = 30_600 + int(rng.integers(0, 7_200))
                for order, person in enumerate(cohort.tolist()):
                    stay = uniform_stay if rng.random() < 0.7 else int(rng.integers(2, 9))
                    discharge = min(day + stay, world.end - 1)
                    code = str(codes[int(rng.integers(0, len(codes)))])
                    row = int(np.flatnonzero(cat.diagnosis_code[cat.inpatient_diag] == code)[0])
                    total = int(rng.uniform(*shape.shuttle_total_yuan) * 100)
                    lines = []
                    for _ in range(int(rng.integers(1, 3))):
                        drug = int(injections[int(rng.integers(0, len(injections)))])
                        lines += box_lines(world, builder, drug, int(rng.integers(1, 3)), traced=rng.random() < 0.5)
                    waiver = 1.0 if rng.random() < shape.shuttle_full_waiver_share else 1.0 - rng.uniform(0.0, 0.02)
                    sid, fund = builder.settlement(
                        card=pop.card_for(person, discharge), patient=person,
                        facility=hub["institution"], kind=INPATIENT,
                        t=at(discharge, clock + order * int(rng.integers(60, 400))), lines=lines,
                        total=max(total, sum(l[2] for l in lines) + 10_000), fund_ratio=waiver,
                        prescriber=hub["doctor"], admitted=day, discharged=discharge,
                        diag=int(cat.inpatient_diag[row]), drg=int(cat.inpatient_drg[row]),
                        operator=hub["operator"])
                    truth.settlement(plan.ring_id, sid, fund, discharge,
                                     [("patient", person, "shuttled"),
                                      ("facility", hub["institution"], "institution")])
                    busy_until[person] = discharge + 1
                    rides[person] += 1
            day += int(rng.integers(shape.shuttle_round_every_days[0], shape.shuttle_round_every_days[1] + 1))


__all__ = ["plant", "DAY"]
