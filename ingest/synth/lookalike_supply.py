"""Legitimate look-alikes of the supply patterns (one prescriber's patients
filled at one pharmacy in quantity; one trace code settled twice).

- DTP specialist pharmacy: a region's patients of a few specialists fill
  one rare, expensive drug monthly at one "direct-to-patient" pharmacy, at
  the clinical dose (explained by the drug's own baseline: everyone on it
  gets it this way);
- palliative opioids: a palliative doctor escalates opioids for terminal
  cancer patients, legitimately above the usual maximum daily dose
  (explained by the diagnosis and by a few patients, not a circle);
- returned box resold: an unopened box returned within days is sold again
  to another customer at the same pharmacy, so its trace code is in two
  settlements (explained by a single event per buyer, at the pharmacy
  where it was bought);
- returned box moved to a branch: a chain pharmacy sends returned, unopened
  boxes to another branch of the same chain, which sells them on, so a code
  bought at one store is settled again at another (explained by the shared
  ``chain_id``, one box per buyer).
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.facilities import MAJOR_HOSPITAL, MINOR_HOSPITAL, PHARMACY
from ringscope.ingest.synth.facts import OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.lookalike_care import between, count, free_facility, mark
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import at, box_lines, choose, fund_ratio, own_care, same_province
from ringscope.ingest.synth.schemes.trace_resale import diagnosis_for
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

DTP_DRUGS = ("来那度胺胶囊", "阿达木单抗注射液", "甲磺酸伊马替尼片", "甲磺酸奥希替尼片")
PALLIATIVE_DRUGS = ("氨酚羟考酮片", "盐酸曲马多缓释片")


def _independent_pharmacy(world: World, rng: np.random.Generator, county: int) -> int:
    fac = world.facilities
    sharing = (fac.chain >= 0) & fac.chain_shares_staff[np.maximum(fac.chain, 0)]
    pool = np.flatnonzero((fac.county == county) & (fac.category == PHARMACY) & ~sharing & ~world.ring_facilities)
    return int(pool[int(rng.integers(0, len(pool)))]) if len(pool) else -1


def dtp_pharmacies(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    age = pop.age_at(world.start)
    urban = np.flatnonzero(~world.regions.rural)
    for _ in range(count(world, world.settings.patients_per_dtp_pharmacy)):
        county = int(rng.choice(urban, p=world.regions.weight[urban] / world.regions.weight[urban].sum()))
        pharmacy = _independent_pharmacy(world, rng, county)
        hospital = free_facility(world, rng, county, MAJOR_HOSPITAL)
        region = same_province(world, county)[pop.county]
        patients = choose(rng, world.candidates(region & (age >= 30) & (age < 80) & (pop.death_day == NO_DAY)),
                          between(rng, world.settings.lookalikes.dtp_patients))
        if pharmacy < 0 or hospital < 0 or len(patients) < 4:
            continue
        world.reserve(patients)
        drug = cat.drug(DTP_DRUGS[int(rng.integers(0, len(DTP_DRUGS)))])
        n_doctors = min(int(fac.prescriber_count[hospital]),
                        between(rng, world.settings.lookalikes.dtp_specialists))
        doctors = [int(fac.prescriber_start[hospital]) + i for i in range(n_doctors)]
        operator = int(fac.pick_operator(rng, np.array([pharmacy]))[0])
        mark(world, truth, "dtp_specialist", world.start, patients=patients, facilities=[pharmacy],
             prescribers=doctors)
        boxes = max(1, round(float(cat.typical_daily[drug] * 28 / cat.box_units[drug])))
        for person in patients.tolist():
            doctor = doctors[int(rng.integers(0, len(doctors)))]
            day = world.start + int(rng.integers(0, 28))
            while day < world.end:
                builder.settlement(
                    card=pop.card_for(person, day), patient=person, facility=pharmacy, kind=PHARMACY_KIND,
                    t=at(day, 30_000 + int(rng.integers(0, 30_000))),
                    lines=box_lines(world, builder, drug, boxes, traced=rng.random() < 0.95, days_supply=28),
                    fund_ratio=fund_ratio(world, rng, person, "inpatient"), prescriber=doctor,
                    diag=diagnosis_for(world, drug), operator=operator)
                day += int(rng.integers(27, 32))


def palliative_doctors(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    age = pop.age_at(world.start)
    for _ in range(count(world, world.settings.patients_per_palliative_doctor)):
        county = int(rng.choice(world.regions.size, p=world.regions.weight))
        hospice = free_facility(world, rng, county, MINOR_HOSPITAL if rng.random() < 0.5 else MAJOR_HOSPITAL)
        pharmacy = _independent_pharmacy(world, rng, county)
        patients = choose(rng, world.candidates((pop.county == county) & (age >= 55) & (age < 92)
                                                & (pop.death_day > world.start + 30)),
                          between(rng, world.settings.lookalikes.palliative_patients))
        if hospice < 0 or len(patients) < 3 or fac.prescriber_count[hospice] == 0:
            continue
        world.reserve(patients)
        doctor = int(fac.pick_prescriber(rng, np.array([hospice]))[0])
        places = [hospice] + ([pharmacy] if pharmacy >= 0 else [])
        mark(world, truth, "palliative_opioid", world.start, patients=patients, facilities=places,
             prescribers=[doctor])
        for person in patients.tolist():
            drug = cat.drug(PALLIATIVE_DRUGS[int(rng.integers(0, len(PALLIATIVE_DRUGS)))])
            day = world.start + int(rng.integers(0, 30))
            dose = rng.uniform(0.6, 0.9)  # of max_daily_units, escalating with the pain
            peak = rng.uniform(*world.settings.lookalikes.palliative_peak_dose)
            stop = min(world.end, int(pop.death_day[person]))
            while day < stop:
                days = 7 if rng.random() < 0.6 else 14
                boxes = max(1, round(float(dose * cat.max_daily_units[drug] * days / cat.box_units[drug])))
                facility = places[int(rng.random() < 0.4 and len(places) > 1)]
                own = facility == hospice
                builder.settlement(
                    card=pop.card_for(person, day), patient=person, facility=facility,
                    kind=OUTPATIENT if own else PHARMACY_KIND, t=at(day, 30_000 + int(rng.integers(0, 30_000))),
                    lines=box_lines(world, builder, drug, boxes, traced=rng.random() < 0.9, days_supply=days),
                    fee=int(rng.integers(1_000, 4_000)) if own else 0,
                    fund_ratio=fund_ratio(world, rng, person, "outpatient" if own else "pharmacy"),
                    prescriber=doctor, diag=cat.diag("C34.9"),
                    operator=int(fac.pick_operator(rng, np.array([facility]))[0]))
                dose = min(peak, dose * rng.uniform(1.05, 1.2))
                day += days - int(rng.integers(0, 2))


def returned_boxes(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac = world.pop, world.facilities
    for _ in range(count(world, world.settings.patients_per_returned_box)):
        county = int(rng.choice(world.regions.size, p=world.regions.weight))
        pharmacy = _independent_pharmacy(world, rng, county)
        customers = choose(rng, world.candidates((pop.county == county) & (pop.death_day == NO_DAY)
                                                 & (pop.age_at(world.start) >= 18)),
                           2 * between(rng, world.settings.lookalikes.returns_per_pharmacy))
        if pharmacy < 0 or len(customers) < 4:
            continue
        world.reserve(customers)
        pairs = customers[: len(customers) // 2 * 2]  # fewer candidates than asked leaves an odd count
        for first, second in pairs.reshape(-1, 2).tolist():
            day = world.start + int(rng.integers(0, world.days - 5))
            diag, drug = own_care(world, rng, first)
            line = box_lines(world, builder, drug, 1, traced=True)
            clock = 30_000 + int(rng.integers(0, 20_000))
            later = int(rng.integers(0, world.settings.lookalikes.return_within_days + 1))
            resold_at = clock + int(rng.integers(600, 14_000)) if later == 0 else 30_000 + int(rng.integers(0, 30_000))
            for person, when, seconds in ((first, day, clock), (second, day + later, resold_at)):
                builder.settlement(
                    card=pop.card_for(person, when), patient=person, facility=pharmacy, kind=PHARMACY_KIND,
                    t=at(when, seconds), lines=line,
                    fund_ratio=fund_ratio(world, rng, person, "pharmacy"), diag=diag,
                    operator=int(fac.pick_operator(rng, np.array([pharmacy]))[0]))
            mark(world, truth, "returned_box_resold", day, patients=[first, second], facilities=[pharmacy])


def _chain_branches(world: World, rng: np.random.Generator) -> tuple[int, int]:
    """Two stores of one chain in one province (not ring facilities), or (-1, -1)."""
    fac = world.facilities
    stores = np.flatnonzero((fac.chain >= 0) & (fac.category == PHARMACY) & ~world.ring_facilities)
    if len(stores) < 2:
        return -1, -1
    first = int(stores[int(rng.integers(0, len(stores)))])
    province = world.regions.code[int(fac.county[first])][:2]
    sisters = [int(f) for f in stores if fac.chain[f] == fac.chain[first] and f != first
               and world.regions.code[int(fac.county[f])][:2] == province]
    return (first, sisters[int(rng.integers(0, len(sisters)))]) if sisters else (-1, -1)


def branch_transfers(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, fac = world.pop, world.facilities
    for _ in range(count(world, world.settings.patients_per_branch_transfer)):
        store, branch = _chain_branches(world, rng)
        if store < 0:
            continue
        boxes = between(rng, world.settings.lookalikes.returns_per_pharmacy)
        adults = (pop.death_day == NO_DAY) & (pop.age_at(world.start) >= 18)
        customers = choose(rng, world.candidates(adults & (pop.county == fac.county[store])), boxes)
        buyers = choose(rng, world.candidates(adults & (pop.county == fac.county[branch])), boxes)
        n = min(len(customers), len(buyers))
        if n < 2:
            continue
        world.reserve(customers[:n])
        world.reserve(buyers[:n])
        within = max(4, min(40, world.days // 3))  # days until the branch sells it (a short drop: sooner)
        for first, second in zip(customers[:n].tolist(), buyers[:n].tolist()):
            day = world.start + int(rng.integers(0, max(1, world.days - within)))
            diag, drug = own_care(world, rng, first)
            line = box_lines(world, builder, drug, 1, traced=True)
            for person, facility, when in ((first, store, day), (second, branch, day + int(rng.integers(1, within)))):
                builder.settlement(
                    card=pop.card_for(person, when), patient=person, facility=facility, kind=PHARMACY_KIND,
                    t=at(when, 30_000 + int(rng.integers(0, 30_000))), lines=line,
                    fund_ratio=fund_ratio(world, rng, person, "pharmacy"), diag=diag,
                    operator=int(fac.pick_operator(rng, np.array([facility]))[0]))
        mark(world, truth, "returned_box_moved_to_branch", world.start,
             patients=[*customers[:n].tolist(), *buyers[:n].tolist()], facilities=[store, branch])


__all__ = ["NO_DAY", "branch_transfers", "dtp_pharmacies", "palliative_doctors", "returned_boxes"]
