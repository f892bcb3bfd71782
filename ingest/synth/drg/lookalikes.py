"""Legitimate care that looks like DRG payment fraud at first sight (none of it is a case).

Split-admission look-alikes: planned chemotherapy cycles and dialysis series (short,
complete stays repeated on a schedule), staged bilateral knee replacement (two full
operations), a transfer for another condition, a readmission after a complication.
Up-coding look-alikes: stays with a severe acute complication and the treatment for it,
at a referral hospital that sees many of them.  Cost-shifting look-alikes: a small
follow-up visit after discharge, the work-up visit that decided the admission, a chronic
refill for another condition just before it.  Look-alikes of cost shifting to the patient:
take-home drugs bought out of pocket on the day of discharge, a chronic refill bought during
the stay, a resident's stay at the top of residents' usual self-paid share.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ringscope.ingest.synth.drg.episodes import (
    ACUTE_COMPLICATIONS,
    BASE_PROCEDURES,
    PRINCIPAL,
    Stay,
    drug_lines,
    stay_drugs,
    typical_cost,
    write_stay,
    write_visit,
)
from ringscope.ingest.synth.facts import PHARMACY_KIND

if TYPE_CHECKING:
    from ringscope.ingest.synth.drg.planting import Ward


def history_visit(ward: Ward, person: int, code: str) -> None:
    """An outpatient visit for ``code`` some weeks before: the comorbidity is on record."""
    world, rng = ward.world, ward.rng
    day = int(rng.integers(world.start, world.start + 10))
    facility = int(world.home_primary[person])
    write_visit(world, ward.builder, rng, person=person, facility=facility, day=day, diagnosis=code,
                lines=[], fee=int(rng.integers(2_000, 8_000)))


def _mark(ward: Ward, kind: str, facility: int, sids: list[int]) -> None:
    ward.truth.lookalikes.extend((kind, int(facility), int(s)) for s in sids)


def _write(ward: Ward, stay: Stay) -> int:
    return write_stay(ward.world, ward.builder, ward.groups, ward.rng, stay)[0]


def chemotherapy_cycles(ward: Ward, hospital: int) -> None:
    """Four to six planned chemotherapy admissions every two to three weeks, each complete."""
    rng, g = ward.rng, ward.groups
    person = int(ward.patients(1)[0])
    group, day = g.index("RE19"), ward.world.start + int(rng.integers(3, 12))
    sids: list[int] = []
    every = int(rng.integers(14, 22))
    while day + 4 < ward.world.end and len(sids) < int(rng.integers(4, 7)):
        los = int(rng.integers(max(1, int(g.min_los[group])), int(g.median_stay[group]) + 2))
        sids.append(_write(ward, Stay(person, hospital, group, day, los, typical_cost(g, group, rng), "Z51.1",
                                      ["C34.9"], ["99.25"], stay_drugs(ward.world, rng))))
        day += every
    _mark(ward, "chemotherapy_cycles", hospital, sids)


def dialysis_series(ward: Ward, hospital: int) -> None:
    """Twice-weekly haemodialysis admitted and discharged the same day."""
    rng, g = ward.rng, ward.groups
    person = int(ward.patients(1)[0])
    group, day = g.index("LL19"), ward.world.start + int(rng.integers(1, 5))
    sids: list[int] = []
    while day < ward.world.end - 1 and len(sids) < 16:
        sids.append(_write(ward, Stay(person, hospital, group, day, 0, typical_cost(g, group, rng), "N18.5", [],
                                      ["39.95"], [ward.world.catalogue.drug("氯化钠注射液")])))
        day += int(rng.choice([3, 4]))
    _mark(ward, "dialysis_series", hospital, sids)


def staged_surgery(ward: Ward, hospital: int) -> None:
    """Both knees replaced in two full stays a week or two apart (each its own operation)."""
    rng = ward.rng
    person = int(ward.patients(1)[0])
    first = ward.stay(person, hospital, "IC2", "9", ward.day(45), procedures=["81.54"])
    sids = [_write(ward, first)]
    second = ward.stay(person, hospital, "IC2", "9", first.admitted + first.los + int(rng.integers(5, 13)),
                       procedures=["81.54", "00.74"])
    sids.append(_write(ward, second))
    _mark(ward, "staged_surgery", hospital, sids)


def transfer_other_condition(ward: Ward, hospital: int) -> None:
    """A short stroke stay, then the next day a stay for pneumonia caught on the ward."""
    rng = ward.rng
    person = int(ward.patients(1)[0])
    first = ward.stay(person, hospital, "BR2", "5", ward.day(30), los=int(rng.integers(1, 4)))
    second = ward.stay(person, hospital, "ES3", "5", first.admitted + first.los + int(rng.integers(0, 2)),
                       secondary=["I63.9"])
    _mark(ward, "transfer_other_condition", hospital, [_write(ward, first), _write(ward, second)])


def complication_readmission(ward: Ward, hospital: int) -> None:
    """A full cholecystectomy stay, then a readmission for a wound infection days later."""
    rng = ward.rng
    person = int(ward.patients(1)[0])
    first = ward.stay(person, hospital, "HC3", "5", ward.day(30))
    second = ward.stay(person, hospital, "XJ1", "5", first.admitted + first.los + int(rng.integers(1, 8)),
                       secondary=["K80.2"])
    _mark(ward, "complication_readmission", hospital, [_write(ward, first), _write(ward, second)])


def treated_complication(ward: Ward, hospital: int) -> None:
    """A stay coded with a severe acute complication that was treated (and cost and lasted accordingly)."""
    rng = ward.rng
    person = int(ward.patients(1)[0])
    adrg = str(rng.choice(np.array(("ES3", "BR2", "HC3", "ET2", "FR2", "KS1", "GZ1"))))
    code, treatment = ACUTE_COMPLICATIONS[int(rng.integers(0, len(ACUTE_COMPLICATIONS)))]
    stay = ward.stay(person, hospital, adrg, "1", ward.day(30), secondary=[code],
                     procedures=list(BASE_PROCEDURES[adrg]) + [treatment])
    _mark(ward, "treated_complication", hospital, [_write(ward, stay)])


def visits_around_stay(ward: Ward, hospital: int) -> None:
    """A stay with a work-up visit before, a chronic refill for another condition, a follow-up after."""
    rng, world = ward.rng, ward.world
    person = int(ward.patients(1, chronic=True)[0])
    adrg = _other_condition(ward, person, ("ES3", "BR2", "HC3", "ET2", "FR2", "IU2"))
    stay = ward.stay(person, hospital, adrg, "5", ward.day(30) + 8)
    sids = [_write(ward, stay)]
    workup = write_visit(world, ward.builder, rng, person=person, facility=hospital,
                         day=stay.admitted - int(rng.integers(0, 3)), diagnosis=PRINCIPAL[adrg], lines=[],
                         fee=int(stay.cost * rng.uniform(0.01, 0.03)))
    cat = world.catalogue
    chronic = int(world.pop.chronic[person])
    refill_drug = int(world.chronic_drugs[person, 0])
    refill = write_visit(world, ward.builder, rng, person=person, facility=hospital,
                         day=stay.admitted - int(rng.integers(1, 6)), diagnosis=str(cat.diagnosis_code[cat.chronic_diag[chronic]]),
                         lines=drug_lines(world, [refill_drug] if refill_drug >= 0 else [], 60_000, rng), fee=1_000)
    follow_up = write_visit(world, ward.builder, rng, person=person, facility=hospital,
                            day=stay.admitted + stay.los + int(rng.integers(2, 8)), diagnosis=PRINCIPAL[adrg],
                            lines=drug_lines(world, stay.drugs[:1], int(stay.cost * 0.015), rng), fee=1_500)
    sids += [workup[0], refill[0], follow_up[0]]
    _mark(ward, "visits_around_stay", hospital, sids)


def _other_condition(ward: Ward, person: int, adrgs: tuple[str, ...]) -> str:
    """An ADRG for a stay whose condition is not the patient's chronic one (its refill is then another
    condition's: a COPD patient's refill during a COPD stay would be the stay's own treatment)."""
    cat = ward.world.catalogue
    chronic = str(cat.diagnosis_code[cat.chronic_diag[ward.world.pop.chronic[person]]])[:3]
    return str(ward.rng.choice(np.array([a for a in adrgs if PRINCIPAL[a][:3] != chronic])))


def _own_pharmacy(ward: Ward, person: int) -> int:
    return int(ward.world.home_pharmacy[person])


def purchases_around_stay(ward: Ward, hospital: int) -> None:
    """Out-of-pocket pharmacy purchases that are not the stay's cost: take-home drugs bought on the
    day of discharge, and the patient's chronic refill (another condition) bought during the stay."""
    rng, world = ward.rng, ward.world
    person = int(ward.patients(1, chronic=True)[0])
    adrg = _other_condition(ward, person, ("ES3", "BR2", "HC3", "ET2", "FR2", "IU2"))
    stay = ward.stay(person, hospital, adrg, "5", ward.day(30) + 2)
    sids = [_write(ward, stay)]
    discharged = stay.admitted + stay.los
    take_home = write_visit(world, ward.builder, rng, person=person, facility=_own_pharmacy(ward, person),
                            day=discharged, diagnosis=PRINCIPAL[adrg], kind=PHARMACY_KIND, fund_share=0.0,
                            lines=drug_lines(world, stay.drugs[:1], int(stay.cost * 0.1), rng), fee=0)
    cat, chronic = world.catalogue, int(world.pop.chronic[person])
    refill_drug = int(world.chronic_drugs[person, 0])
    refill = write_visit(world, ward.builder, rng, person=person, facility=_own_pharmacy(ward, person),
                         day=stay.admitted + int(rng.integers(0, max(1, stay.los))), kind=PHARMACY_KIND,
                         diagnosis=str(cat.diagnosis_code[cat.chronic_diag[chronic]]), fund_share=0.0,
                         lines=drug_lines(world, [refill_drug] if refill_drug >= 0 else [], 40_000, rng), fee=500)
    sids += [take_home[0], refill[0]]
    _mark(ward, "purchases_around_stay", hospital, sids)


def resident_top_share(ward: Ward, hospital: int) -> None:
    """A resident-insured stay at the top of residents' usual self-paid share (far above employees')."""
    rng, world = ward.rng, ward.world
    residents = ward.patients(8)
    residents = residents[~world.pop.employee[residents]]
    if len(residents) == 0:
        return
    person = int(residents[0])
    stay = ward.stay(person, hospital, str(rng.choice(np.array(("ES3", "BR2", "HC3")))), "5", ward.day(30))
    sid, _fund = write_stay(world, ward.builder, ward.groups, rng, stay, fund_share=0.55)
    _mark(ward, "resident_top_share", hospital, [sid])


PLANTERS = (chemotherapy_cycles, dialysis_series, staged_surgery, transfer_other_condition,
            complication_readmission, treated_complication, visits_around_stay, purchases_around_stay,
            resident_top_share)


def plant_all(ward: Ward, hospitals: np.ndarray, n: int) -> None:
    """``n`` of each look-alike; a third of them at hospitals that also commit a violation."""
    referral = int(hospitals[-1])  # a referral hospital: most of its severe stays are real
    for planter in PLANTERS:
        for k in range(n):
            at = referral if planter is treated_complication and k % 2 else int(ward.rng.choice(hospitals))
            planter(ward, at)
