"""Borrowed and rented cards (冒名就医 / 借卡): a gang uses other people's cards.

The gang rents or collects cards (elderly villagers, holders in other
provinces, and cards of people who have died but were never cancelled) and
presents them in sessions: several cards within minutes at the same
colluding facility, by the same operator, often from one of a few gang
phones (electronic credentials).  Some care cannot fit the holder: a
pregnancy code on a man's or an old woman's card.

Variants (``variant_groups``), drawn per ring, break each of those habits:
``local_living`` gangs rent cards of living neighbours in their own city
(no far use, no death, no misfit care); ``phones_only`` gangs present
e-credentials where no operator is recorded, ``counter_only`` gangs stack
physical cards at one counter with one operator and no device;
``own_use`` holders also use their own card there between sessions;
``sparse_recording`` rings work at a facility that records neither device
nor operator; ``fast_batches`` / ``slow_batches`` space cards seconds or up
to twenty minutes apart; ``shared_counter`` gangs work at a facility another
gang already uses (each on its own days), so two gangs' cards meet there now
and then.

Truth: the cards (card, role ``borrowed``) and, when recorded, the gang's
devices (device, role ``gang_device``).  Every listed card is presented in
the gang's sessions on at least two days (cards used least so far go first,
and members join early enough for two sessions); two unmerged gangs share
a facility only as the ``shared_counter`` variant (both list it); an absorbed
gang works in its survivor's city and, from the merge day, its cards come in
the survivor's sessions.  Own-use visits are legitimate and not truth.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.catalogue import OBSTETRIC_MISFIT
from ringscope.ingest.synth.facilities import CLINIC, MINOR_HOSPITAL, PHARMACY
from ringscope.ingest.synth.facts import OUTPATIENT, PHARMACY_KIND, FactBuilder
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import (
    at,
    box_lines,
    choose,
    fund_ratio,
    independent_pharmacies,
    own_care,
    pick_unused,
    ring_county,
    same_city,
    same_province,
)
from ringscope.ingest.synth.schemes.lifecycle import RingPlan, batch_team
from ringscope.ingest.synth.schemes.trace_resale import diagnosis_for
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

GANG_DRUG_GROUPS = ("cad", "dm", "copd", "hbv", "af", "tcm_rare", "htn")

UNMERGED_ONLY = frozenset({"shared_counter"})
"""Variants an absorbed gang cannot follow (it works where its survivor does)."""


def variant_groups(shape) -> list:
    phones, counter = shape.borrowed_presentation_shares
    fast, slow = shape.borrowed_pace_shares
    return [(("local_living", shape.borrowed_local_living_share),),
            (("phones_only", phones), ("counter_only", counter)),
            (("own_use", shape.borrowed_own_use_share),),
            (("sparse_recording", shape.borrowed_sparse_recording_share),),
            (("fast_batches", fast), ("slow_batches", slow)),
            (("shared_counter", shape.borrowed_shared_counter_share),)]


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    urban = np.flatnonzero(~world.regions.rural)
    drugs = world.catalogue.drugs_in(*GANG_DRUG_GROUPS)
    used: set[int] = set()
    # survivors first (an absorbed gang works in its survivor's city), and gangs sharing a
    # counter after the gangs whose counter they share
    plans = sorted(plans, key=lambda p: (p.survivor is not None, "shared_counter" in p.variants))
    for plan in plans:
        county = ring_county(plan, lambda: rng.choice(urban, p=world.regions.weight[urban] / world.regions.weight[urban].sum()))
        plan.hub = _hub(world, plan, rng, county, used)
        plan.recruits = _holders(world, plan, rng, plan.hub["county"])
        world.reserve(plan.recruits)
    for plan in plans:
        _sessions(world, plan, builder, truth, rng, *batch_team(plan), drugs)
        if "own_use" in plan.variants and not _own_use(world, plan, builder, rng, plan.recruits):
            plan.variants.discard("own_use")


def _hub(world: World, plan: RingPlan, rng: np.random.Generator, county: int, used: set[int]) -> dict:
    """The gang's facilities, devices and operators, and what each facility records.

    A ``shared_counter`` gang works first of all at a facility another gang already uses,
    in that facility's county."""
    fac = world.facilities
    shared = -1
    if "shared_counter" in plan.variants and used and plan.survivor is None:
        shared = int(sorted(used)[int(rng.integers(0, len(used)))])
        county = int(fac.county[shared])
    else:
        plan.variants.discard("shared_counter")
    places = [shared] if shared >= 0 else []
    places.append(pick_unused(world, rng, county, CLINIC, used, alternatives=(MINOR_HOSPITAL,)))
    places.append(pick_unused(world, rng, county, MINOR_HOSPITAL, used | set(places), alternatives=(CLINIC,)))
    places += independent_pharmacies(world, rng, county, 1, exclude=used | set(places))
    n_places = 1 if "counter_only" in plan.variants else int(rng.integers(1, 4))
    facilities = sorted(set(places[:n_places]))  # the shared counter, when there is one, among them
    used.update(facilities)
    world.ring_facilities[facilities] = True
    if "counter_only" in plan.variants:
        n_devices = 0
        world.records_operator[facilities] = True
    elif "phones_only" in plan.variants:
        n_devices = int(rng.integers(1, 4))
        world.records_device[facilities] = True
        world.records_operator[facilities] = False
    else:
        n_devices = 0 if rng.random() < world.settings.schemes.borrowed_rings_without_devices else int(rng.integers(1, 4))
    if "sparse_recording" in plan.variants:
        blind = facilities[int(rng.integers(0, len(facilities)))]
        world.records_device[blind] = world.records_operator[blind] = False
    return {"county": county, "facilities": facilities,
            "devices": [world.new_device() for _ in range(n_devices)],
            "operators": {f: int(fac.pick_operator(rng, np.array([f]))[0]) for f in facilities}}


def _holders(world: World, plan: RingPlan, rng: np.random.Generator, county: int) -> np.ndarray:
    """Whose cards: living neighbours (``local_living``) or the textbook mix of
    dead, far-away and local elderly holders."""
    pop, shape = world.pop, world.settings.schemes
    age = pop.age_at(world.start)
    if "local_living" in plan.variants:
        near = same_city(world, county)[pop.county]
        pool = world.candidates(near & (age >= 30) & (age < 85) & (pop.death_day == NO_DAY))
        return choose(rng, pool, plan.size).astype(np.int64)
    far = ~same_province(world, county)[pop.county]
    live = pop.death_day > plan.start + 20
    dead_uncancelled = (pop.death_day < plan.start) & (pop.card_cancelled_on[: pop.size] == NO_DAY)
    old = (age >= 55) & live
    n_dead = int(round(plan.size * rng.uniform(*shape.borrowed_dead_holders)))
    n_far = int(round((plan.size - n_dead) * rng.uniform(*shape.borrowed_far_holders)))
    holders = np.concatenate([
        choose(rng, world.candidates(dead_uncancelled), n_dead),
        choose(rng, world.candidates(old & far), n_far),
        choose(rng, world.candidates(old & ~far), plan.size - n_dead - n_far)]).astype(np.int64)
    rng.shuffle(holders)
    return holders


def _spacing(plan: RingPlan, shape) -> tuple[int, int]:
    if "fast_batches" in plan.variants:
        return shape.borrowed_fast_seconds
    if "slow_batches" in plan.variants:
        return shape.borrowed_slow_seconds
    return shape.borrowed_seconds_between_cards


def _sessions(world, plan, builder, truth, rng, holders, join, earliest, drugs) -> None:
    """The gang's sessions until ``own_end``, over its team (its own cards and,
    from each merge day, the cards of the gangs it took over)."""
    shape = world.settings.schemes
    # join early enough for at least two sessions before the ring stops
    latest = plan.own_end - 2 * shape.borrowed_session_every_days[1] - 1
    join = np.maximum(earliest, np.minimum(join, latest))
    uses = np.zeros(len(holders), dtype=np.int64)
    own = earliest == plan.start  # the gang's own recruits; the rest came with a merge
    misfit_share = 0.0 if "local_living" in plan.variants else rng.uniform(*shape.borrowed_misfit_care)
    always_phone = "phones_only" in plan.variants
    gap = _spacing(plan, shape)
    day = plan.start
    while day < plan.own_end:
        active_idx = np.flatnonzero(join <= day)
        if len(active_idx) >= 2:
            hub = plan.hub_at(day)
            facility = hub["facilities"][int(rng.integers(0, len(hub["facilities"])))]
            operator = hub["operators"][facility]
            device = hub["devices"][int(rng.integers(0, len(hub["devices"])))] if hub["devices"] else -1
            lo, hi = shape.borrowed_cards_per_session
            size = min(int(rng.integers(lo, hi + 1)), len(active_idx))
            size = max(size, min(hi, int((uses[active_idx] < 2).sum())))
            # cards used least so far first (random among equals)
            order = np.lexsort((rng.random(len(active_idx)), np.minimum(uses[active_idx], 2)))
            picked = _mixed(active_idx[order], size, own[active_idx[order]])
            uses[picked] += 1
            session = holders[np.sort(picked)]
            rng.shuffle(session)
            clock = 32_400 + int(rng.integers(0, 25_000))
            for holder in session:
                _use_card(world, plan, builder, truth, rng, int(holder), day, clock, facility, operator,
                          device if always_phone or rng.random() < 0.85 else -1, drugs, misfit_share)
                clock += int(rng.integers(gap[0], gap[1] + 1))
        day += int(rng.integers(shape.borrowed_session_every_days[0], shape.borrowed_session_every_days[1] + 1))


def _mixed(ranked: np.ndarray, size: int, own: np.ndarray) -> np.ndarray:
    """The first ``size`` of the ranked cards, with at least one of the gang's own and one
    taken over when both are active: after a merge the survivor works the cards it took
    over together with its own, so new arrivals (used least) never fill its sessions alone."""
    picked = ranked[:size]
    if size >= 2 and own.any() and (~own).any():
        for side in (own, ~own):
            if not side[:size].any():
                picked = np.concatenate([picked[:-1], ranked[np.flatnonzero(side)[:1]]])
    return picked


def _use_card(world, plan, builder, truth, rng, holder, day, clock, facility, operator, device,
              drugs, misfit_share) -> None:
    pop, fac, cat = world.pop, world.facilities, world.catalogue
    card = pop.card_for(holder, day)
    is_pharmacy = fac.category[facility] == PHARMACY
    lines = []
    for _ in range(int(rng.integers(1, 4))):
        drug = int(drugs[int(rng.integers(0, len(drugs)))])
        lines += box_lines(world, builder, drug, int(rng.integers(1, 4)), traced=rng.random() < 0.8)
    diag = diagnosis_for(world, lines[0][0])
    cannot_be_pregnant = (not pop.female[holder]) or pop.age_on(holder, day) > 55
    if not is_pharmacy and cannot_be_pregnant and rng.random() < misfit_share:
        diag = cat.diag(OBSTETRIC_MISFIT[int(rng.integers(0, len(OBSTETRIC_MISFIT)))])
    sid, fund = builder.settlement(
        card=card, patient=holder, facility=facility, kind=PHARMACY_KIND if is_pharmacy else OUTPATIENT,
        t=at(day, clock), lines=lines, fee=0 if is_pharmacy else int(rng.integers(2_000, 15_000)),
        fund_ratio=fund_ratio(world, rng, holder, "pharmacy" if is_pharmacy else "outpatient"),
        prescriber=-1 if is_pharmacy else int(fac.pick_prescriber(rng, np.array([facility]))[0]),
        diag=diag, device=device, operator=operator)
    entities = [("card", card, "borrowed")]
    if world.seen_device(facility, device) >= 0:
        entities.append(("device", device, "gang_device"))
    truth.settlement(plan.ring_id, sid, fund, day, entities)


def _own_use(world, plan, builder, rng, holders) -> bool:
    """Living holders of the gang's city visit the gang's facilities on their
    own card too, for their own care, alone (legitimate, not truth)."""
    pop, fac, shape = world.pop, world.facilities, world.settings.schemes
    near = same_city(world, plan.hub["county"])
    planted = False
    for holder in holders.tolist():
        if not near[pop.county[holder]] or pop.death_day[holder] <= plan.end:
            continue
        for _ in range(int(rng.integers(shape.borrowed_own_visits[0], shape.borrowed_own_visits[1] + 1))):
            day = int(rng.integers(plan.start, plan.end))
            facility = plan.hub["facilities"][int(rng.integers(0, len(plan.hub["facilities"])))]
            is_pharmacy = fac.category[facility] == PHARMACY
            diag, drug = own_care(world, rng, holder)
            phone = int(pop.device[holder]) if rng.random() < world.settings.electronic_credential_share else -1
            builder.settlement(
                card=pop.card_for(holder, day), patient=holder, facility=facility,
                kind=PHARMACY_KIND if is_pharmacy else OUTPATIENT, t=at(day, 28_800 + int(rng.integers(0, 34_000))),
                lines=box_lines(world, builder, drug, 1, traced=rng.random() < 0.85),
                fee=0 if is_pharmacy else int(rng.integers(1_000, 5_000)),
                fund_ratio=fund_ratio(world, rng, holder, "pharmacy" if is_pharmacy else "outpatient"),
                prescriber=-1 if is_pharmacy else int(fac.pick_prescriber(rng, np.array([facility]))[0]),
                diag=diag, device=phone, operator=int(fac.pick_operator(rng, np.array([facility]))[0]))
            planted = True
    return planted
