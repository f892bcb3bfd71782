"""Car shuttles (车接车送 / 诱导住院): villagers bussed in for fake admissions.

A private or township hospital sends a car to the same few villages; elderly
villagers are admitted together on the same day, stay a few days with the
same diagnosis, and pay nothing (the hospital waives the patient's share,
which is itself illegal inducement).  Rounds repeat every one to three
weeks.  Partial evidence: some rounds vary the discharge days.

Variants (``variant_groups``), drawn per ring: ``partial_waiver`` (only
part of the patient's share waived) or ``waiver_unrecorded`` (self_paid
recorded as owed, a normal share, although never collected);
``shared_institution`` (another ring, and the institution's honest
inpatients, use the same hospital); ``two_counties`` (cohorts from villages
of two neighbouring counties); ``fixed_schedule`` (a round every 7 or 14
days, like a treatment shift) or ``irregular_rounds`` (3-35 day gaps);
``ward_rota`` (the ward admits the villagers under a rota of its doctors, on
shifts of unequal length, and its clerks settle them in turn: no one contact
doctor or clerk).
Honest local patients are admitted on some round days too
(``honest_coadmission`` hard negatives).

Truth: the shuttled patients and the admitting institution.  Every listed
villager rides in at least two cohorts when the ring lasts long enough (the
least-shuttled go first, and villagers join early enough for two rounds);
two unmerged rings share an institution only as the ``shared_institution``
variant (then both list it); an absorbed ring fetches villagers of its
survivor's county and, from the merge day (once out of hospital), its
villagers ride in the survivor's rounds.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import MINOR_HOSPITAL
from ringscope.ingest.synth.facts import DAY, INPATIENT, FactBuilder
from ringscope.ingest.synth.schemes.common import (
    at,
    box_lines,
    choose,
    fund_ratio,
    neighbour_county,
    pick_unused,
    ring_county,
)
from ringscope.ingest.synth.schemes.lifecycle import RingPlan, batch_team
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

SHUTTLE_DIAGNOSES = ("M51.2", "I67.9", "I63.9", "J44.1", "E11.9")


MAX_STAY_DAYS = 8
"""Longest stay a round admits for (stays are drawn from 2-8 days)."""

UNMERGED_ONLY = frozenset({"shared_institution"})
"""Variants an absorbed ring cannot follow (it works where its survivor does)."""


def variant_groups(shape) -> list:
    partial, unrecorded = shape.shuttle_waiver_shares
    regular, irregular = shape.shuttle_pace_shares
    return [(("partial_waiver", partial), ("waiver_unrecorded", unrecorded)),
            (("shared_institution", shape.shuttle_shared_institution_share),),
            (("two_counties", shape.shuttle_two_county_share),),
            (("fixed_schedule", regular), ("irregular_rounds", irregular)),
            (("ward_rota", shape.shuttle_ward_rota_share),)]


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    # rings sharing an institution come after the rings whose institution they share
    plans = sorted(plans, key=lambda p: (p.survivor is not None, "shared_institution" in p.variants))
    rural = np.flatnonzero(world.regions.rural)
    used: set[int] = set()
    institution_of: dict[str, int] = {}
    for plan in plans:
        county = ring_county(plan, lambda: rng.choice(rural, p=world.regions.weight[rural] / world.regions.weight[rural].sum()))
        institution = _institution(world, plan, rng, county, used, institution_of)
        members = _villagers(world, plan, rng, int(world.facilities.county[institution]))
        if len(members) < 2 and "shared_institution" in plan.variants:  # the other ring took every villager
            plan.variants.discard("shared_institution")
            institution = _institution(world, plan, rng, county, used, institution_of)
            members = _villagers(world, plan, rng, int(world.facilities.county[institution]))
        institution_of[plan.ring_id] = institution
        world.reserve(members)
        plan.recruits = members
    for plan in plans:
        _rounds(world, plan, builder, truth, rng, *batch_team(plan, handover_days=MAX_STAY_DAYS + 1))


def _institution(world, plan, rng, county, used, institution_of) -> int:
    """The admitting hospital: a fresh one, or (``shared_institution``) one
    another ring already uses; sets the ring's hub."""
    fac = world.facilities
    shared = list(institution_of.values())
    if "shared_institution" in plan.variants and shared and plan.survivor is None:
        institution = int(shared[int(rng.integers(0, len(shared)))])
    else:
        plan.variants.discard("shared_institution")
        institution = pick_unused(world, rng, county, MINOR_HOSPITAL, used)
    used.add(institution)
    world.ring_facilities[institution] = True
    codes = choose(rng, np.array(SHUTTLE_DIAGNOSES), 1 + int(rng.random() < 0.4))
    plan.hub = {"county": int(fac.county[institution]), "institution": institution, "codes": codes,
                "operator": int(fac.pick_operator(rng, np.array([institution]))[0]),
                "doctor": int(fac.pick_prescriber(rng, np.array([institution]))[0])}
    if "ward_rota" in plan.variants:
        _ward_rota(world, plan.hub)
    return institution


def _ward_rota(world, hub) -> None:
    """``ward_rota``: the ward's doctors and clerks on shifts of unequal length.

    Drawn from a stream of its own (per institution), so that the other rings'
    draws stay as they were."""
    fac, shape = world.facilities, world.settings.schemes
    rota = world.rng(230, int(hub["institution"]))
    where = np.array([hub["institution"]])
    for role, pick, (lo, hi) in (("doctor", fac.pick_prescriber, shape.shuttle_rota_doctors),
                                 ("operator", fac.pick_operator, shape.shuttle_rota_clerks)):
        staff = np.unique([hub[role]] + [int(pick(rota, where)[0]) for _ in range(int(rota.integers(lo, hi + 1)) - 1)])
        hub[role + "s"] = (staff, rota.dirichlet(np.full(len(staff), 2.0)))
    hub["rota"] = rota


def _on_shift(hub, role: str) -> int:
    """Who admits or settles this villager: the one contact, or whoever is on the ward's rota."""
    if "rota" not in hub:
        return int(hub[role])
    staff, shifts = hub[role + "s"]
    return int(staff[int(hub["rota"].choice(len(staff), p=shifts))])


def _villagers(world, plan, rng, county) -> np.ndarray:
    """Elderly people of one to three villages (of two counties for ``two_counties``)."""
    pop, shape = world.pop, world.settings.schemes
    age = pop.age_at(world.start)
    villages = pop.villages
    counties = [county]
    if "two_counties" in plan.variants:
        other = neighbour_county(world, rng, county, rural=True)
        if other != county and (villages.county == other).any():
            counties.append(other)
        else:
            plan.variants.discard("two_counties")
    most = 3 if len(counties) > 1 else 4  # one to three villages in all, at most two per county of two
    chosen = np.concatenate([choose(rng, np.flatnonzero(villages.county == c), int(rng.integers(1, most)))
                             for c in counties])
    alive = pop.death_day > plan.end + 10  # alive for every round (two rides each)
    pool = world.candidates(np.isin(pop.village, chosen) & (age >= shape.shuttle_min_age) & alive)
    if len(pool) < 3:  # small drops: widen to the whole county (counties)
        pool = world.candidates(np.isin(pop.county, counties) & (age >= 50) & alive)
    return choose(rng, pool, plan.size)


def _next_round(plan, rng, shape, fixed: int) -> int:
    if "fixed_schedule" in plan.variants:
        return fixed
    if "irregular_rounds" in plan.variants:
        return int(rng.integers(shape.shuttle_irregular_days[0], shape.shuttle_irregular_days[1] + 1))
    return int(rng.integers(shape.shuttle_round_every_days[0], shape.shuttle_round_every_days[1] + 1))


def _rounds(world, plan, builder, truth, rng, members, join, earliest) -> None:
    """The shuttle's rounds until ``own_end``, over its team (its own villagers
    and, from each merge day, those of the rings it took over)."""
    pop, shape = world.pop, world.settings.schemes
    fixed = 7 if rng.random() < shape.shuttle_fixed_weekly_share else 14
    longest = fixed if "fixed_schedule" in plan.variants else (
        shape.shuttle_irregular_days[1] if "irregular_rounds" in plan.variants else shape.shuttle_round_every_days[1])
    latest = plan.own_end - 4 - 2 * longest
    join = np.maximum(earliest, np.minimum(join, latest))
    busy_until = dict.fromkeys(members.tolist(), 0)
    rides = dict.fromkeys(members.tolist(), 0)
    uniform_stay = int(rng.integers(3, 8))
    day = plan.start
    while day < plan.own_end - 3:
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
            for k, person in enumerate(cohort.tolist()):
                stay = uniform_stay if rng.random() < 0.7 else int(rng.integers(2, MAX_STAY_DAYS + 1))
                discharge = _admit(world, plan, builder, truth, rng, hub, person, day, stay,
                                   clock + k * int(rng.integers(60, 400)))
                busy_until[person] = discharge + 1
                rides[person] += 1
            _bystanders(world, builder, truth, rng, hub, day)
        gap = _next_round(plan, rng, shape, fixed)
        if "fixed_schedule" not in plan.variants and any(rides[int(m)] < 2 for m in members[join <= day]):
            gap = min(gap, max(3, (plan.own_end - 4 - day) // 3))  # leave time for everyone's second ride
        day += gap


def _waiver(world, plan, rng, person) -> float:
    """Fund share of the total: the patient's share waived fully, partly, or
    (``waiver_unrecorded``) recorded as owed."""
    normal = fund_ratio(world, rng, person, "inpatient")
    if "waiver_unrecorded" in plan.variants:
        return normal
    if "partial_waiver" in plan.variants:
        return normal + (1.0 - normal) * rng.uniform(*world.settings.schemes.shuttle_partial_waiver)
    return 1.0 if rng.random() < world.settings.schemes.shuttle_full_waiver_share else 1.0 - rng.uniform(0.0, 0.02)


def _admit(world, plan, builder, truth, rng, hub, person, day, stay, clock) -> int:
    pop, cat, shape = world.pop, world.catalogue, world.settings.schemes
    discharge = min(day + stay, world.end - 1)
    code = str(hub["codes"][int(rng.integers(0, len(hub["codes"])))])
    row = int(np.flatnonzero(cat.diagnosis_code[cat.inpatient_diag] == code)[0])
    total = int(rng.uniform(*shape.shuttle_total_yuan) * 100)
    injections = cat.drugs_in("inj")
    lines = []
    for _ in range(int(rng.integers(1, 3))):
        drug = int(injections[int(rng.integers(0, len(injections)))])
        lines += box_lines(world, builder, drug, int(rng.integers(1, 3)), traced=rng.random() < 0.5)
    sid, fund = builder.settlement(
        card=pop.card_for(person, discharge), patient=person, facility=hub["institution"], kind=INPATIENT,
        t=at(discharge, clock), lines=lines, total=max(total, sum(line[2] for line in lines) + 10_000),
        fund_ratio=_waiver(world, plan, rng, person), prescriber=_on_shift(hub, "doctor"), admitted=day,
        discharged=discharge, diag=int(cat.inpatient_diag[row]), drg=int(cat.inpatient_drg[row]),
        operator=_on_shift(hub, "operator"))
    truth.settlement(plan.ring_id, sid, fund, discharge,
                     [("patient", person, "shuttled"), ("facility", hub["institution"], "institution")])
    return discharge


def _bystanders(world, builder, truth, rng, hub, day) -> None:
    """Honest patients of the county admitted the same day for their own
    illness, paying their normal share (hard negatives)."""
    pop, fac, cat, shape = world.pop, world.facilities, world.catalogue, world.settings.schemes
    lo, hi = shape.shuttle_bystanders_per_round
    people = world.people_in(hub["county"])
    for _ in range(int(rng.integers(lo, hi + 1)) if len(people) else 0):  # a small world can leave a county empty
        person = int(people[int(rng.integers(0, len(people)))])
        if world.reserved[person] or pop.death_day[person] <= day + 15 or pop.age_on(person, day) < 18:
            continue
        world.reserve([person])
        row = int(rng.integers(0, len(cat.inpatient_diag)))
        discharge = min(day + int(rng.integers(2, 11)), world.end - 1)
        lines = box_lines(world, builder, int(cat.drugs_in("inj")[int(rng.integers(0, 4))]), 1)
        builder.settlement(
            card=pop.card_for(person, discharge), patient=person, facility=hub["institution"], kind=INPATIENT,
            t=at(discharge, 30_000 + int(rng.integers(0, 25_000))), lines=lines,
            total=max(int(cat.inpatient_cost[row] * 100 * rng.lognormal(0, 0.3)), lines[0][2] + 10_000),
            fund_ratio=fund_ratio(world, rng, person, "inpatient"),
            prescriber=int(fac.pick_prescriber(rng, np.array([hub["institution"]]))[0]), admitted=day,
            discharged=discharge, diag=int(cat.inpatient_diag[row]), drg=int(cat.inpatient_drg[row]),
            operator=int(fac.pick_operator(rng, np.array([hub["institution"]]))[0]))
        truth.hard_negative("patient", person, "honest_coadmission", discharge)
        truth.hard_negative("card", pop.card_for(person, discharge), "honest_coadmission", discharge)


__all__ = ["DAY", "plant", "variant_groups"]
