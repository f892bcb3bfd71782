"""Plant DRG payment fraud and its legitimate look-alikes; record ``truth/drg_cases.csv``.

Violations (each at hospitals chosen per seed, none shared between violations):

- split admission (分解住院): one stay of normal length cut into two or three admissions a
  few days apart, the first ones ended well before the group's normal minimum stay, each
  paid as a group; the fund's extra cost is every admission but the one kept;
- up-coding (低码高编): a simple stay coded in the group with complications, by adding
  secondary diagnoses nobody treated (no procedure, never seen in the patient's history);
  the extra cost is the coded group's payment minus the supported group's;
- cost shifting (转嫁费用): the stay's own drugs billed on outpatient or pharmacy
  settlements at the same hospital in the days before admission or after discharge; the
  extra cost is those settlements' fund share;
- cost shifting to the patient (转嫁费用, to the patient's pocket): a stay billed with a
  self-paid share 30-45 points above the patient's usual one, or the stay's own drugs bought
  out of pocket at a pharmacy while the patient is in the ward; the fund pays nothing extra
  (truth loss 0 on every settlement), the patient does;
- coding drift (``drift``): doctors and institutions up-coding a share of their stays (each
  up-coded stay an ``up_coding`` case), and look-alike doctors and tertiary hospitals whose
  high upper-group share the records support.

Look-alikes (``truth/drg_lookalikes.csv``, not part of the contract): chemotherapy cycles,
dialysis series, staged bilateral knee replacement, a transfer for another condition, a
readmission after a complication, genuinely complicated stays (acute complication with its
treatment; chronic comorbidity seen in outpatient history), follow-up visits, pre-admission
work-up and chronic refills around a stay, take-home drugs bought on the day of discharge, a
chronic refill bought during a stay, a resident's stay at the top of residents' usual share.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ringscope.ingest.synth.drg import lookalikes
from ringscope.ingest.synth.drg.episodes import (
    ACUTE_COMPLICATIONS,
    BASE_PROCEDURES,
    CC_CODES,
    PRINCIPAL,
    Stay,
    drug_lines,
    stay_drugs,
    typical_cost,
    typical_los,
    write_stay,
    write_visit,
)
from ringscope.ingest.synth.drg.groups import DrgGroups, build_groups
from ringscope.ingest.synth.facilities import MAJOR_HOSPITAL, MINOR_HOSPITAL, PHARMACY
from ringscope.ingest.synth.facts import OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import fund_ratio
from ringscope.ingest.synth.world import World

SPLIT_ADRGS = ("ES3", "BR2", "HC3", "ET2", "FR2", "KS1", "IU2")
"""ADRGs whose normal stay is long enough to be cut (a minimum stay of two days or more)."""


@dataclass
class DrgTruth:
    """Rows of truth/drg_cases.csv and truth/drg_lookalikes.csv (settlement numbers, cents)."""

    cases: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    """(case_id, violation, facility, settlement number, loss cents)"""
    lookalikes: list[tuple[str, int, int]] = field(default_factory=list)
    """(kind, facility, settlement number)"""
    units: list[tuple[str, int, int, str, int, int]] = field(default_factory=list)
    """Planted coding-drift units (``drift``): (unit, facility, prescriber or -1, planted, episodes, up-coded)"""

    def case(self, violation: str, facility: int, rows: list[tuple[int, int]]) -> None:
        case_id = f"{violation}-{len({c[0] for c in self.cases}) + 1:05d}"
        self.cases.extend((case_id, violation, int(facility), int(sid), int(loss)) for sid, loss in rows)


@dataclass
class Ward:
    """What every planter shares: the world, where to write, the catalogue, a stream."""

    world: World
    builder: FactBuilder
    groups: DrgGroups
    rng: np.random.Generator
    truth: DrgTruth
    eligible: dict[bool | None, np.ndarray] = field(default_factory=dict)
    """Adults who may be planted on, per ``chronic`` filter, before reservations: computed once
    (at 5M people the mask cost 60 ms and a drop plants thousands of DRG cases)."""

    def patients(self, n: int, chronic: bool | None = None) -> np.ndarray:
        """``n`` adults alive all period, reserved so no ring or other plant reuses them.

        Nobody who gives birth in the period: her delivery stay is fixed before planting and a
        planted episode could fall inside it (the background keeps its other stays off planted
        days, ``World.drg_days``)."""
        world = self.world
        if chronic not in self.eligible:  # births and deaths are fixed before planting: only reservations change
            pop = world.pop
            giving_birth = (world.delivery >= world.start) & (world.delivery < world.end)
            mask = (pop.age_at(world.start) >= 30) & (pop.death_day == NO_DAY) & ~giving_birth
            if chronic is not None:
                mask &= (pop.chronic >= 0) == chronic
            self.eligible[chronic] = mask
        pool = world.candidates(self.eligible[chronic])
        if len(pool) == 0:
            raise NoOneLeft("every adult of this small world is already part of a plant")
        chosen = self.rng.choice(pool, size=min(n, len(pool)), replace=False)
        world.reserve(chosen)
        return chosen.astype(np.int64)

    def day(self, span: int) -> int:
        """An admission day leaving ``span`` days before the period ends (and ten at the start)."""
        return int(self.rng.integers(self.world.start + 10, max(self.world.start + 11, self.world.end - span - 3)))

    def stay(self, person: int, facility: int, adrg: str, level: str, admitted: int, *, los: int | None = None,
             secondary: list[str] | None = None, procedures: list[str] | None = None,
             cost_level: str | None = None, prescriber: int = -1) -> Stay:
        """A stay coded in ``adrg`` + ``level`` whose bill and length fit ``cost_level`` (default: the coded one)."""
        g = self.groups
        group = g.index(adrg + level)
        fits = g.index(adrg + (cost_level or level))
        return Stay(person, facility, group, admitted, typical_los(g, fits, self.rng) if los is None else los,
                    typical_cost(g, fits, self.rng), PRINCIPAL[adrg], list(secondary or []),
                    list(procedures if procedures is not None else BASE_PROCEDURES[adrg]),
                    stay_drugs(self.world, self.rng), prescriber)


class NoOneLeft(Exception):
    """No adult is left to plant on (small worlds)."""


def plant_drg(world: World, builder: FactBuilder) -> tuple[DrgGroups, DrgTruth]:
    """Plant ordinary coded care, the three violations and their look-alikes."""
    rng = world.rng(400)
    groups = build_groups(world.rng(401))
    ward = Ward(world, builder, groups, rng, DrgTruth())
    hospitals = np.flatnonzero(np.isin(world.facilities.category, (MAJOR_HOSPITAL, MINOR_HOSPITAL))
                               & ~world.ring_facilities)
    hospitals = rng.permutation(hospitals)
    per = max(2, min(len(hospitals) // 8, world.pop.size // 25_000 + 2))
    split_at, up_at, shift_at = hospitals[:per], hospitals[per:2 * per], hospitals[2 * per:3 * per]
    patient_at = hospitals[3 * per:4 * per]
    cases = max(12, world.pop.size // 1_500)
    drifting = np.zeros(0, dtype=np.int64)
    try:  # a small world runs out of people: it gets fewer DRG plants, never a crash
        ordinary_care(ward, hospitals, max(200, world.pop.size // 40))
        for _ in range(cases if world.settings.plant_rings else 0):  # a clean drop: no violation either
            split_admission(ward, int(rng.choice(split_at)))
            up_coding(ward, int(rng.choice(up_at)))
            cost_shifting(ward, int(rng.choice(shift_at)))
            patient_shifting(ward, int(rng.choice(patient_at)))
        lookalikes.plant_all(ward, hospitals, max(6, world.pop.size // 3_000))
        from ringscope.ingest.synth.drg.drift import plant_drift  # drift builds on this module's planters

        drifting = plant_drift(ward, hospitals[4 * per:-1], world.settings.plant_rings)
    except NoOneLeft:
        pass
    world.ring_facilities[np.concatenate([split_at, up_at, shift_at, patient_at, drifting])] = True
    return groups, ward.truth


def ordinary_care(ward: Ward, hospitals: np.ndarray, n: int) -> None:
    """Coded stays of every level at every hospital: the peers each screen compares with."""
    for person in ward.patients(n).tolist():
        ordinary_stay(ward, person, int(ward.rng.choice(hospitals)))


def ordinary_stay(ward: Ward, person: int, hospital: int, prescriber: int = -1) -> int:
    """One ordinary coded stay: with complications only where the patient has a comorbidity on record."""
    rng = ward.rng
    cat, pop = ward.world.catalogue, ward.world.pop
    adrg = str(rng.choice(np.array(SPLIT_ADRGS + ("LX1", "GZ1"))))
    level = "3" if pop.chronic[person] >= 0 and rng.random() < 0.6 else "5"
    secondary = []
    if level == "3":  # a comorbidity the patient is treated for elsewhere too
        secondary = [str(cat.diagnosis_code[cat.chronic_diag[pop.chronic[person]]])]
        lookalikes.history_visit(ward, person, secondary[0])
    stay = ward.stay(person, hospital, adrg, level, ward.day(20), secondary=secondary, prescriber=prescriber)
    return write_stay(ward.world, ward.builder, ward.groups, rng, stay)[0]


def split_admission(ward: Ward, hospital: int) -> None:
    """One stay of normal length cut into admissions a few days apart, each coded the same group."""
    rng, g = ward.rng, ward.groups
    person = int(ward.patients(1)[0])
    adrg = str(rng.choice(np.array(SPLIT_ADRGS)))
    whole = ward.stay(person, hospital, adrg, "5", 0)
    minimum = int(g.min_los[whole.group])
    pieces = 3 if rng.random() < 0.2 else 2
    lengths = [int(rng.integers(max(1, minimum // 3), max(2, minimum))) for _ in range(pieces - 1)]
    lengths.append(max(1, whole.los - sum(lengths)))
    day = ward.day(whole.los + 4 * pieces)
    rows = []
    for k, los in enumerate(lengths):
        part = Stay(person, hospital, whole.group, day, los, max(20_000, whole.cost * los // max(1, whole.los)),
                    whole.principal, [], whole.procedures if k == 0 else [], whole.drugs)
        sid, _fund = write_stay(ward.world, ward.builder, g, rng, part)
        rows.append((sid, 0 if k == 0 else int(g.payment_cents[whole.group])))
        day += los + int(rng.integers(0, 4))
    ward.truth.case("split_admission", hospital, rows)


def up_coding(ward: Ward, hospital: int, prescriber: int = -1) -> None:
    """A simple stay coded one or two levels up on secondary diagnoses nobody treated (by ``prescriber``)."""
    rng, g = ward.rng, ward.groups
    adrg = str(rng.choice(np.array(SPLIT_ADRGS + ("GZ1",))))
    real_cc = rng.random() < 0.25
    person = int(ward.patients(1, chronic=True if real_cc else False)[0])
    secondary, true_level = [], "5"
    if real_cc:  # a real comorbidity (seen before) supports the CC group, the MCC is invented
        code = str(ward.world.catalogue.diagnosis_code[ward.world.catalogue.chronic_diag[ward.world.pop.chronic[person]]])
        secondary.append(code)
        lookalikes.history_visit(ward, person, code)
        true_level, coded = "3", "1"
    else:
        coded = "1" if rng.random() < 0.35 else "3"
    invented = [str(c) for c, _treatment in ACUTE_COMPLICATIONS] if coded == "1" else list(CC_CODES)
    secondary.append(str(rng.choice(np.array(invented))))
    stay = ward.stay(person, hospital, adrg, coded, ward.day(20), secondary=secondary, cost_level=true_level,
                     prescriber=prescriber)
    sid, _fund = write_stay(ward.world, ward.builder, g, rng, stay)
    loss = int(g.payment_cents[g.index(adrg + coded)] - g.payment_cents[g.index(adrg + true_level)])
    ward.truth.case("up_coding", hospital, [(sid, loss)])


def cost_shifting(ward: Ward, hospital: int) -> None:
    """The stay's own drugs billed on outpatient or pharmacy settlements just before or after it."""
    rng = ward.rng
    person = int(ward.patients(1)[0])
    adrg = str(rng.choice(np.array(SPLIT_ADRGS + ("LX1", "GZ1"))))
    stay = ward.stay(person, hospital, adrg, "5", ward.day(30) + 8)
    sid, _fund = write_stay(ward.world, ward.builder, ward.groups, rng, stay)
    rows = [(sid, 0)]
    for _ in range(int(rng.integers(1, 4))):
        before = rng.random() < 0.5
        day = stay.admitted - int(rng.integers(1, 6)) if before else stay.admitted + stay.los + int(rng.integers(1, 6))
        lines = drug_lines(ward.world, stay.drugs, int(stay.cost * rng.uniform(0.15, 0.45)), rng)
        kind = PHARMACY_KIND if rng.random() < 0.3 else OUTPATIENT
        shifted, fund = write_visit(ward.world, ward.builder, rng, person=person, facility=hospital, day=day,
                                    diagnosis=stay.principal, lines=lines, fee=int(rng.integers(0, 5_000)), kind=kind)
        rows.append((shifted, fund))
    ward.truth.case("cost_shifting", hospital, rows)


def patient_shifting(ward: Ward, hospital: int) -> None:
    """A stay whose costs the patient bore: billed as self-pay, or its drugs bought outside during it."""
    rng, world = ward.rng, ward.world
    person = int(ward.patients(1)[0])
    adrg = str(rng.choice(np.array(SPLIT_ADRGS)))
    stay = ward.stay(person, hospital, adrg, "5", ward.day(30) + 2)
    if rng.random() < 0.5:  # billed as self-pay: the patient pays 30-45 points more than usual
        usual = fund_ratio(world, rng, person, "inpatient")
        sid, _fund = write_stay(world, ward.builder, ward.groups, rng, stay,
                                fund_share=max(0.05, usual - rng.uniform(0.3, 0.45)))
        ward.truth.case("cost_shifting", hospital, [(sid, 0)])
        return
    shifted = stay_drugs(world, rng)
    sid, _fund = write_stay(world, ward.builder, ward.groups, rng, stay)
    rows = [(sid, 0)]
    pharmacy = int(world.facilities.pick(rng, np.array([world.pop.county[person]]), PHARMACY)[0])
    for _ in range(int(rng.integers(1, 3))):
        day = stay.admitted + int(rng.integers(0, max(1, stay.los)))
        bought, _ = write_visit(world, ward.builder, rng, person=person, facility=pharmacy, day=day,
                                diagnosis=stay.principal if rng.random() < 0.5 else "", kind=PHARMACY_KIND,
                                lines=drug_lines(world, shifted, int(stay.cost * rng.uniform(0.05, 0.2)), rng),
                                fee=0, fund_share=0.0)
        rows.append((bought, 0))
    ward.truth.case("cost_shifting", hospital, rows)
