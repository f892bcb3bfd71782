"""Coding drift (低码高编 as a habit): doctors and institutions whose case mix drifts to the upper
groups of each ADRG with no support in the records, and the look-alikes whose mix is high for a reason.

Planted, per seed, at hospitals no other DRG violation uses:

- **drifting prescribers**: one doctor codes 12-45 stays, 35-80 % of them up-coded the way
  ``planting.up_coding`` does it (a complication nobody treated, never seen in the patient's
  history, a stay with the simple group's length and cost), the rest ordinary coded care;
- **drifting institutions**: the coding office up-codes 35-80 % of 50-120 stays spread evenly over
  the hospital's doctors (so its doctors' mixes drift too, each by less);
- **look-alike prescribers** (``supported_case_mix``): a doctor with 60-90 % upper-group stays,
  each supported: the complication treated (ventilation, transfusion, dialysis...), a comorbidity
  on the patient's outpatient record, or the length and cost of a complicated stay;
- **look-alike tertiary hospitals** (``sicker_case_mix``): a level-3 hospital whose 40-90 stays
  are 70-85 % upper-group and supported, a sicker mix than its level's peers in the province.

Every up-coded stay is an ``up_coding`` case of ``truth/drg_cases.csv`` (the contract has no
case type for drift); the units are listed in ``truth/drg_drift.csv`` (ours, not the contract:
``unit, facility_id, prescriber_id, planted, episodes, upcoded``) so that ``benchmarks/drg.py``
can score the drift screen on the units behind the cases, and the look-alikes' settlements go
to ``truth/drg_lookalikes.csv``.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.drg import lookalikes
from ringscope.ingest.synth.drg import planting as plant
from ringscope.ingest.synth.drg.episodes import (
    ACUTE_COMPLICATIONS,
    BASE_PROCEDURES,
    PRINCIPAL,
    Stay,
    stay_drugs,
    write_stay,
)
from ringscope.ingest.synth.drg.planting import Ward
from ringscope.ingest.synth.facilities import MAJOR_HOSPITAL

DRIFTING, SUPPORTED, SICKER = "drifting", "supported_case_mix", "sicker_case_mix"
"""``planted`` values of ``truth/drg_drift.csv``."""
SUPPORT_ADRGS = ("ES3", "BR2", "HC3", "ET2", "FR2", "KS1", "GZ1", "IU2")
"""ADRGs split by complications (groups 1/3/5) whose complicated stays the look-alikes treat."""


def doctors_of(ward: Ward, hospital: int) -> np.ndarray:
    fac = ward.world.facilities
    return np.arange(fac.prescriber_start[hospital], fac.prescriber_start[hospital] + fac.prescriber_count[hospital])


def spread(ward: Ward, doctors: np.ndarray, episodes: int) -> list[int]:
    """``episodes`` doctors in turn, so each codes at most ``ceil(episodes / len(doctors))`` stays."""
    return [int(d) for d in np.resize(ward.rng.permutation(doctors), episodes)]


def drifting_prescriber(ward: Ward, hospital: int) -> None:
    """One doctor who codes a varying share of a varying number of stays into upper groups, unsupported."""
    rng = ward.rng
    doctor = int(rng.choice(doctors_of(ward, hospital)))
    episodes = int(rng.integers(12, 46))
    upcoded = int(round(episodes * rng.uniform(0.35, 0.8)))
    for _ in range(upcoded):
        plant.up_coding(ward, hospital, doctor)
    for person in ward.patients(episodes - upcoded).tolist():
        plant.ordinary_stay(ward, int(person), hospital, doctor)
    ward.truth.units.append(("prescriber", int(hospital), doctor, DRIFTING, episodes, upcoded))


def drifting_institution(ward: Ward, hospital: int) -> None:
    """The institution's coding up-codes a share of stays spread over all its doctors.

    Many stays, because the hospital's everyday inpatients (coded honestly) dilute the habit.
    """
    rng = ward.rng
    doctors = doctors_of(ward, hospital)
    episodes = int(rng.integers(50, 121))
    upcoded = int(round(episodes * rng.uniform(0.35, 0.8)))
    flags = rng.permutation(np.arange(episodes) < upcoded)
    people = ward.patients(episodes - upcoded).tolist()
    for doctor, up in zip(spread(ward, doctors, episodes), flags.tolist()):
        if up:
            plant.up_coding(ward, hospital, doctor)
        else:
            plant.ordinary_stay(ward, int(people.pop()), hospital, doctor)
    ward.truth.units.append(("institution", int(hospital), -1, DRIFTING, episodes, upcoded))


def supported_stay(ward: Ward, person: int, hospital: int, doctor: int) -> int:
    """An upper-group stay the record supports: a known comorbidity, a treated complication, or a long costly stay."""
    rng, g, world = ward.rng, ward.groups, ward.world
    adrg = str(rng.choice(np.array(SUPPORT_ADRGS)))
    if world.pop.chronic[person] >= 0 and rng.random() < 0.5:  # the comorbidity is treated elsewhere too
        code = str(world.catalogue.diagnosis_code[world.catalogue.chronic_diag[world.pop.chronic[person]]])
        lookalikes.history_visit(ward, person, code)
        stay = ward.stay(person, hospital, adrg, "3", ward.day(30), secondary=[code], prescriber=doctor)
    elif rng.random() < 0.6:  # a severe complication, and the treatment for it
        code, treatment = ACUTE_COMPLICATIONS[int(rng.integers(0, len(ACUTE_COMPLICATIONS)))]
        stay = ward.stay(person, hospital, adrg, "1", ward.day(30), secondary=[code],
                         procedures=list(BASE_PROCEDURES[adrg]) + [treatment], prescriber=doctor)
    else:  # no procedure for it, but the stay lasted and cost what a complicated one does
        simple, upper = g.index(adrg + "5"), g.index(adrg + "1")
        median = max(1, int(g.median_stay[simple]))
        los = int(g.max_los[simple]) + int(rng.integers(1, max(2, median)))
        cost = int(g.payment_cents[simple] * los / median * rng.uniform(0.95, 1.15))  # a bill grows with the stay
        code = str(ACUTE_COMPLICATIONS[int(rng.integers(0, len(ACUTE_COMPLICATIONS)))][0])
        stay = Stay(person, hospital, upper, ward.day(los + 5), los, cost, PRINCIPAL[adrg], [code],
                    list(BASE_PROCEDURES[adrg]), stay_drugs(world, rng), doctor)
    return write_stay(world, ward.builder, g, rng, stay)[0]


def case_mix(ward: Ward, hospital: int, doctors: list[int], upper_share: float) -> list[int]:
    """Stays by ``doctors`` (one each), ``upper_share`` of them supported upper-group stays, the rest ordinary."""
    people = ward.patients(len(doctors)).tolist()
    upper = ward.rng.random(len(doctors)) < upper_share
    return [supported_stay(ward, int(p), hospital, d) if up else plant.ordinary_stay(ward, int(p), hospital, d)
            for p, d, up in zip(people, doctors, upper.tolist())]


def supported_prescriber(ward: Ward, hospital: int) -> None:
    """A doctor who treats the complicated stays: a high upper-group share, every one supported."""
    rng = ward.rng
    doctor = int(rng.choice(doctors_of(ward, hospital)))
    episodes = int(rng.integers(12, 41))
    sids = case_mix(ward, hospital, [doctor] * episodes, float(rng.uniform(0.6, 0.9)))
    ward.truth.lookalikes.extend((SUPPORTED, int(hospital), int(s)) for s in sids)
    ward.truth.units.append(("prescriber", int(hospital), doctor, SUPPORTED, episodes, 0))


def sicker_tertiary(ward: Ward, hospital: int) -> None:
    """A tertiary hospital that receives the sicker patients of its province: a high, supported upper share."""
    rng = ward.rng
    episodes = int(rng.integers(40, 91))
    sids = case_mix(ward, hospital, spread(ward, doctors_of(ward, hospital), episodes), float(rng.uniform(0.7, 0.85)))
    ward.truth.lookalikes.extend((SICKER, int(hospital), int(s)) for s in sids)
    ward.truth.units.append(("institution", int(hospital), -1, SICKER, episodes, 0))


def plant_drift(ward: Ward, spare: np.ndarray, violations: bool) -> np.ndarray:
    """Drifting units (with ``violations``) and look-alikes at ``spare`` hospitals; returns the drifting ones.

    Sizes grow with the population; a small world with few large hospitals gets fewer units.
    """
    fac, people = ward.world.facilities, ward.world.pop.size
    big = [int(h) for h in spare if fac.category[h] == MAJOR_HOSPITAL and fac.prescriber_count[h] >= 4]
    tertiary = [h for h in big if fac.level[h] == "3"][:max(1, people // 100_000)]
    rest = [h for h in big if h not in tertiary]
    n_prescribers, n_institutions = max(2, people // 50_000 + 1), max(1, people // 100_000 + 1)
    institutions = rest[:n_institutions] if violations else []
    prescribers = rest[n_institutions:n_institutions + n_prescribers] if violations else []
    lookalike = rest[n_institutions + n_prescribers:2 * n_prescribers + n_institutions]
    for h in tertiary:
        sicker_tertiary(ward, h)
    for h in lookalike:
        supported_prescriber(ward, h)
    for h in institutions:
        drifting_institution(ward, h)
    for h in prescribers:
        drifting_prescriber(ward, h)
    return np.array(institutions + prescribers, dtype=np.int64)
