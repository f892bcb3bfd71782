"""Maternity benefit fraud (虚假参保骗取生育津贴) through shell employers.

An agent registers a few shell companies shortly before use, often on one
phone and one (virtual-office) address; pregnant women with no employer are
"hired" a few months before delivery at a declared salary base near the
300% cap, so the allowance (base / 30 x leave days) is several times what
they would otherwise get; they leave soon after the claim.  Partial
evidence: some rings use no agent, distinct phones or distinct addresses.

Variants (``variant_groups``), drawn per ring: ``old_shell`` (dormant
companies registered years ago and bought up, with a few former
employees); ``genuine_staff`` (each shell keeps a few real, non-claimant
employees on ordinary salaries hired months before the first claim);
``unlinked`` (one shell with its own landline and address and no agent:
nothing shared to link it by).

Truth: the shell employers and the claimants.  The ring's transactions are
the maternity claims (loss = claim amount).  A ring's shells are one
operation: they share at least one identifier (the agent, or else one phone
or one address that every shell carries), so unconnected shell clusters are
never one ring.  An absorbed ring is a neighbouring cluster in its
survivor's city taken over by the same agent (or, with no agent, registered
on the survivor's phone or address); from the merge day its women are hired
through the survivor's shells.
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.employers import LEAVE_DAYS, company_name, landline, mobile, office_address
from ringscope.ingest.synth.facts import FactBuilder
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import choose, ring_county, same_province
from ringscope.ingest.synth.schemes.lifecycle import RingPlan
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

_AGENT_BASE = 90_000
"""Shell-company agents are numbered apart from ordinary agencies."""


def variant_groups(shape) -> list:
    return [(("old_shell", shape.maternity_old_shell_share),),
            (("genuine_staff", shape.maternity_genuine_staff_share),),
            (("unlinked", shape.maternity_unlinked_share),)]


def plant(world: World, plans: list[RingPlan], builder: FactBuilder, truth: Truth,
          rng: np.random.Generator) -> None:
    pop, regions = world.pop, world.regions
    age = pop.age_at(world.start)
    urban = np.flatnonzero(~regions.rural)
    shape = world.settings.schemes
    for k, plan in enumerate(plans):
        county = ring_county(plan, lambda: rng.choice(urban, p=regions.weight[urban] / regions.weight[urban].sum()))
        plan.hub = _shells(world, plan, rng, county, k)
        province = same_province(world, county)
        pool = world.candidates(pop.female & ~pop.employee & (age >= 22) & (age < 38) & province[pop.county]
                                & (pop.death_day == NO_DAY) & (world.delivery == NO_DAY))
        women = choose(rng, pool, plan.size)
        world.reserve(women)
        claim_days = np.minimum(plan.join + rng.integers(0, 21, len(plan.join)), plan.end - 1)
        for person, claim_day in zip(women.tolist(), np.sort(claim_days)):
            hub = plan.hub_at(int(claim_day))
            shell = hub["shells"][int(rng.integers(0, len(hub["shells"])))]
            delivery = int(claim_day) - int(rng.integers(15, 60))
            hired = max(delivery - int(rng.integers(*shape.maternity_hired_days_before_delivery)),
                        world.employers.registered[shell] + 7)
            base = int(round(hub["base"] * rng.uniform(0.95, 1.05), -4))
            leaves = int(claim_day) + int(rng.integers(10, 60))
            world.jobs.add(person, shell, hired, leaves if leaves < world.end else NO_DAY, base)
            pop.employee[person] = True
            world.delivery[person] = delivery
            leave_days = LEAVE_DAYS[regions.code[int(hub["county"])][:2]]
            amount = base * leave_days // 30
            cid = builder.claim(patient=person, employer=shell, claimed=int(claim_day), amount=amount,
                                delivery=delivery, salary_base=base)
            truth.claim(plan.ring_id, cid, amount, int(claim_day),
                        [("employer", shell, "shell_employer"), ("patient", person, "claimant")])


def _shells(world, plan, rng, county, k) -> dict:
    """Register (or buy up) the ring's shells; returns the hub."""
    regions, shape = world.regions, world.settings.schemes
    unlinked = "unlinked" in plan.variants and plan.survivor is None
    if not unlinked:
        plan.variants.discard("unlinked")
    agent = _AGENT_BASE + k if rng.random() < shape.maternity_agent_share and not unlinked else -1
    shared_phone = (landline(regions, county, int(rng.integers(10**7))) if unlinked
                    else mobile(rng))
    shared_address = office_address(rng, regions, county)
    key = "phone" if rng.random() < 0.5 else "address"  # what links the shells when there is no agent
    if plan.survivor is not None:  # taken over: the survivor's agent, or its linking identifier
        survivor = plan.survivor.hub
        agent = survivor["agent"]
        if agent < 0:
            key = survivor["key"]
            shared_phone, shared_address = survivor["phone"], survivor["address"]
    n_shells = 1 if unlinked else 1 + min(4, plan.size // 8) + int(rng.random() < 0.3)
    old = "old_shell" in plan.variants
    if old:
        registered = world.start - int(365 * rng.uniform(*shape.maternity_old_shell_years))
    else:
        registered = plan.start - int(rng.integers(*shape.maternity_registered_days_before))
    shells = []
    for _ in range(n_shells):
        share_phone = unlinked or rng.random() < shape.maternity_shared_contact_share or (agent < 0 and key == "phone")
        share_address = unlinked or rng.random() < shape.maternity_shared_contact_share or (agent < 0 and key == "address")
        shell = world.employers.add(
            name=company_name(rng, regions, county), county=county,
            registered=registered + int(rng.integers(0, 30 if not old else 900)),
            phone=shared_phone if share_phone else landline(regions, county, int(rng.integers(10**7))),
            address=shared_address if share_address else office_address(rng, regions, county),
            agent=agent)
        shells.append(shell)
        if old:
            _former_staff(world, rng, shell, county)
        if "genuine_staff" in plan.variants:
            _genuine_staff(world, rng, shell, county, plan.start)
    return {"county": county, "agent": agent, "key": key, "phone": shared_phone, "address": shared_address,
            "shells": shells,
            "base": int(round(int(regions.monthly_wage[county]) * rng.uniform(*shape.maternity_salary_multiple), -2)) * 100}


def _workers(world, rng, county, n, min_age, max_age) -> np.ndarray:
    pop = world.pop
    age = pop.age_at(world.start)
    pool = world.candidates((pop.county == county) & ~pop.employee & (age >= min_age) & (age < max_age)
                            & (pop.death_day == NO_DAY) & (world.delivery == NO_DAY))
    people = choose(rng, pool, n)
    world.reserve(people)
    return people


def _former_staff(world, rng, shell, county) -> None:
    """A dormant company's past: one to three jobs that ended over a year ago."""
    registered = world.employers.registered[shell]
    wage = int(world.regions.monthly_wage[county])
    lo, hi = world.settings.schemes.maternity_former_staff
    for person in _workers(world, rng, county, int(rng.integers(lo, hi + 1)), 25, 58).tolist():
        end = world.start - int(rng.integers(400, 900))
        start = max(registered + 30, end - int(rng.integers(200, 1500)))
        if start < end:
            world.jobs.add(person, shell, start, end, int(round(wage * rng.uniform(0.7, 1.1), -2)) * 100)


def _genuine_staff(world, rng, shell, county, ring_start) -> None:
    """Real employees on ordinary pay, hired well before the first claim."""
    shape = world.settings.schemes
    registered = world.employers.registered[shell]
    wage = int(world.regions.monthly_wage[county])
    lo, hi = shape.maternity_genuine_staff
    for person in _workers(world, rng, county, int(rng.integers(lo, hi + 1)), 20, 56).tolist():
        hired = max(registered + 10, ring_start - int(rng.integers(60, 500)))
        world.jobs.add(person, shell, hired, NO_DAY, int(round(wage * rng.uniform(0.7, 1.3), -2)) * 100)
        world.pop.employee[person] = True
