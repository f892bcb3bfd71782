"""Trace-code resale (倒卖回流药): boxes bought on insurance are sold back.

Sellers (often retirees with generous employee insurance) buy expensive
drugs again and again at their local pharmacies or clinics; a collector buys
the boxes for cash; a reselling pharmacy puts them back on the shelf and
settles them again on other people's cards, so the same 20-digit trace code
is reimbursed twice (NHSA's 2024-2025 trace-code campaign).  Partial
evidence: about a third of the boxes are never re-scanned (sold for cash or
out of the province), and some sellers' boxes are never re-scanned at all.

Variants (``variant_groups``), drawn per ring: ``two_cities`` (a second
reselling pharmacy in another city of the province); ``partial_rescan``
(each seller has only a part of their boxes re-scanned, a share drawn per
seller, so sellers look like ordinary buyers most of the time); ``spread_thin``
(each seller's boxes reach the reselling pharmacy only once or twice, weeks to
months late: a small ring spread thin, with no seller repeating
much; its look-alikes are a pharmacy's returned boxes and a chain moving
returned stock between branches, in lookalike_supply).

Truth: the sellers (patient) and reselling facilities (facility).  A seller
is listed (from the day one of their boxes is first re-settled) only when at
least one of their boxes was re-settled by the ring: a seller whose boxes
all vanished into cash sales left no trace of the scheme and is, like their
purchases, not part of the ring's truth.  The ring's transactions (contract
section 3) are every resale settlement and each listed seller's purchases of
the drugs they resold, at the places where they bought the resold boxes,
within the ring's active period (its first purchase of a box later resold to
its last resale; a merged ring's spans the rings it absorbed), re-scanned or
not.  Two unmerged rings never share a reselling pharmacy; an absorbed ring
works in its survivor's county.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ringscope.ingest.synth.facilities import CLINIC, PHARMACY
from ringscope.ingest.synth.facts import DAY, OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.schemes.common import (
    at,
    box_lines,
    choose,
    draw_county,
    fund_ratio,
    in_multi_city_province,
    independent_pharmacies,
    other_city_county,
    ring_county,
    same_province,
)
from ringscope.ingest.synth.schemes.lifecycle import RingPlan
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

RESALE_DRUGS = ("甲磺酸奥希替尼片", "盐酸埃克替尼片", "甲磺酸伊马替尼片", "来那度胺胶囊", "阿达木单抗注射液",
                "安宫牛黄丸", "片仔癀", "富马酸丙酚替诺福韦片", "甘精胰岛素注射液", "利拉鲁肽注射液",
                "达比加群酯胶囊")


UNMERGED_ONLY = frozenset({"two_cities"})
"""Variants an absorbed ring cannot follow (it works where its survivor does)."""


def variant_groups(shape) -> list:
    return [(("two_cities", shape.resale_two_city_share),),
            (("partial_rescan", shape.resale_partial_rescan_share),),
            (("spread_thin", shape.resale_spread_thin_share),)]


class Purchase(NamedTuple):
    """One purchase of a seller: which drugs, where, when (seconds), what the fund paid."""

    sid: int
    fund: int
    t: int
    facility: int
    drugs: frozenset[int]


class Resold(NamedTuple):
    """One of a seller's boxes settled again by the ring: bought where, when, which drug."""

    seller: int
    drug: int
    facility: int
    bought_t: int
    resold_t: int


class Habit(NamedTuple):
    """Which of a seller's boxes go to the collector: all (``spread_thin``: the ring thins
    them out later), none (a silent seller) or each with chance ``rate``."""

    every_box: bool
    silent: bool
    rate: float

    def resells(self, rng: np.random.Generator) -> bool:
        return self.every_box or (not self.silent and rng.random() < self.rate)


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    pop, cat = world.pop, world.catalogue
    age = pop.age_at(world.start)
    drug_pool = np.array([cat.drug(name) for name in RESALE_DRUGS])
    shape = world.settings.schemes
    used: set[int] = set()
    purchases: dict[int, list[Purchase]] = {}  # seller -> purchases (a seller is in one ring)
    resold: dict[str, list[Resold]] = {}  # ring -> its resold boxes
    for plan in plans:
        spread = in_multi_city_province(world) if "two_cities" in plan.variants else np.ones(world.regions.size, bool)
        county = ring_county(plan, lambda spread=spread: draw_county(world, rng, spread))
        plan.hub = _resellers(world, plan, rng, county, used)
        drugs = choose(rng, drug_pool, 1 + int(rng.random() < 0.5))
        province = same_province(world, county)
        pool = world.candidates(province[pop.county] & (age >= 45) & (age < 82) & (pop.chronic < 0)
                                & (pop.death_day > plan.start + 30))
        sellers = choose(rng, pool, plan.size)
        world.reserve(sellers)
        resale_rate = (rng.uniform(0.1, 0.3) if rng.random() < shape.resale_low_evidence_rings
                       else rng.uniform(*shape.resale_share_of_boxes))
        silent = rng.random(len(sellers)) < shape.resale_silent_sellers  # boxes bought but never re-scanned
        rates = (rng.uniform(*shape.resale_partial_rescan_rate, len(sellers)) if "partial_rescan" in plan.variants
                 else np.full(len(sellers), resale_rate))
        resold_boxes: list[tuple[int, int, int, int]] = []  # (resale day, drug, box, seller)
        thin = "spread_thin" in plan.variants  # every seller sells, but only a box or two, late
        bought: dict[int, tuple[int, int]] = {}  # box -> (facility, time) of its purchase
        for seller, join, quiet, rate in zip(sellers, plan.join, silent, rates):
            purchases[int(seller)] = _buy(world, plan, builder, rng, int(seller), int(join), drugs,
                                          Habit(thin, bool(quiet), float(rate)), resold_boxes, bought)
        if thin:
            resold_boxes = _spread_thin(rng, resold_boxes, shape.resale_spread_delay_days, min(plan.end, world.end))
        resold[plan.ring_id] = [Resold(seller, drug, *bought[box], t)
                                for seller, drug, box, t in _resell(world, plan, builder, truth, rng, resold_boxes)]
    _record_seller_losses(plans, purchases, resold, truth)


def _buy(world: World, plan: RingPlan, builder: FactBuilder, rng: np.random.Generator, seller: int, join: int,
         drugs: np.ndarray, habit: "Habit", resold_boxes: list[tuple[int, int, int, int]],
         bought: dict[int, tuple[int, int]]) -> list[Purchase]:
    """A seller buys the ring's drugs at home or a second place again and again; the boxes
    the seller's ``habit`` picks go to the collector (appended to ``resold_boxes``)."""
    pop, fac, shape = world.pop, world.facilities, world.settings.schemes
    home = int(world.home_pharmacy[seller])
    second = int(fac.pick(rng, np.array([pop.county[seller]]), CLINIC if rng.random() < 0.3 else PHARMACY)[0])
    places = [home, second]
    out: list[Purchase] = []
    day = join
    stop = min(plan.end, int(pop.death_day[seller]))
    while day < stop:
        facility = places[int(rng.random() < 0.35)]
        kind = "outpatient" if fac.category[facility] == CLINIC else "pharmacy"
        lines = []
        for drug in drugs[: 1 + int(rng.random() < 0.4)]:
            lines += box_lines(world, builder, int(drug), int(rng.integers(shape.resale_boxes_per_drug[0],
                                                                          shape.resale_boxes_per_drug[1] + 1)),
                               traced=rng.random() < 0.93)
        prescriber = int(fac.pick_prescriber(rng, np.array([world.home_hospital[seller]]))[0])
        t = at(day, 30_000 + int(rng.integers(0, 30_000)))
        sid, fund = builder.settlement(
            card=pop.card_for(seller, day), patient=seller,
            facility=facility, kind=OUTPATIENT if kind == "outpatient" else PHARMACY_KIND,
            t=t, lines=lines,
            fee=1_000 if kind == "outpatient" else 0, fund_ratio=fund_ratio(world, rng, seller, "inpatient"),
            prescriber=prescriber, diag=diagnosis_for(world, int(drugs[0])),
            device=int(pop.device[seller]) if rng.random() < 0.3 else -1,
            operator=int(fac.pick_operator(rng, np.array([facility]))[0]))
        out.append(Purchase(sid, fund, t, facility, frozenset(line[0] for line in lines)))
        for drug, _, _, box, _ in lines:
            if box >= 0:
                bought[box] = (facility, t)
                if habit.resells(rng):
                    resold_boxes.append((day + int(rng.integers(*shape.resale_delay_days)), drug, box, seller))
        day += int(rng.integers(*shape.resale_purchase_every_days))
    return out


def _record_seller_losses(plans: list[RingPlan], purchases: dict[int, list[Purchase]],
                          resold: dict[str, list[Resold]], truth: Truth) -> None:
    """The sellers' part of each ring's loss (contract section 3): a seller with a box the
    ring resold is listed, and their purchases of the drugs they resold, at the places
    where they bought the resold boxes, within the ring's active period (its first
    purchase of a box later resold to its last resale) are the ring's transactions, each
    counted once, re-scanned or not.  A purchase elsewhere, of another drug, or outside
    the period is not shown to be part of the scheme.  A merged ring is one ring: its
    period spans the rings it absorbed."""
    listed: dict[str, list[Resold]] = {}
    for plan in plans:
        root = plan.survivor.ring_id if plan.survivor is not None else plan.ring_id
        listed.setdefault(root, []).extend(resold[plan.ring_id])
    for plan in plans:
        boxes = resold[plan.ring_id]
        if not boxes:
            continue
        group = listed[plan.survivor.ring_id if plan.survivor is not None else plan.ring_id]
        first, last = min(b.bought_t for b in group), max(b.resold_t for b in group)
        for seller in sorted({b.seller for b in boxes}):
            mine = [b for b in boxes if b.seller == seller]
            sold = {(b.facility, b.drug) for b in mine}
            for p in purchases[seller]:
                if first <= p.t <= last and any((p.facility, drug) in sold for drug in p.drugs):
                    truth.settlement(plan.ring_id, p.sid, p.fund, p.t // DAY)
            truth.touch(plan.ring_id, "patient", seller, "seller", min(b.resold_t for b in mine) // DAY)


def _spread_thin(rng: np.random.Generator, boxes: list[tuple[int, int, int, int]],
                 delay: tuple[int, int], until: int) -> list[tuple[int, int, int, int]]:
    """Of each seller's boxes keep one or two, held back a further ``delay`` days (and still
    resold before ``until``): the ring's boxes arrive thin and late, no seller repeats much."""
    by_seller: dict[int, list[tuple[int, int, int, int]]] = {}
    for day, drug, box, seller in boxes:
        later = day + int(rng.integers(*delay))
        if later < until:
            by_seller.setdefault(seller, []).append((later, drug, box, seller))
    kept = []
    for _, items in sorted(by_seller.items()):
        picks = rng.choice(len(items), size=min(len(items), int(rng.integers(1, 3))), replace=False)
        kept += [items[int(k)] for k in sorted(picks)]
    return kept


def _resellers(world: World, plan: RingPlan, rng: np.random.Generator, county: int, used: set[int]) -> dict:
    """One or two reselling pharmacies (in two cities for ``two_cities``); the hub."""
    fac = world.facilities
    resellers = independent_pharmacies(world, rng, county, 1 + int(rng.random() < 0.35), exclude=used)
    if "two_cities" in plan.variants:
        other = other_city_county(world, rng, county)
        resellers = resellers[:1] + independent_pharmacies(world, rng, other, 1, exclude=used | set(resellers))
        if len({world.regions.code[int(fac.county[f])][:4] for f in resellers}) < 2:
            plan.variants.discard("two_cities")
    used.update(resellers)
    return {"county": county, "resellers": sorted(set(resellers)),
            "operators": {f: int(fac.pick_operator(rng, np.array([f]))[0]) for f in sorted(set(resellers))}}


def _resell(world: World, plan: RingPlan, builder: FactBuilder, truth: Truth,
            rng: np.random.Generator, boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Settle the collected boxes again at the reselling pharmacy, one to
    three boxes a time, on cards of local customers; a batch is sold once
    its last box has come in.  Returns the boxes resold: (seller, drug, box,
    time of the resale settlement)."""
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    boxes = sorted(b for b in boxes if b[0] < plan.end and b[0] < world.end)
    out: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(boxes):
        take = boxes[i:i + int(rng.integers(1, 4))]
        i += len(take)
        day = take[-1][0]
        hub = plan.hub_at(day)
        reseller = hub["resellers"][int(rng.integers(0, len(hub["resellers"])))]
        county = int(fac.county[reseller])
        buyer = _buyer(world, rng, county, day)
        lines = [(drug, int(cat.box_units[drug]), int(cat.box_units[drug]) * int(cat.unit_price_cents[drug]), box, -1)
                 for _, drug, box, _ in take]
        t = at(day, 32_000 + int(rng.integers(0, 40_000)))
        sid, fund = builder.settlement(
            card=pop.card_for(buyer, day), patient=buyer, facility=reseller,
            kind=PHARMACY_KIND, t=t, lines=lines,
            fund_ratio=fund_ratio(world, rng, buyer, "pharmacy"), operator=hub["operators"][reseller])
        truth.settlement(plan.ring_id, sid, fund, day, [("facility", reseller, "reseller")])
        out += [(seller, drug, box, t) for _, drug, box, seller in take]
    return out


GROUP_DIAGNOSIS = {"onc": "C34.9", "ra": "M06.9", "hbv": "B18.1", "dm": "E11.9", "af": "I48.9",
                   "tcm_rare": "I67.9", "cad": "I25.1", "copd": "J44.9", "htn": "I10", "opioid": "M54.5",
                   "psy": "G47.0", "cough_ctrl": "R05"}


def diagnosis_for(world: World, drug: int) -> int:
    """The ICD-10 code a prescription of ``drug`` would normally carry."""
    code = GROUP_DIAGNOSIS.get(str(world.catalogue.group[drug]), "Z00.0")
    return world.catalogue.diag(code)


def _buyer(world: World, rng: np.random.Generator, county: int, day: int) -> int:
    """A random living insured person of the county (not a ring member)."""
    pop = world.pop
    people = world.people_in(county)
    for _ in range(50 if len(people) else 0):  # a small world can leave a county empty
        p = int(people[int(rng.integers(0, len(people)))])
        if pop.death_day[p] > day and not world.reserved[p]:
            return p
    return int(world.candidates(pop.death_day > day)[0])
