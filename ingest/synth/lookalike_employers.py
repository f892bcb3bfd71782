"""Legitimate look-alikes of the maternity patterns (a short employment
before delivery; employers linked by one agent or one address).

- job change before delivery: an insured woman moves to another
  long-established employer a few months before delivering, at a similar
  salary, and claims through the new one (explained by her continuous
  insurance history);
- accounting agent: an agency that registers many honest, long-established
  employers, some of whose long-tenured employees have babies (explained
  by employer age, tenure and ordinary salaries);
- incubator: several young small firms registered at one business-park
  address, ordinary salaries, one with a claim by a woman who moved there
  from another job (explained by ordinary salaries and continuous insurance).
"""
from __future__ import annotations

import numpy as np

from ringscope.ingest.synth.employers import LEAVE_DAYS, company_name, employer_average_salary, landline, office_address
from ringscope.ingest.synth.facts import FactBuilder
from ringscope.ingest.synth.lookalike_care import between, count, mark
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.schemes.common import choose
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World

_OLD = 3 * 365
"""An employer registered this many days before the period is long-established."""


def _jobs(world: World) -> dict[str, np.ndarray]:
    j = world.jobs
    return {"patient": np.array(j.patient, dtype=np.int64), "employer": np.array(j.employer, dtype=np.int64),
            "start": np.array(j.start, dtype=np.int64), "end": np.array(j.end, dtype=np.int64)}


def _mothers_to_be(world: World, jobs: dict[str, np.ndarray], tenure_days: int) -> np.ndarray:
    """Indices of open jobs held for ``tenure_days`` by women who could give birth."""
    pop = world.pop
    p = jobs["patient"]
    age = pop.age_at(world.start)[p]
    return np.flatnonzero(pop.female[p] & (age >= 24) & (age < 38) & (jobs["end"] == NO_DAY)
                          & (jobs["start"] < world.start - tenure_days) & (pop.death_day[p] == NO_DAY)
                          & (world.delivery[p] == NO_DAY) & ~world.reserved[p])


def _still_movable(world: World, job_ids: np.ndarray, women: np.ndarray) -> np.ndarray:
    """Which of ``_mothers_to_be``'s jobs still qualify after later plants: still open, the woman
    not reserved and not given a delivery since."""
    ends = np.array([world.jobs.end[j] for j in job_ids.tolist()], dtype=np.int64)
    return (ends == NO_DAY) & (world.delivery[women] == NO_DAY) & ~world.reserved[women]


def change_job(world: World, builder: FactBuilder, rng: np.random.Generator, job: int, new_employer: int) -> int:
    """End job ``job`` months before a delivery, start at ``new_employer`` at a
    similar salary, and claim the allowance through it.  Returns the woman
    (-1 when the new employer is too young for a claim in the period)."""
    jobs, emp = world.jobs, world.employers
    woman = int(jobs.patient[job])
    earliest = max(world.start - 10, int(emp.registered[new_employer]) + 100)
    latest = world.end - 75
    if earliest >= latest:
        return -1
    delivery = int(rng.integers(earliest, latest))
    hired_before = between(rng, world.settings.lookalikes.job_change_days_before_delivery)
    new_start = max(delivery - hired_before, int(emp.registered[new_employer]) + 10)
    old_end = max(int(jobs.start[job]) + 30, new_start - 1 - int(rng.integers(0, 20)))
    jobs.end[job] = old_end
    jobs.add(woman, new_employer, new_start, NO_DAY, int(jobs.salary[job] * rng.uniform(0.95, 1.15)) // 100 * 100)
    world.delivery[woman] = delivery
    world.reserve(np.array([woman]))
    base = int(employer_average_salary(emp, jobs)[new_employer])
    leave = LEAVE_DAYS[world.regions.code[emp.county[new_employer]][:2]]
    builder.claim(patient=woman, employer=new_employer, claimed=delivery + int(rng.integers(14, 60)),
                  amount=base * leave // 30, delivery=delivery, salary_base=base)
    return woman


def job_changes(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    jobs = _jobs(world)
    registered = np.array(world.employers.registered, dtype=np.int64)
    county = np.array(world.employers.county, dtype=np.int64)
    for job in choose(rng, _mothers_to_be(world, jobs, 400), count(world, world.settings.patients_per_job_change)).tolist():
        if world.reserved[jobs["patient"][job]]:
            continue
        here = county[jobs["employer"][job]]
        pool = np.flatnonzero((county == here) & (registered < world.start - _OLD)
                              & (np.arange(len(county)) != jobs["employer"][job]))
        if len(pool) == 0:
            continue
        new = int(pool[int(rng.integers(0, len(pool)))])
        woman = change_job(world, builder, rng, job, new)
        if woman >= 0:
            mark(world, truth, "job_change_before_delivery", world.start, patients=[woman], employers=[new])


def accounting_agents(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    emp = world.employers
    jobs = _jobs(world)
    registered = np.array(emp.registered, dtype=np.int64)
    agent = np.array(emp.agent, dtype=np.int64)
    ordinary = agent[(agent >= 0) & (agent < 90_000)]
    next_agent = int(ordinary.max()) + 1 if len(ordinary) else 0
    county = np.array(emp.county, dtype=np.int64)
    for k in range(count(world, world.settings.patients_per_accounting_agent)):
        here = int(rng.choice(world.regions.size, p=world.regions.weight))
        pool = np.flatnonzero((county == here) & (registered < world.start - _OLD) & (agent < 0))
        clients = choose(rng, pool, between(rng, world.settings.lookalikes.accounting_agent_clients))
        if len(clients) < 4:
            continue
        for e in clients.tolist():
            emp.agent[e] = next_agent + k
            agent[e] = next_agent + k
        eligible = _mothers_to_be(world, jobs, 730)
        eligible = eligible[np.isin(jobs["employer"][eligible], clients)]
        births = between(rng, world.settings.lookalikes.accounting_agent_births)
        women = [int(w) for w in jobs["patient"][choose(rng, eligible, births)]]
        latest = max(world.start - 30, world.end - 100)
        for w in women:
            world.delivery[w] = int(rng.integers(world.start - 40, latest + 1))
        world.reserve(np.asarray(women))
        mark(world, truth, "accounting_agent", world.start, patients=women, employers=clients)


def incubators(world: World, builder: FactBuilder, truth: Truth, rng: np.random.Generator) -> None:
    pop, regions = world.pop, world.regions
    age = pop.age_at(world.start)
    urban = np.flatnonzero(~regions.rural)
    jobs = _jobs(world)
    # the jobs that can move: computed once (at 5M people rebuilding them per incubator took most of a
    # second); jobs added below start too recently to qualify, so only ends and reservations change
    movable = _mothers_to_be(world, jobs, 400)
    for _ in range(count(world, world.settings.patients_per_incubator)):
        county = int(rng.choice(urban, p=regions.weight[urban] / regions.weight[urban].sum()))
        address = office_address(rng, regions, county).replace("大厦", "创业孵化园", 1)
        firms = []
        for _ in range(between(rng, world.settings.lookalikes.incubator_firms)):
            registered = world.start - int(rng.integers(60, 400))
            firm = world.employers.add(name=company_name(rng, regions, county), county=county, registered=registered,
                                       phone=landline(regions, county, int(rng.integers(10**7))), address=address,
                                       agent=-1)
            firms.append(firm)
            staff = choose(rng, world.candidates((pop.county == county) & ~pop.employee & (age >= 20) & (age < 50)
                                                 & (pop.death_day == NO_DAY) & (world.delivery == NO_DAY)),
                           between(rng, world.settings.lookalikes.incubator_staff))
            world.reserve(staff)
            wage = int(regions.monthly_wage[county])
            for person in staff.tolist():
                world.jobs.add(person, firm, registered + int(rng.integers(10, 60)), NO_DAY,
                               int(round(wage * rng.uniform(0.7, 1.2), -2)) * 100)
                pop.employee[person] = True
        movers = movable[pop.county[jobs["patient"][movable]] == county]
        movers = movers[_still_movable(world, movers, jobs["patient"][movers])]
        claimants: list[int] = []
        if len(movers):
            job = int(movers[int(rng.integers(0, len(movers)))])
            claimants = [w for w in [change_job(world, builder, rng, job, firms[int(rng.integers(0, len(firms)))])]
                         if w >= 0]
        mark(world, truth, "incubator_shared_address", world.start, patients=claimants, employers=firms)
