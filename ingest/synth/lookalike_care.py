"""Legitimate look-alikes of the co-occurrence patterns (cards settled
together, patients admitted together), with no fraud at all.

- family joint visits: a household sharing one phone visits together, one
  clerk settling every member's card minutes apart through the shared phone
  (the borrowed-card batch pattern, explained by one household);
- busy counter: a village or community clinic whose one clerk settles the
  same regulars' cards minutes apart every market day, each for their own
  chronic care (explained by care fitting each holder's history);
- dialysis shift: the same patients treated together three times a week
  as day cases with one diagnosis (explained by an institutional routine);
- rehabilitation shift: elderly patients of one county, new to the
  condition, admitted as day cases with one diagnosis on the ward's two
  fixed weekdays (explained by the ward's weekly timetable);
- charity campaign: elderly villagers bussed in and operated on for
  cataract together, fees often covered, a second-eye round for some
  (explained by a one-off campaign with a procedure diagnosis);
- referral centre: patients from many counties admitted on the centre's
  fixed weekly day in treatment cycles that start together (explained by
  treatment cycles and by patients who share no village).

Each listed entity (patients with their cards, the facility, a shared
phone) goes to ``truth/hard_negatives.csv`` with the look-alike's kind.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.catalogue import CATARACT, CHEMOTHERAPY, DIALYSIS
from ringscope.ingest.synth.facilities import CHC, MAJOR_HOSPITAL, MINOR_HOSPITAL, VILLAGE_CLINIC
from ringscope.ingest.synth.facts import INPATIENT, OUTPATIENT, FactBuilder
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import at, box_lines, choose, fund_ratio, own_care, same_city
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World


def count(world: World, patients_per: int) -> int:
    """How many of a look-alike: one per ``patients_per`` patients, at least two."""
    return max(2, world.pop.size // patients_per)


def between(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    """An integer drawn uniformly from the inclusive range ``bounds``."""
    return int(rng.integers(bounds[0], bounds[1] + 1))


def weekday(day: int) -> int:
    """Monday = 0 (epoch day 0 was a Thursday)."""
    return (int(day) + 3) % 7


def mark(world: World, truth: Truth, kind: str, day: int, *, patients=(), facilities=(), prescribers=(),
         devices=(), employers=()) -> None:
    """List look-alike entities (each patient with the card they present)."""
    for p in patients:
        truth.hard_negative("patient", int(p), kind, day)
        truth.hard_negative("card", world.pop.card_for(int(p), day), kind, day)
    for etype, items in (("facility", facilities), ("prescriber", prescribers), ("device", devices),
                         ("employer", employers)):
        for item in items:
            truth.hard_negative(etype, int(item), kind, day)


def free_facility(world: World, rng: np.random.Generator, county: int, category: int, level: str | None = None) -> int:
    """A facility of ``category`` (and ``level``) in ``county`` that no ring uses, or -1."""
    fac = world.facilities
    ok = (fac.county == county) & (fac.category == category) & ~world.ring_facilities
    if level is not None:
        ok &= fac.level == level
    pool = np.flatnonzero(ok)
    return int(pool[int(rng.integers(0, len(pool)))]) if len(pool) else -1


def family_joint_visits(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac = world.pop, world.facilities
    heads = np.unique(pop.household[pop.shared_phone_household & (pop.phone > 0) & (pop.death_day == NO_DAY)])
    for household in choose(rng, heads, count(world, world.settings.patients_per_family_joint_visits)).tolist():
        members = np.flatnonzero((pop.household == household) & (pop.death_day == NO_DAY))[:4]
        if len(members) < 2:
            continue
        clinic = int(world.home_primary[members[0]])
        for _ in range(between(rng, world.settings.lookalikes.family_joint_visit_days)):
            day = world.start + int(rng.integers(0, world.days))
            clock = 30_000 + int(rng.integers(0, 30_000))
            operator = int(fac.pick_operator(rng, np.array([clinic]))[0])
            for person in members.tolist():
                diag, drug = own_care(world, rng, person)
                device = int(pop.device[person])
                builder.settlement(
                    card=pop.card_for(person, day), patient=person, facility=clinic, kind=OUTPATIENT,
                    t=at(day, clock), lines=box_lines(world, builder, drug, 1, traced=rng.random() < 0.85),
                    fee=int(rng.integers(1_000, 4_000)), fund_ratio=fund_ratio(world, rng, person, "outpatient"),
                    prescriber=int(fac.pick_prescriber(rng, np.array([clinic]))[0]), diag=diag, device=device,
                    operator=operator)
                clock += int(rng.integers(40, 400))
                if world.seen_device(clinic, device) >= 0:
                    mark(world, truth, "family_shared_phone", day, devices=[device])
            mark(world, truth, "family_shared_phone", day, patients=members)


def busy_counters(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac = world.pop, world.facilities
    age = pop.age_at(world.start)
    for _ in range(count(world, world.settings.patients_per_busy_counter)):
        county = int(rng.choice(world.regions.size, p=world.regions.weight))
        clinic = free_facility(world, rng, county, VILLAGE_CLINIC if world.regions.rural[county] else CHC)
        if clinic < 0:
            continue
        fit = (age >= 55) & (pop.death_day == NO_DAY)
        pool = world.candidates((world.home_primary == clinic) & fit)
        if len(pool) < 8:
            pool = world.candidates((pop.county == county) & fit)
        regulars = choose(rng, pool, between(rng, world.settings.lookalikes.busy_counter_regulars))
        if len(regulars) < 5:
            continue
        world.reserve(regulars)
        clerk = int(fac.pick_operator(rng, np.array([clinic]))[0])
        every = 7 if rng.random() < 0.6 else 14
        day = world.start + int(rng.integers(0, every))
        mark(world, truth, "busy_counter", day, patients=regulars, facilities=[clinic])
        while day < world.end:
            clock = 28_800 + int(rng.integers(0, 3_600))
            for person in regulars[rng.random(len(regulars)) < world.settings.lookalikes.busy_counter_attendance].tolist():
                diag, drug = own_care(world, rng, person)
                phone = int(pop.device[person]) if rng.random() < 0.2 else -1
                builder.settlement(
                    card=pop.card_for(person, day), patient=person, facility=clinic, kind=OUTPATIENT,
                    t=at(day, clock), lines=box_lines(world, builder, drug, 1, traced=rng.random() < 0.85),
                    fee=int(rng.integers(500, 2_500)), fund_ratio=fund_ratio(world, rng, person, "outpatient"),
                    prescriber=int(fac.pick_prescriber(rng, np.array([clinic]))[0]), diag=diag, device=phone,
                    operator=clerk)
                clock += int(rng.integers(30, 300))
            day += every


def _day_case(world, builder, rng, person, facility, day, clock, code, drg, cost_yuan, ratio, operator,
              doctor, stay=0) -> None:
    cat = world.catalogue
    discharge = min(day + stay, world.end - 1)
    lines = box_lines(world, builder, cat.drug("氯化钠注射液"), int(rng.integers(1, 3)), traced=False)
    builder.settlement(
        card=world.pop.card_for(person, discharge), patient=person, facility=facility, kind=INPATIENT,
        t=at(discharge, clock), lines=lines,
        total=max(int(cost_yuan * 100 * rng.lognormal(0, 0.15)), sum(line[2] for line in lines) + 5_000),
        fund_ratio=ratio, prescriber=doctor, admitted=day, discharged=discharge, diag=cat.diag(code),
        drg=cat.drg(drg), operator=operator)


def dialysis_shifts(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac = world.pop, world.facilities
    age = pop.age_at(world.start)
    for _ in range(count(world, world.settings.patients_per_dialysis_unit)):
        county = int(rng.choice(world.regions.size, p=world.regions.weight))
        unit = free_facility(world, rng, county, MAJOR_HOSPITAL)
        if unit < 0:
            continue
        near = same_city(world, county)[pop.county]
        patients = choose(rng, world.candidates(near & (age >= 35) & (pop.death_day == NO_DAY)),
                          between(rng, world.settings.lookalikes.dialysis_patients))
        world.reserve(patients)
        mark(world, truth, "dialysis_shift", world.start, patients=patients, facilities=[unit])
        shift = rng.random(len(patients)) < 0.5  # True: Mon/Wed/Fri, False: Tue/Thu/Sat
        operator = int(fac.pick_operator(rng, np.array([unit]))[0])
        doctor = int(fac.pick_prescriber(rng, np.array([unit]))[0])
        ratio = {int(p): rng.uniform(*world.settings.lookalikes.dialysis_fund_share) for p in patients}
        for day in range(world.start, world.end):
            wd = weekday(day)
            if wd == 6:
                continue
            today = patients[shift == (wd in (0, 2, 4))]
            clock = 41_400 + int(rng.integers(0, 1_800))
            for person in today[rng.random(len(today)) < world.settings.lookalikes.dialysis_attendance].tolist():
                _day_case(world, builder, rng, person, unit, day, clock, DIALYSIS[0], DIALYSIS[1], DIALYSIS[2],
                          ratio[person], operator, doctor)
                clock += int(rng.integers(60, 300))


REHAB = ("I63.9", "BR25", 900)
"""A stroke rehabilitation session, settled as a day case under the stroke's code."""


def rehab_shifts(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac, shape = world.pop, world.facilities, world.settings.lookalikes
    age = pop.age_at(world.start)
    rural = np.flatnonzero(world.regions.rural)
    for _ in range(count(world, world.settings.patients_per_rehab_shift)):
        county = int(rng.choice(rural, p=world.regions.weight[rural] / world.regions.weight[rural].sum()))
        ward = free_facility(world, rng, county, MINOR_HOSPITAL)
        pool = world.candidates((pop.county == county) & (age >= 55) & (pop.death_day == NO_DAY))
        patients = choose(rng, pool, between(rng, shape.rehab_patients))
        if ward < 0 or len(patients) < 4:
            continue
        world.reserve(patients)
        weeks = between(rng, shape.rehab_weeks)
        first = world.start + int(rng.integers(0, max(1, world.days - 7 * weeks)))
        weekdays = (1, 4) if rng.random() < 0.5 else (0, 3)
        mark(world, truth, "rehab_shift", first, patients=patients, facilities=[ward])
        operator = int(fac.pick_operator(rng, np.array([ward]))[0])
        doctor = int(fac.pick_prescriber(rng, np.array([ward]))[0])
        ratio = {int(p): fund_ratio(world, rng, int(p), "inpatient") for p in patients}
        for day in range(first, min(world.end, first + 7 * weeks)):
            if weekday(day) not in weekdays:
                continue
            clock = 30_600 + int(rng.integers(0, 1_800))
            for person in patients[rng.random(len(patients)) < shape.rehab_attendance].tolist():
                _day_case(world, builder, rng, person, ward, day, clock, REHAB[0], REHAB[1], REHAB[2],
                          ratio[person], operator, doctor)
                clock += int(rng.integers(60, 300))


def charity_campaigns(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac = world.pop, world.facilities
    age = pop.age_at(world.start)
    rural = np.flatnonzero(world.regions.rural)
    for _ in range(count(world, world.settings.patients_per_charity_campaign)):
        county = int(rng.choice(rural, p=world.regions.weight[rural] / world.regions.weight[rural].sum()))
        hospital = free_facility(world, rng, county, MAJOR_HOSPITAL)
        shape = world.settings.lookalikes
        villages = choose(rng, np.flatnonzero(pop.villages.county == county),
                          between(rng, shape.campaign_villages))
        pool = world.candidates(np.isin(pop.village, villages) & (age >= 60) & (pop.death_day == NO_DAY))
        patients = choose(rng, pool, between(rng, shape.campaign_patients))
        if hospital < 0 or len(patients) < 5:
            continue
        world.reserve(patients)
        covered = rng.random() < shape.campaign_covered_share
        day = world.start + int(rng.integers(0, max(1, world.days - 70)))
        mark(world, truth, "charity_campaign", day, patients=patients, facilities=[hospital])
        operator = int(fac.pick_operator(rng, np.array([hospital]))[0])
        doctor = int(fac.pick_prescriber(rng, np.array([hospital]))[0])
        second_eye = patients[rng.random(len(patients)) < shape.campaign_second_eye_share]
        rounds = [(day, patients[: len(patients) // 2]), (day + 1, patients[len(patients) // 2:]),
                  (day + int(rng.integers(28, 57)), second_eye)]
        for admitted, group in rounds:
            clock = 36_000 + int(rng.integers(0, 7_200))
            for person in group.tolist():
                ratio = 1.0 if covered else fund_ratio(world, rng, person, "inpatient")
                _day_case(world, builder, rng, person, hospital, admitted, clock, CATARACT[0], CATARACT[1],
                          CATARACT[2], ratio, operator, doctor, stay=int(rng.integers(1, 4)))
                clock += int(rng.integers(60, 600))


def referral_centres(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop = world.pop
    age = pop.age_at(world.start)
    urban = np.flatnonzero(~world.regions.rural)
    for _ in range(count(world, world.settings.patients_per_referral_centre)):
        county = int(rng.choice(urban, p=world.regions.weight[urban] / world.regions.weight[urban].sum()))
        centre = free_facility(world, rng, county, MAJOR_HOSPITAL, level="3")
        region = same_city(world, county)[pop.county] | (rng.random(pop.size) < 0.3)
        province = np.array([c[:2] == world.regions.code[county][:2] for c in world.regions.code])[pop.county]
        patients = choose(rng, world.candidates(region & province & (age >= 30) & (pop.death_day == NO_DAY)),
                          between(rng, world.settings.lookalikes.referral_patients))
        if centre < 0 or len(patients) < 6:
            continue
        world.reserve(patients)
        mark(world, truth, "referral_centre", world.start, patients=patients, facilities=[centre])
        admission_day = int(rng.integers(0, 5))
        first_day = world.start + (admission_day - weekday(world.start)) % 7
        for cohort in np.array_split(patients, max(1, len(patients) // world.settings.lookalikes.referral_cohort_size)):
            _treatment_cycles(world, builder, rng, cohort, centre, first_day)


def _treatment_cycles(world, builder, rng, cohort, centre, first_day) -> None:
    """A cohort that started treatment on the same admission day and comes
    back together each cycle; each patient with their own stay and share."""
    fac, cat = world.facilities, world.catalogue
    cycle = 21 if rng.random() < 0.5 else 28
    day = first_day + 7 * int(rng.integers(0, max(1, (world.days - 3 * cycle) // 7)))
    chemo = rng.random() < 0.6
    operator = int(fac.pick_operator(rng, np.array([centre]))[0])
    for _ in range(between(rng, world.settings.lookalikes.referral_cycles)):
        if day >= world.end - 2:
            break
        clock = 32_000 + int(rng.integers(0, 7_200))
        for person in cohort.tolist():
            if chemo:
                code, drg, cost = CHEMOTHERAPY[0], CHEMOTHERAPY[1], float(CHEMOTHERAPY[2])
            else:
                row = int(rng.choice(np.flatnonzero(np.isin(cat.diagnosis_code[cat.inpatient_diag],
                                                            ("I63.9", "M51.2", "S72.0")))))
                code, drg = str(cat.diagnosis_code[cat.inpatient_diag[row]]), str(cat.drg_code[cat.inpatient_drg[row]])
                cost = float(cat.inpatient_cost[row]) * 0.6
            _day_case(world, builder, rng, person, centre, day, clock, code, drg, cost,
                      fund_ratio(world, rng, person, "inpatient"), operator,
                      int(fac.pick_prescriber(rng, np.array([centre]))[0]), stay=int(rng.integers(1, 8)))
            clock += int(rng.integers(60, 900))
        day += cycle
