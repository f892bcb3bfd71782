"""Employers, employments and ordinary maternity benefits.

Maternity allowance (生育津贴) is paid as the employer's average monthly
contribution base / 30 x statutory leave days, so the fraud lever is the
declared salary base and the employment itself.  Ordinary employers here are
long-registered, pay near the provincial norm, and their employees have
years of tenure, which is what the shell employers of maternity rings lack.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringscope.ingest.synth.facts import Claims, Counters, empty
from ringscope.ingest.synth.population import NO_DAY, Population
from ringscope.ingest.synth.regions import RegionTable, street_parts
from ringscope.ingest.synth.settings import GeneratorSettings

_STEMS = ("华信", "宏达", "鑫源", "恒通", "瑞丰", "东升", "汇通", "金鼎", "盛世", "天成", "永辉", "嘉禾",
          "博远", "康泰", "中兴", "新宇", "荣昌", "佳和", "明德", "启航")
_INDUSTRIES = ("贸易", "物流", "餐饮管理", "建筑工程", "电子科技", "服装", "食品", "机械制造", "信息技术",
               "家政服务", "商贸", "纺织", "物业管理", "文化传媒", "人力资源")
AREA_CODE = {"11": "010", "31": "021", "44": "020", "42": "027", "51": "028", "41": "0371",
             "37": "0531", "43": "0731", "23": "0451", "53": "0871"}
LEAVE_DAYS = {"11": 158, "31": 128, "44": 178, "42": 128, "51": 158, "41": 158, "37": 158,
              "43": 158, "23": 180, "53": 158}
"""Statutory maternity leave (98 national days plus provincial extensions)."""


@dataclass
class Employers:
    name: list
    county: list
    registered: list          # epoch day
    phone: list
    address: list
    agent: list               # agent number, -1 none
    weight: np.ndarray        # hiring weight (big employers hire more)

    @property
    def size(self) -> int:
        return len(self.name)

    def add(self, *, name: str, county: int, registered: int, phone: str, address: str, agent: int) -> int:
        self.name.append(name)
        self.county.append(county)
        self.registered.append(registered)
        self.phone.append(phone)
        self.address.append(address)
        self.agent.append(agent)
        self.weight = np.append(self.weight, 0.0)
        return self.size - 1


@dataclass
class Employments:
    patient: list
    employer: list
    start: list               # epoch day
    end: list                 # epoch day, NO_DAY = open
    salary: list              # cents

    def add(self, patient: int, employer: int, start: int, end: int, salary: int) -> None:
        self.patient.append(patient)
        self.employer.append(employer)
        self.start.append(start)
        self.end.append(end)
        self.salary.append(salary)


def company_name(rng: np.random.Generator, regions: RegionTable, county: int) -> str:
    place = regions.city[county][:-1] if regions.city[county] else regions.province[county][:-1]
    return (f"{place}{_STEMS[int(rng.integers(0, len(_STEMS)))]}"
            f"{_INDUSTRIES[int(rng.integers(0, len(_INDUSTRIES)))]}有限公司")


def landline(regions: RegionTable, county: int, number: int) -> str:
    return f"{AREA_CODE[regions.code[county][:2]]}-{8_000_0000 + number % 10**7}"


def mobile(rng: np.random.Generator) -> str:
    """An 11-digit mainland mobile number."""
    return f"1{int(rng.choice([38, 39, 58, 86, 88, 35, 36, 50, 51, 87]))}{int(rng.integers(10**7, 10**8))}"


def office_address(rng: np.random.Generator, regions: RegionTable, county: int) -> str:
    roads, stems, _ = street_parts()
    return (f"{regions.prefix()[county]}{roads[int(rng.integers(0, len(roads)))]}"
            f"{int(rng.integers(1, 400))}号{stems[int(rng.integers(0, len(stems)))]}大厦"
            f"{int(rng.integers(1, 28))}层{int(rng.integers(1, 30)):02d}室")


def build_employers(settings: GeneratorSettings, rng: np.random.Generator, regions: RegionTable,
                    pop: Population, start: int, days: int) -> tuple[Employers, Employments]:
    """Employers registered 1-25 years ago and the jobs of employee-insured adults."""
    n_emp = max(30, pop.size // settings.patients_per_employer)
    county = rng.choice(regions.size, n_emp, p=regions.weight)
    registered = start - (365 * (1 + rng.random(n_emp) * 24)).astype(np.int64)
    n_agents = max(3, n_emp // 40)
    agent = np.where(rng.random(n_emp) < settings.agent_registered_share, rng.integers(0, n_agents, n_emp), -1)
    employers = Employers(
        name=[company_name(rng, regions, int(c)) for c in county],
        county=[int(c) for c in county], registered=[int(r) for r in registered],
        phone=[mobile(rng) if rng.random() < settings.employer_mobile_phone_share
               else landline(regions, int(c), int(i) * 7_919 + 13) for i, c in enumerate(county)],
        address=[office_address(rng, regions, int(c)) for c in county],
        agent=[int(a) for a in agent], weight=rng.pareto(1.2, n_emp) + 0.2)

    age = pop.age_at(start)
    workers = np.flatnonzero(pop.employee & (age >= 18) & (age < 60) & (pop.death_day > start - 400))
    order = np.argsort(county, kind="stable")
    cum = np.zeros(n_emp)
    by_county_start = np.searchsorted(county[order], np.arange(regions.size))
    by_county_end = np.searchsorted(county[order], np.arange(regions.size), side="right")
    weights = employers.weight[order]
    cum = np.cumsum(weights)
    home = pop.county[workers].astype(np.int64)
    local = (rng.random(len(workers)) < 0.9) & (by_county_end[home] > by_county_start[home])
    lo = np.where(by_county_start[home] > 0, cum[np.maximum(by_county_start[home] - 1, 0)], 0.0)
    hi = cum[np.maximum(by_county_end[home] - 1, 0)]
    u = lo + rng.random(len(workers)) * (hi - lo)
    pick_local = order[np.minimum(np.searchsorted(cum, u), n_emp - 1)]
    pick_any = order[np.minimum(np.searchsorted(cum, rng.random(len(workers)) * cum[-1]), n_emp - 1)]
    employer = np.where(local, pick_local, pick_any)

    earliest = np.maximum(registered[employer] + 30, pop.birth[workers] + int(18 * 365.25))
    job_start = np.maximum(earliest, start - (rng.random(len(workers)) * 12 * 365).astype(np.int64))
    job_start = np.minimum(job_start, start - 31)
    wage = regions.monthly_wage[county[employer]]
    employer_level = np.exp(rng.normal(0, 0.2, n_emp))[employer]
    salary = np.clip(wage * employer_level * np.exp(rng.normal(0, 0.3, len(workers))), 0.6 * wage, 3.0 * wage)
    salary_cents = (np.round(salary) * 100).astype(np.int64)

    jobs = Employments([], [], [], [], [])
    changes = rng.random(len(workers)) < 0.03
    end = np.full(len(workers), NO_DAY, dtype=np.int64)
    end[changes] = start + 7 + (rng.random(changes.sum()) * (days - 30)).astype(np.int64)
    jobs.patient = workers.tolist()
    jobs.employer = employer.tolist()
    jobs.start = job_start.tolist()
    jobs.end = end.tolist()
    jobs.salary = salary_cents.tolist()
    # job changers start elsewhere within three weeks, at a similar salary
    for i in np.flatnonzero(changes):
        new = int(pick_any[(i * 7 + 3) % len(workers)])
        if new == employer[i]:
            new = (new + 1) % n_emp
        jobs.add(int(workers[i]), new, int(end[i]) + 1 + int(rng.integers(0, 20)), NO_DAY,
                 int(salary_cents[i] * rng.uniform(0.9, 1.2)) // 100 * 100)
    # a fifth had an earlier job that ended before the current one
    earlier = np.flatnonzero((rng.random(len(workers)) < 0.2) & (job_start - earliest > 400))
    for i in earlier:
        prev_end = int(job_start[i]) - 1 - int(rng.integers(0, 60))
        prev_start = max(int(earliest[i]) - 30, prev_end - int(rng.integers(200, 2000)))
        prev_emp = int(pick_any[(i * 13 + 5) % len(workers)])
        if prev_emp == employer[i] or registered[prev_emp] + 30 > prev_start:
            continue
        jobs.add(int(workers[i]), prev_emp, prev_start, prev_end, int(salary_cents[i] * 0.85) // 100 * 100)
    return employers, jobs


def employer_average_salary(employers: Employers, jobs: Employments) -> np.ndarray:
    """Average contribution base per employer over its open jobs (cents)."""
    emp = np.array(jobs.employer, dtype=np.int64)
    sal = np.array(jobs.salary, dtype=np.float64)
    open_ = np.array(jobs.end) == NO_DAY
    total = np.bincount(emp[open_], weights=sal[open_], minlength=employers.size)
    count = np.bincount(emp[open_], minlength=employers.size)
    return np.where(count > 0, total / np.maximum(count, 1), 0).round(-2).astype(np.int64)


def draw_deliveries(settings: GeneratorSettings, rng: np.random.Generator, pop: Population,
                    start: int, days: int) -> np.ndarray:
    """Delivery day per person (NO_DAY if none), from 60 days before the
    period (claims lag deliveries) to its end."""
    age = pop.age_at(start)
    can = pop.female & (age >= 21) & (age < 41) & (pop.death_day == NO_DAY)
    gives = can & (rng.random(pop.size) < settings.delivery_rate_women_22_40 * (days + 60) / 182)
    delivery = np.full(pop.size, NO_DAY, dtype=np.int64)
    delivery[gives] = start - 60 + (rng.random(gives.sum()) * (days + 58)).astype(np.int64)
    return delivery


def ordinary_claims(rng: np.random.Generator, regions: RegionTable, employers: Employers,
                    jobs: Employments, delivery: np.ndarray, start: int, days: int,
                    counters: Counters) -> Claims:
    """Maternity allowance claims of employees who delivered, 2-12 weeks later."""
    if not jobs.patient:
        return empty(Claims)
    pat = np.array(jobs.patient, dtype=np.int64)
    js, je = np.array(jobs.start), np.array(jobs.end)
    d = delivery[pat]
    held = (d != NO_DAY) & (js <= d - 300) & (je > d)
    idx = np.flatnonzero(held)
    _, first = np.unique(pat[idx], return_index=True)
    idx = idx[first]
    claimed = d[idx] + rng.integers(14, 90, len(idx))
    keep = (claimed >= start) & (claimed < start + days)
    idx, claimed = idx[keep], claimed[keep]
    emp = np.array(jobs.employer, dtype=np.int64)[idx]
    avg = employer_average_salary(employers, jobs)[emp]
    leave = np.array([LEAVE_DAYS[regions.code[employers.county[e]][:2]] for e in emp], dtype=np.int64)
    amount = avg * leave // 30
    claim = np.arange(counters.claim, counters.claim + len(idx), dtype=np.int64)
    counters.claim += len(idx)
    return Claims(claim=claim, patient=pat[idx], employer=emp, claimed=claimed, amount=amount,
                  delivery=d[idx], salary_base=avg)
