"""Legitimate look-alikes that a naive detector would flag (false alarms).

- family_shared_phone: households registering one phone, so their
  e-credentials come from one device (looks like a card-lending gang);
- nursing_home: residents visiting the same clinic together each month,
  some through the home's staff phone, yet paying their normal share with
  varied diagnoses (looks like a car shuttle or a borrowed-card session);
- group_admission_outbreak: one village admitted together once after food
  poisoning, normal self-pay, varied stays (looks like a car shuttle);
- long_legit_supply: chronic patients on 12-week prescriptions from one
  doctor at regular intervals, within max_daily_units (looks like
  over-prescription);
- chain_shared_staff: chain pharmacies sharing floating operators;
- legit_maternity_employer: long-registered employers with several ordinary
  maternity claims, normal salaries, long tenure;
- same_day_correction: the same card re-settling the same boxes at the same
  pharmacy on the same day (the contract's one allowed trace-code repeat);
- honest_coadmission (planted by the car-shuttle planter): honest patients
  admitted to a shuttle hospital on a round's day.

More look-alikes, at least two per coordination pattern a detector uses,
live in ``lookalike_care`` (family joint visits, busy counters, dialysis
shifts, charity campaigns, referral centres), ``lookalike_supply`` (DTP
pharmacies, palliative opioids, returned boxes) and ``lookalike_employers``
(job changes before delivery, accounting agents, incubators).  Every
look-alike lists the entities a detector could report (patients with their
cards, facilities, prescribers, devices, employers).
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import CHC, MAJOR_HOSPITAL, MINOR_HOSPITAL
from ringscope.ingest.synth.facts import INPATIENT, OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import at, box_lines, choose, fund_ratio
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

_HOME_NAMES = ("福寿老年公寓", "康乐养老院", "夕阳红敬老院", "颐和养老中心", "松鹤老年公寓")


def plant_hard_negatives(world: World, builder: FactBuilder, truth: Truth) -> None:
    from ringscope.ingest.synth import lookalike_care as care
    from ringscope.ingest.synth import lookalike_employers as employers
    from ringscope.ingest.synth import lookalike_supply as supply

    rng = world.rng(300)
    pop = world.pop
    start = world.start
    for p in np.flatnonzero(pop.shared_phone_household & (pop.phone > 0)):
        truth.hard_negative("patient", int(p), "family_shared_phone", start)
        truth.hard_negative("card", int(p), "family_shared_phone", start)
    for p in np.flatnonzero(pop.long_prescription):
        truth.hard_negative("patient", int(p), "long_legit_supply", start)
    fac = world.facilities
    for f in np.flatnonzero((fac.chain >= 0) & fac.chain_shares_staff[np.maximum(fac.chain, 0)]
                            & ~world.ring_facilities):
        truth.hard_negative("facility", int(f), "chain_shared_staff", start)
    _nursing_homes(world, builder, truth, rng)
    _outbreaks(world, builder, truth, rng)
    _maternity_employers(world, truth, rng)
    _corrections(world, builder, truth, rng)
    more = (care.family_joint_visits, care.busy_counters, care.dialysis_shifts, care.charity_campaigns,
            care.referral_centres, supply.dtp_pharmacies, supply.palliative_doctors, supply.returned_boxes,
            employers.job_changes, employers.accounting_agents, employers.incubators, supply.branch_transfers,
            care.rehab_shifts)
    for k, plant in enumerate(more):
        plant(world, builder, truth, world.rng(301, k))


def _nursing_homes(world, builder, truth, rng) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    age = pop.age_at(world.start)
    n_homes = max(2, pop.size // world.settings.patients_per_nursing_home)
    for h in range(n_homes):
        county = int(rng.choice(world.regions.size, p=world.regions.weight))
        clinic = int(fac.pick(rng, np.array([county]), CHC if not world.regions.rural[county] else MINOR_HOSPITAL)[0])
        if world.ring_facilities[clinic]:
            clinic = int(fac.pick(rng, np.array([county]), MAJOR_HOSPITAL)[0])
        if world.ring_facilities[clinic]:
            continue
        residents = choose(rng, world.candidates((pop.county == county) & (age >= 70)
                                                 & (pop.death_day > world.start + 30)), int(rng.integers(12, 40)))
        if len(residents) < 5:
            continue
        world.reserve(residents)
        address = f"{world.regions.prefix()[county]}{_HOME_NAMES[h % len(_HOME_NAMES)]}"
        for r in residents:
            pop.address[r] = address
        staff_phone = world.new_device()
        truth.hard_negative("facility", clinic, "nursing_home", world.start)
        for r in residents:
            truth.hard_negative("patient", int(r), "nursing_home", world.start)
            truth.hard_negative("card", int(r), "nursing_home", world.start)
        day = world.start + int(rng.integers(0, 20))
        while day < world.end:
            clock = 30_600
            clerk = int(fac.pick_operator(rng, np.array([clinic]))[0])  # the home's residents go to one counter
            for r in residents[rng.random(len(residents)) < 0.75]:
                r = int(r)
                if pop.death_day[r] <= day:
                    continue
                chronic = pop.chronic[r]
                diag = int(cat.chronic_diag[chronic]) if chronic >= 0 and rng.random() < 0.6 else int(
                    cat.acute_diag[int(rng.choice(len(cat.acute_diag), p=cat.acute_weight))])
                drug = int(world.chronic_drugs[r, 0]) if chronic >= 0 else int(cat.drugs_in("tcm")[int(rng.integers(0, 4))])
                lines = box_lines(world, builder, drug, 1, traced=rng.random() < 0.85)
                device = staff_phone if rng.random() < 0.4 else -1
                builder.settlement(
                    card=pop.card_for(r, day), patient=r, facility=clinic,
                    kind=OUTPATIENT, t=at(day, clock), lines=lines, fee=int(rng.integers(1_000, 6_000)),
                    fund_ratio=fund_ratio(world, rng, r, "outpatient"),
                    prescriber=int(fac.pick_prescriber(rng, np.array([clinic]))[0]), diag=diag, device=device,
                    operator=clerk)
                if world.seen_device(clinic, device) >= 0:
                    truth.hard_negative("device", staff_phone, "nursing_home", day)
                clock += int(rng.integers(120, 900))
            day += int(rng.integers(26, 35))


def _outbreaks(world, builder, truth, rng) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    n = max(1, pop.size // world.settings.patients_per_outbreak)
    rural_villages = np.arange(len(pop.villages.county))
    planted, attempts = 0, 0
    while planted < n and attempts < 20 * n and len(rural_villages):
        attempts += 1
        village = int(rng.choice(rural_villages))
        day = world.start + int(rng.integers(0, max(1, world.days - 10)))
        people = choose(rng, world.candidates((pop.village == village) & (pop.death_day > day + 10)),
                        int(rng.integers(8, 26)))
        if len(people) < 4:
            continue
        county = int(pop.villages.county[village])
        hospital = int(fac.pick(rng, np.array([county]), MINOR_HOSPITAL if rng.random() < 0.6 else MAJOR_HOSPITAL)[0])
        if world.ring_facilities[hospital]:  # a ring's hospital: its admissions are fraud's, not a look-alike's
            continue
        planted += 1
        world.reserve(people)
        for p in people.tolist():
            code = "A05.9" if rng.random() < 0.7 else "A09"
            stay = int(rng.integers(1, 6))
            discharge = min(day + stay, world.end - 1)
            row = int(np.flatnonzero(cat.diagnosis_code[cat.inpatient_diag] == "A05.9")[0])
            lines = box_lines(world, builder, cat.drug("蒙脱石散"), 1) + box_lines(
                world, builder, cat.drug("氯化钠注射液"), int(rng.integers(2, 6)), traced=False)
            builder.settlement(
                card=pop.card_for(p, discharge), patient=p, facility=hospital,
                kind=INPATIENT, t=at(discharge, 32_000 + int(rng.integers(0, 20_000))), lines=lines,
                fee=int(rng.uniform(1_200, 3_800) * 100), fund_ratio=fund_ratio(world, rng, p, "inpatient"),
                prescriber=int(fac.pick_prescriber(rng, np.array([hospital]))[0]), admitted=day,
                discharged=discharge, diag=cat.diag(code), drg=int(cat.inpatient_drg[row]),
                operator=int(fac.pick_operator(rng, np.array([hospital]))[0]))
            truth.hard_negative("patient", p, "group_admission_outbreak", discharge)
            truth.hard_negative("card", pop.card_for(p, discharge), "group_admission_outbreak", discharge)
            truth.hard_negative("facility", hospital, "group_admission_outbreak", discharge)


def _maternity_employers(world, truth, rng) -> None:
    """Big, old employers whose employees happen to have several babies."""
    pop = world.pop
    emp = world.employers
    jobs_employer = np.array(world.jobs.employer, dtype=np.int64)
    jobs_patient = np.array(world.jobs.patient, dtype=np.int64)
    jobs_start = np.array(world.jobs.start, dtype=np.int64)
    jobs_end = np.array(world.jobs.end, dtype=np.int64)
    age = pop.age_at(world.start)
    eligible = (pop.female[jobs_patient] & (age[jobs_patient] >= 24) & (age[jobs_patient] < 38)
                & (jobs_start < world.start - 730) & (jobs_end == NO_DAY)
                & (pop.death_day[jobs_patient] == NO_DAY) & ~world.reserved[jobs_patient])
    counts = np.bincount(jobs_employer[eligible], minlength=emp.size)
    registered = np.array(emp.registered)
    old_enough = registered < world.start - 5 * 365
    ranked = [int(e) for e in np.argsort(-counts, kind="stable") if old_enough[e] and counts[e] >= 3]
    for e in ranked[: world.settings.legit_maternity_employers]:
        women = choose(rng, jobs_patient[eligible & (jobs_employer == e)], int(rng.integers(3, 7)))
        latest = max(world.start - 30, world.end - 100)
        for w in women.tolist():
            world.delivery[w] = int(rng.integers(world.start - 40, latest + 1))
            world.reserved[w] = True
            truth.hard_negative("patient", w, "legit_maternity_employer", world.start)
        truth.hard_negative("employer", e, "legit_maternity_employer", world.start)


def _corrections(world, builder, truth, rng) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    n = max(3, pop.size // world.settings.patients_per_correction)
    people = choose(rng, world.candidates(pop.death_day == NO_DAY), n)
    acute = cat.drugs_in("cold", "gi", "pain")
    for p in people.tolist():
        day = world.start + int(rng.integers(0, world.days))
        pharmacy = int(world.home_pharmacy[p])
        card = pop.card_for(p, day)
        drug = int(acute[int(rng.integers(0, len(acute)))])
        lines = box_lines(world, builder, drug, int(rng.integers(1, 3)))
        clock = 30_000 + int(rng.integers(0, 30_000))
        operator = int(fac.pick_operator(rng, np.array([pharmacy]))[0])
        ratio = fund_ratio(world, rng, p, "pharmacy")
        for attempt in range(2):
            builder.settlement(card=card, patient=p, facility=pharmacy, kind=PHARMACY_KIND,
                               t=at(day, clock + attempt * int(rng.integers(300, 5_400))), lines=lines,
                               fund_ratio=ratio, operator=operator)
        truth.hard_negative("card", card, "same_day_correction", day)
        truth.hard_negative("patient", p, "same_day_correction", day)
