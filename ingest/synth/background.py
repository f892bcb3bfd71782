"""Ordinary, legitimate activity: the haystack the rings hide in.

Per block of people, all at once with numpy: acute visits (a gamma-Poisson
count rising with age), scheduled chronic refills from one doctor at a
regular interval (30 days, or 12 weeks on a long prescription), occasional
inpatient stays (none over the days of a planted DRG episode of the same
person) and deliveries.  Each encounter gets a facility near home,
a doctor, an operator, sometimes the phone device of the e-credential, an
ICD-10 diagnosis and dispensing lines; a traced item becomes one line per
box with its own 20-digit trace code.  Nobody acts after their death.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringscope.ingest.synth.facilities import CLINIC, MAJOR_HOSPITAL, MINOR_HOSPITAL, PHARMACY
from ringscope.ingest.synth.facts import DAY, INPATIENT, MATERNITY, OUTPATIENT, PHARMACY_KIND, Dispensings, Settlements
from ringscope.ingest.synth.world import World

ACUTE, CHRONIC, STAY, DELIVERY = range(4)


def _acute_age_factor(age: np.ndarray) -> np.ndarray:
    return np.select([age < 7, age < 18, age < 45, age < 65], [1.4, 0.6, 0.7, 1.1], 1.6)


def _inpatient_age_factor(age: np.ndarray) -> np.ndarray:
    return np.select([age < 18, age < 45, age < 65], [0.5, 0.6, 1.4], 3.0)


@dataclass
class BackgroundPlan:
    """Per-run constants of background generation (computed once)."""

    acute_norm: float
    inpatient_norm: float
    chain_pool_start: np.ndarray   # per facility: slice into chain_pool_ops, or -1
    chain_pool_count: np.ndarray
    chain_pool_ops: np.ndarray
    injection_drugs: np.ndarray
    obstetric_drugs: np.ndarray
    inpatient_weight: np.ndarray
    planted_person: np.ndarray     # days of planted DRG episodes (``World.drg_days``), sorted by person
    planted_first: np.ndarray
    planted_last: np.ndarray


def plan_background(world: World) -> BackgroundPlan:
    age = world.pop.age_at(world.start)
    fac = world.facilities
    # floating staff: a store of a sharing chain borrows operators of the
    # chain's stores in the same province
    province = world.regions.code.astype(np.int64)[fac.county] // 10_000
    sharing = (fac.chain >= 0) & fac.chain_shares_staff[np.maximum(fac.chain, 0)]
    key = np.where(sharing, fac.chain * 100 + province, -1)
    op_key = key[fac.operator_facility]
    order = np.argsort(op_key, kind="stable")
    sorted_keys = op_key[order]
    lo = np.searchsorted(sorted_keys, key)
    hi = np.searchsorted(sorted_keys, key, side="right")
    planted = np.array(sorted(world.drg_days), dtype=np.int64).reshape(-1, 3)
    weight = np.ones(len(world.catalogue.inpatient_diag))
    weight[world.catalogue.diagnosis_code[world.catalogue.inpatient_diag] == "A05.9"] = 0.1
    return BackgroundPlan(
        acute_norm=float(_acute_age_factor(age).mean()),
        inpatient_norm=float(_inpatient_age_factor(age).mean()),
        chain_pool_start=np.where(sharing, lo, -1), chain_pool_count=np.where(sharing, hi - lo, 0),
        chain_pool_ops=order, injection_drugs=world.catalogue.drugs_in("inj"),
        obstetric_drugs=world.catalogue.drugs_in("ob"), inpatient_weight=weight / weight.sum(),
        planted_person=planted[:, 0], planted_first=planted[:, 1], planted_last=planted[:, 2])


def over_planted_days(plan: BackgroundPlan, person: np.ndarray, first: np.ndarray, last: np.ndarray
                      ) -> np.ndarray:
    """Which stays (``first``..``last``) of ``person`` overlap a day a planted DRG episode gave that person.

    The planter writes before the background exists, so it cannot avoid the background's stays;
    the background drops these instead (a patient is not in two hospitals at once, nor buying
    at a pharmacy while admitted elsewhere).
    """
    lo = np.searchsorted(plan.planted_person, person, "left")
    n = np.searchsorted(plan.planted_person, person, "right") - lo
    stay = np.repeat(np.arange(len(person)), n)
    k = np.arange(len(stay)) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
    hit = (plan.planted_first[k] <= last[stay]) & (first[stay] <= plan.planted_last[k])
    return np.bincount(stay[hit], minlength=len(person)) > 0


def background_chunk(world: World, plan: BackgroundPlan, chunk: int, lo: int, hi: int
                     ) -> tuple[Settlements, Dispensings]:
    """All ordinary settlements and dispensing lines of people ``lo..hi-1``."""
    rng = world.rng(100, chunk)
    s, pop, cat, fac = world.settings, world.pop, world.catalogue, world.facilities
    people = np.arange(lo, hi)
    n = len(people)
    start, end = world.start, world.end
    alive_to = np.minimum(end, pop.death_day[people]).astype(np.int64)
    window = np.clip(alive_to - start, 0, None)
    age = pop.age_at(start)[people]

    # -- encounters ----------------------------------------------------
    lam = (s.acute_visits_per_patient * world.days / 182 * _acute_age_factor(age) / plan.acute_norm
           * window / world.days * rng.gamma(2.0, 0.5, n))
    k = rng.poisson(lam)
    a_person = np.repeat(people, k)
    a_day = start + (rng.random(len(a_person)) * np.repeat(window, k)).astype(np.int64)
    a_row = rng.choice(len(cat.acute_diag), len(a_person), p=cat.acute_weight)

    chronic = people[pop.chronic[people] >= 0]
    c_alive = alive_to[chronic - lo]
    long_rx = pop.long_prescription[chronic]
    r0, r1 = s.chronic_refill_days
    interval = np.where(long_rx, rng.integers(84, 91, len(chronic)), rng.integers(r0, r1 + 1, len(chronic)))
    first = start + (rng.random(len(chronic)) * interval).astype(np.int64)
    count = np.where(first < c_alive, (c_alive - 1 - first) // interval + 1, 0)
    c_person = np.repeat(chronic, count)
    c_k = np.arange(len(c_person)) - np.repeat(np.cumsum(count) - count, count)
    c_interval = np.repeat(interval, count)
    jitter = np.where(np.repeat(long_rx, count), 0, rng.integers(-2, 3, len(c_person)))
    c_day = np.clip(np.repeat(first, count) + c_k * c_interval + jitter, start,
                    np.repeat(c_alive, count) - 1)

    p_stay = s.inpatient_rate * _inpatient_age_factor(age) / plan.inpatient_norm * window / world.days
    stay_people = people[rng.random(n) < p_stay]
    st_row = rng.choice(len(cat.inpatient_diag), len(stay_people), p=plan.inpatient_weight)
    stay = np.maximum(1, np.round(cat.inpatient_stay[st_row] * rng.lognormal(0, 0.35, len(stay_people)))
                      ).astype(np.int64)
    st_alive = alive_to[stay_people - lo]
    st_admit = start + (rng.random(len(stay_people)) * np.maximum(1, st_alive - start - stay - 1)).astype(np.int64)
    st_disch = np.minimum(st_admit + stay, st_alive - 1)
    ok = (st_disch >= st_admit) & ~over_planted_days(plan, stay_people, st_admit, st_disch)
    stay_people, st_row, st_admit, st_disch = stay_people[ok], st_row[ok], st_admit[ok], st_disch[ok]

    deliv = world.delivery[people]
    d_people = people[(deliv >= start) & (deliv < end - 6)]
    d_day = world.delivery[d_people]
    caesarean = rng.random(len(d_people)) < 0.35
    d_admit = d_day - 1
    d_disch = d_day + np.where(caesarean, rng.integers(3, 6, len(d_people)), rng.integers(1, 3, len(d_people)))
    d_admit = np.maximum(d_admit, start)

    person = np.concatenate([a_person, c_person, stay_people, d_people])
    etype = np.concatenate([np.full(len(a_person), ACUTE), np.full(len(c_person), CHRONIC),
                            np.full(len(stay_people), STAY), np.full(len(d_people), DELIVERY)])
    day = np.concatenate([a_day, c_day, st_disch, d_disch])
    refill = np.concatenate([np.zeros(len(a_person), np.int64), c_interval,
                             np.zeros(len(stay_people) + len(d_people), np.int64)])
    acute_row = np.concatenate([a_row, np.full(len(person) - len(a_row), -1)])
    admitted = np.concatenate([np.full(len(a_person) + len(c_person), -1), st_admit, d_admit])
    discharged = np.concatenate([np.full(len(a_person) + len(c_person), -1), st_disch, d_disch])
    m = len(person)
    p_county = pop.county[person].astype(np.int64)
    p_age = pop.age_at(start)[person]
    u = rng.random(m)

    kind = np.select(
        [etype == ACUTE, etype == CHRONIC, etype == STAY],
        [np.where(u < np.where(p_age < 14, 0.8, 0.5), OUTPATIENT, PHARMACY_KIND),
         np.where(u < 0.55, PHARMACY_KIND, OUTPATIENT), INPATIENT], MATERNITY)

    # -- where, who settled it, who prescribed ---------------------------
    v = rng.random(m)
    travel_county = rng.choice(world.regions.size, m, p=world.regions.weight)
    acute_out = np.select(
        [v < 0.45, v < 0.72, v < 0.9, v < 0.96],
        [world.home_primary[person], world.home_hospital[person], fac.pick(rng, p_county, CLINIC),
         fac.pick(rng, p_county, MINOR_HOSPITAL)], fac.pick(rng, travel_county, MAJOR_HOSPITAL))
    acute_pharm = np.select([v < 0.6, v < 0.95],
                            [world.home_pharmacy[person], fac.pick(rng, p_county, PHARMACY)],
                            fac.pick(rng, travel_county, PHARMACY))
    doctor = world.home_doctor[person]
    chronic_out = fac.prescriber_facility[np.maximum(doctor, 0)]
    chronic_pharm = np.where(v < 0.85, world.home_pharmacy[person], fac.pick(rng, p_county, PHARMACY))
    stay_fac = np.where(v < 0.75, fac.pick(rng, p_county, MAJOR_HOSPITAL), fac.pick(rng, p_county, MINOR_HOSPITAL))
    facility = np.select(
        [(etype == ACUTE) & (kind == OUTPATIENT), etype == ACUTE,
         (etype == CHRONIC) & (kind == OUTPATIENT), etype == CHRONIC, etype == STAY],
        [acute_out, acute_pharm, chronic_out, chronic_pharm, stay_fac],
        fac.pick(rng, p_county, MAJOR_HOSPITAL))

    w = rng.random(m)
    prescriber = np.select(
        [(kind == PHARMACY_KIND) & (etype == CHRONIC), kind == PHARMACY_KIND, etype == CHRONIC],
        [np.where(w < 0.6, doctor, -1),
         np.where(w < 0.15, fac.pick_prescriber(rng, world.home_hospital[person]), -1), doctor],
        fac.pick_prescriber(rng, facility))
    operator = fac.pick_operator(rng, facility)
    pool_n = plan.chain_pool_count[facility]
    floating = (pool_n > 0) & (rng.random(m) < 0.2)
    pool_pick = plan.chain_pool_start[facility] + (rng.random(m) * pool_n).astype(np.int64)
    operator = np.where(floating, plan.chain_pool_ops[np.clip(pool_pick, 0, len(plan.chain_pool_ops) - 1)],
                        operator)
    device = np.where(((kind == OUTPATIENT) | (kind == PHARMACY_KIND))
                      & (rng.random(m) < s.electronic_credential_share), pop.device[person], -1)
    device = np.where(world.records_device[facility], device, -1)
    operator = np.where(world.records_operator[facility], operator, -1)
    secs = np.select([kind == OUTPATIENT, kind == PHARMACY_KIND],
                     [28_800 + rng.integers(0, 34_200, m), 28_800 + rng.integers(0, 46_800, m)],
                     32_400 + rng.integers(0, 25_200, m))
    t = day * DAY + secs

    # -- diagnosis -----------------------------------------------------
    st_diag = cat.inpatient_diag[st_row]
    diag = np.select([etype == ACUTE, etype == CHRONIC],
                     [cat.acute_diag[np.maximum(acute_row, 0)],
                      cat.chronic_diag[np.maximum(pop.chronic[person], 0)]], -1)
    drg = np.full(m, -1)
    n_acute_chronic = len(a_person) + len(c_person)
    diag[n_acute_chronic:n_acute_chronic + len(stay_people)] = st_diag
    drg[n_acute_chronic:n_acute_chronic + len(stay_people)] = cat.inpatient_drg[st_row]
    diag[n_acute_chronic + len(stay_people):] = np.where(caesarean, cat.diag("O82"), cat.diag("O80"))
    drg[n_acute_chronic + len(stay_people):] = np.where(caesarean, cat.drg("OB19"), cat.drg("OC19"))

    # -- dispensing lines -------------------------------------------------
    x = rng.random(m)
    n_items = np.select(
        [(etype == ACUTE) & (kind == PHARMACY_KIND), etype == ACUTE, etype == CHRONIC, etype == STAY],
        [1 + (x > 0.6) + (x > 0.92),
         np.where(x < s.outpatient_lines_share, 1 + (x < s.outpatient_lines_share * 0.3), 0),
         1 + (world.chronic_drugs[person, 1] >= 0), 1 + (x > 0.4) + (x > 0.8)], 1 + (x > 0.5))
    item_enc = np.repeat(np.arange(m), n_items)
    item_pos = np.arange(len(item_enc)) - np.repeat(np.cumsum(n_items) - n_items, n_items)
    ie = etype[item_enc]
    y = rng.random(len(item_enc))
    pool = cat.acute_pool[np.maximum(acute_row[item_enc], 0)]
    pool_size = (pool >= 0).sum(axis=1)
    acute_drug = pool[np.arange(len(item_enc)), (y * pool_size).astype(np.int64)]
    drug = np.select(
        [ie == ACUTE, ie == CHRONIC, ie == STAY],
        [acute_drug, world.chronic_drugs[person[item_enc], np.minimum(item_pos, 1)],
         plan.injection_drugs[(y * len(plan.injection_drugs)).astype(np.int64)]],
        plan.obstetric_drugs[(y * len(plan.obstetric_drugs)).astype(np.int64)])
    box_units = cat.box_units[drug]
    typical = cat.typical_daily[drug]
    boxes = np.select(
        [ie == CHRONIC, ie == STAY],
        [np.maximum(1, np.floor(refill[item_enc] * typical / box_units)).astype(np.int64),
         1 + (rng.random(len(item_enc)) * 3).astype(np.int64)],
        1 + (rng.random(len(item_enc)) < 0.2))
    traced = rng.random(len(item_enc)) < s.trace_coded_share
    lines_per_item = np.where(traced, boxes, 1)
    line_item = np.repeat(np.arange(len(item_enc)), lines_per_item)
    line_enc = item_enc[line_item]
    line_traced = traced[line_item]
    qty = np.where(line_traced, box_units[line_item], boxes[line_item] * box_units[line_item])
    line_drug = drug[line_item]
    amount = qty * cat.unit_price_cents[line_drug]
    box = np.full(len(line_item), -1, dtype=np.int64)
    box[line_traced] = world.counters.take_boxes(int(line_traced.sum()))
    lines_per_enc = np.bincount(line_enc, minlength=m)
    line_no = np.arange(len(line_enc)) - np.repeat(np.cumsum(lines_per_enc) - lines_per_enc, lines_per_enc) + 1
    has_days = rng.random(len(line_enc)) < s.days_supply_share
    days_supply = np.where(has_days, np.maximum(1, np.floor(qty / typical[line_item])), -1).astype(np.int64)

    # -- money ---------------------------------------------------------
    lines_total = np.bincount(line_enc, weights=amount, minlength=m).astype(np.int64)
    f_cat = fac.category[facility]
    fee_median = np.select([f_cat == MAJOR_HOSPITAL, f_cat == PHARMACY], [6_000, 0], 1_800)
    fee = (fee_median * rng.lognormal(0, 0.5, m)).astype(np.int64)
    cost = np.zeros(m, dtype=np.int64)
    in_stay = etype == STAY
    cost[in_stay] = (cat.inpatient_cost[st_row] * 100 * rng.lognormal(0, 0.4, in_stay.sum())).astype(np.int64)
    in_deliv = etype == DELIVERY
    cost[in_deliv] = (np.where(caesarean, 950_000, 480_000) * rng.lognormal(0, 0.25, in_deliv.sum())
                      ).astype(np.int64)
    total = np.where((kind == INPATIENT) | (kind == MATERNITY), np.maximum(cost, lines_total + 20_000),
                     lines_total + np.where(kind == OUTPATIENT, fee, 0))
    emp = pop.employee[person]
    z = rng.random(m)
    ratio = np.select(
        [kind == OUTPATIENT, kind == PHARMACY_KIND, kind == INPATIENT],
        [np.where(emp, 0.55 + 0.25 * z, 0.35 + 0.25 * z), np.where(emp, 0.6 + 0.3 * z, 0.2 + 0.3 * z),
         np.where(emp, 0.72 + 0.18 * z, 0.55 + 0.2 * z)], 0.8 + 0.2 * z)
    fund = np.floor(total * ratio).astype(np.int64)

    sid = world.counters.take_settlements(m)
    settlements = Settlements(
        sid=sid, card=pop.card_on(person, day), patient=person, facility=facility,
        prescriber=prescriber, kind=kind, t=t, total=total, fund=fund, admitted=admitted,
        discharged=discharged, diag=diag, drg=drg, device=device, operator=operator)
    dispensings = Dispensings(sid=sid[line_enc], line=line_no, drug=line_drug, qty=qty, amount=amount,
                              box=box, days_supply=days_supply)
    return settlements, dispensings
