"""One coded inpatient episode, the way a discharge settlement list (医保结算清单) records it.

Every planter of ``planting`` writes its stays through :func:`write_stay` and its
outpatient or pharmacy settlements through :func:`write_visit`, so all of them carry the
same fields: principal diagnosis, DRG group, secondary diagnoses and procedures (contract
1.1), the stay's own drugs as dispensing lines.  Both record the patient's days in
``World.drg_days`` so that the background writes no other stay over them (the planter
cannot see the background's stays: they are drawn later, block by block).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ringscope.ingest.synth.drg.groups import DrgGroups
from ringscope.ingest.synth.facts import INPATIENT, OUTPATIENT, FactBuilder
from ringscope.ingest.synth.schemes.common import at, fund_ratio
from ringscope.ingest.synth.world import World

PRINCIPAL = {
    "ES3": "J18.9", "BR2": "I63.9", "HC3": "K80.2", "ET2": "J44.1", "FR2": "I50.9", "KS1": "E11.9",
    "IU2": "M51.2", "LX1": "N20.0", "GZ1": "A05.9", "XJ1": "T81.4", "IC2": "M17.0", "RE1": "Z51.1",
    "LL1": "N18.5",
}
"""Principal ICD-10 diagnosis the generator codes for each ADRG."""
BASE_PROCEDURES = {
    "ES3": ("87.44",), "BR2": ("87.03",), "HC3": ("51.23",), "ET2": ("89.37",), "FR2": ("88.72",),
    "KS1": (), "IU2": ("93.39",), "LX1": ("98.51",), "GZ1": (), "XJ1": ("86.04",),
    "IC2": ("81.54",), "RE1": ("99.25",), "LL1": ("39.95",),
}
"""ICD-9-CM-3 procedures of ordinary care in each ADRG (imaging, the operation itself)."""
ACUTE_COMPLICATIONS = (("J96.0", "96.71"), ("D62", "99.04"), ("N17.9", "39.95"), ("A41.9", "38.93"),
                       ("R57.0", "96.04"), ("E87.1", "38.93"))
"""Severe acute complications with the treatment that supports coding them (ventilation,
transfusion, dialysis, a central line, intubation)."""
CC_CODES = ("E87.6", "D64.9", "I10", "E11.9", "E78.5", "K21.9", "N39.0")
"""Ordinary complications or comorbidities coders add (hypokalaemia, anaemia, chronic ones)."""
STAY_DRUGS = ("注射用头孢曲松钠", "注射用奥美拉唑钠", "氯化钠注射液", "注射用血栓通")


@dataclass
class Stay:
    """What one stay needs; ``cost`` is the bill in cents."""

    person: int
    facility: int
    group: int
    admitted: int
    los: int
    cost: int
    principal: str
    secondary: list[str] = field(default_factory=list)
    procedures: list[str] = field(default_factory=list)
    drugs: list[int] = field(default_factory=list)
    prescriber: int = -1
    """The doctor who codes the stay; -1: any doctor of the facility (a coding habit needs one)."""


def stay_drugs(world: World, rng: np.random.Generator) -> list[int]:
    """Two or three of the injections and infusions wards use."""
    names = rng.choice(np.array(STAY_DRUGS), size=int(rng.integers(2, 4)), replace=False)
    return sorted(world.catalogue.drug(str(n)) for n in names)


def drug_lines(world: World, drugs: list[int], budget: int, rng: np.random.Generator) -> list[tuple]:
    """Untraced lines of ``drugs`` using up to about half of ``budget`` cents."""
    cat, lines = world.catalogue, []
    for drug in drugs:
        price = int(cat.unit_price_cents[drug])
        qty = max(1, int(budget * 0.5 / len(drugs) / price * rng.uniform(0.7, 1.0)))
        lines.append((drug, qty, qty * price, -1, -1))
    return lines


def write_stay(world: World, builder: FactBuilder, groups: DrgGroups, rng: np.random.Generator,
               stay: Stay, fund_share: float | None = None) -> tuple[int, int]:
    """Write the discharge settlement of ``stay``; returns (settlement number, fund_paid cents).

    ``fund_share`` replaces the patient's usual reimbursement share (cost shifted to the patient).
    """
    cat = world.catalogue
    discharged = stay.admitted + stay.los
    lines = drug_lines(world, stay.drugs, stay.cost, rng)
    total = max(stay.cost, sum(line[2] for line in lines) + 20_000)
    facility_doctor = (stay.prescriber if stay.prescriber >= 0
                       else int(world.facilities.pick_prescriber(rng, np.array([stay.facility]))[0]))
    sid, fund = builder.settlement(
        card=world.pop.card_for(stay.person, discharged), patient=stay.person, facility=stay.facility,
        kind=INPATIENT, t=at(discharged, 32_000 + int(rng.integers(0, 25_000))), lines=lines, total=total,
        fund_ratio=fund_ratio(world, rng, stay.person, "inpatient") if fund_share is None else fund_share,
        prescriber=facility_doctor,
        admitted=stay.admitted, discharged=discharged, diag=cat.diag(stay.principal),
        drg=cat.drg(str(groups.code[stay.group])))
    world.drg_coding[sid] = (";".join(stay.secondary), ";".join(stay.procedures))
    world.drg_days.append((stay.person, stay.admitted, discharged))
    return sid, fund


def write_visit(world: World, builder: FactBuilder, rng: np.random.Generator, *, person: int, facility: int,
                day: int, diagnosis: str, lines: list[tuple], fee: int, kind: int = OUTPATIENT,
                fund_share: float | None = None) -> tuple[int, int]:
    """An outpatient (or pharmacy) settlement at ``facility`` on ``day`` (``fund_share``: 0 = out of pocket)."""
    world.drg_days.append((person, day, day))
    return builder.settlement(
        card=world.pop.card_for(person, day), patient=person, facility=facility, kind=kind,
        t=at(day, 30_000 + int(rng.integers(0, 28_000))), lines=lines, fee=fee,
        fund_ratio=fund_ratio(world, rng, person, "outpatient") if fund_share is None else fund_share,
        prescriber=int(world.facilities.pick_prescriber(rng, np.array([facility]))[0]),
        diag=world.catalogue.diag(diagnosis) if diagnosis in set(world.catalogue.diagnosis_code) else -1)


def typical_cost(groups: DrgGroups, group: int, rng: np.random.Generator) -> int:
    """A bill for a stay of ``group``: near its payment, spread like real bills (cents)."""
    return int(groups.payment_cents[group] * rng.uniform(0.85, 1.05) * rng.lognormal(0, 0.15))


def typical_los(groups: DrgGroups, group: int, rng: np.random.Generator) -> int:
    """A stay inside the group's normal range, around its median."""
    lo, median = int(groups.min_los[group]), int(groups.median_stay[group])
    return max(lo, int(round(median * rng.uniform(0.8, 1.3))))
