"""Fake maternity claims through shell employers.

Agencies register (or buy up) companies, "employ" pregnant women shortly
before delivery at an inflated salary base (the maternity allowance follows
the salary) and claim the allowance; several shells share a phone, an
address or the registering agent (NHSA notices on "虚假参保骗取生育津贴").
An investigator's reasoning:

1. INDICATIONS per claim, each against its own baseline, combined into one
   score (none a gate): months of employment before the delivery against a
   pregnancy (hired after conception); the salary base against the region's
   median and against the employer's other staff; the employer's age at the
   delivery (young firms; an old company bought up simply scores 0 here);
   how much of the employer is its claimants (a shell exists to file
   claims); the employer's claims against the region's rate per employee.
2. COORDINATION: an employer sharing a phone, address or agent with other
   claim-filing employers, weighed by how many of that identifier's
   employers file claims (an accounting agent registers dozens of honest
   firms of which a few have births; an incubator address houses many
   firms).  It is one more indication, and it groups the employers.
3. An employer's score is the mean over its claims (an employer with two
   claims, one unusual, is half unusual); employers at ``min_score`` link
   through shared identifiers into rings; a ring needs ``min_claims``.

Explanations are the same numbers seen from the other side: a long-established
employer with ordinary tenure and salaries scores low on every count; a
large employer with many births has ordinary claims per employee and few
claimants among its staff; a woman who changed job before delivery at an
ordinary employer has short tenure and nothing else.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import NamedTuple

import duckdb
from scipy.stats import binom

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import fmt_money, rows, temp_tables
from ringscope.analytics.detectors.maternity.settings import MaternitySettings
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings

NAME = "maternity"

_TEMP = ("_rs_mt_claims", "_rs_mt_employers")



# Per employer: staff, claimants, the median salary of staff who never claimed through it,
# the region's claims per employee, and how many employers share each of its identifiers
# (and how many of those filed claims).
_EMPLOYERS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_mt_employers AS
WITH staff AS (
    SELECT employer_id, count(DISTINCT patient_id) AS staff FROM employments GROUP BY 1
), claimants AS (
    SELECT employer_id, count(DISTINCT patient_id) AS claimants, count(*) AS claims FROM maternity_claims GROUP BY 1
), others AS (
    SELECT em.employer_id, median(CAST(em.salary_base AS DOUBLE)) AS others_salary FROM employments em
    WHERE em.salary_base IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM maternity_claims m WHERE m.patient_id = em.patient_id AND m.employer_id = em.employer_id)
    GROUP BY 1
), region_rate AS (
    SELECT e.region_code, sum(coalesce(c.claims, 0)) / greatest(sum(coalesce(s.staff, 0)), 1) AS rate
    FROM employers e LEFT JOIN staff s USING (employer_id) LEFT JOIN claimants c USING (employer_id)
    GROUP BY e.region_code
), ids AS (
    SELECT employer_id, 'phone' AS kind, phone AS val FROM employers WHERE phone IS NOT NULL
    UNION ALL SELECT employer_id, 'address', address FROM employers WHERE address IS NOT NULL
    UNION ALL SELECT employer_id, 'agent', agent_id FROM employers WHERE agent_id IS NOT NULL AND $use_agent
), per_id AS (
    SELECT kind, val, count(*) AS n, count(c.employer_id) AS k FROM ids LEFT JOIN claimants c USING (employer_id)
    GROUP BY kind, val
), shared AS (
    SELECT i.employer_id, max((p.k - 1) / (p.n - 1)) AS coordination
    FROM ids i JOIN per_id p USING (kind, val) WHERE p.n >= 2 GROUP BY 1
)
SELECT c.employer_id, greatest(coalesce(s.staff, 0), c.claimants) AS staff, c.claimants, c.claims,
       o.others_salary, coalesce(r.rate, 0.0) AS region_rate, coalesce(sh.coordination, 0.0) AS coordination
FROM claimants c LEFT JOIN staff s USING (employer_id) LEFT JOIN others o USING (employer_id)
LEFT JOIN employers e USING (employer_id) LEFT JOIN region_rate r USING (region_code)
LEFT JOIN shared sh USING (employer_id)
"""

# Per claim: tenure with the claiming employer at delivery, salary against the region's
# median, employer age at the delivery, and the employer's facts.
_CLAIMS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_mt_claims AS
WITH region_norm AS (
    SELECT e.region_code, median(CAST(em.salary_base AS DOUBLE)) AS norm
    FROM employments em JOIN employers e USING (employer_id)
    WHERE em.salary_base IS NOT NULL GROUP BY e.region_code
), global_norm AS (
    SELECT median(CAST(salary_base AS DOUBLE)) AS norm FROM employments WHERE salary_base IS NOT NULL
), tenure AS (
    SELECT m.claim_id, max(em.start_on) AS start_on, arg_max(em.salary_base, (em.start_on, em.salary_base)) AS emp_salary
    FROM maternity_claims m JOIN employments em
      ON em.patient_id = m.patient_id AND em.employer_id = m.employer_id
     AND em.start_on <= coalesce(m.delivery_on, m.claimed_on)
    GROUP BY m.claim_id
)
SELECT m.claim_id, m.patient_id, m.employer_id, m.amount, m.claimed_on,
       date_diff('day', t.start_on, coalesce(m.delivery_on, m.claimed_on)) AS tenure_days,
       CAST(coalesce(m.salary_base, t.emp_salary) AS DOUBLE) AS salary,
       coalesce(rn.norm, gn.norm) AS region_norm,
       date_diff('day', e.registered_on, coalesce(m.delivery_on, m.claimed_on)) AS employer_age_days,
       x.staff, x.claimants, x.claims AS employer_claims, x.others_salary, x.region_rate, x.coordination,
       e.phone, e.address, e.agent_id
FROM maternity_claims m
LEFT JOIN tenure t USING (claim_id)
LEFT JOIN employers e ON e.employer_id = m.employer_id
LEFT JOIN _rs_mt_employers x ON x.employer_id = m.employer_id
LEFT JOIN region_norm rn ON rn.region_code = e.region_code
CROSS JOIN global_norm gn
"""


class Claim(NamedTuple):
    claim_id: str
    patient_id: str
    employer_id: str
    amount: float
    claimed_on: date
    tenure_days: int | None
    salary: float | None
    region_norm: float | None
    employer_age_days: int | None
    staff: int
    claimants: int
    employer_claims: int
    others_salary: float | None
    region_rate: float
    coordination: float
    phone: str | None
    address: str | None
    agent_id: str | None


class ClaimScore(NamedTuple):
    """One claim's indications (0-1 each; 0.5 where the data is missing) and their weighted mean."""

    tenure: float
    salary_region: float
    salary_staff: float
    young: float
    claimant_share: float
    claims_rate: float
    coordination: float
    score: float


_UNKNOWN = 0.5  # missing data lowers confidence both ways: neither clear nor explained


def _ratio_strength(value: float | None, norm: float | None, clear_at: float) -> float:
    """0 at the norm, 1 at ``clear_at`` times it (log scale), 0.5 when either is unknown."""
    if not value or not norm or norm <= 0:
        return _UNKNOWN
    return _clip(math.log(max(value / norm, 1.0)) / math.log(clear_at))


def score_claim(c: Claim, cfg: MaternitySettings) -> ClaimScore:
    """The claim's indications against their baselines, combined with their weights.

    Tenure is judged against a pregnancy (hired after conception is 1 at half a
    pregnancy); salary against the region's median and the employer's other staff
    (1 at ``salary_over_region`` times); the employer's youth at the delivery (1 when
    registered that day, 0 after twice ``recent_registration_days``: an old company
    bought up simply gets no help from it); the share of the employer's staff who are
    its claimants; the employer's claims against the region's rate per employee
    (binomial chance, 1 at 1 in 10,000); the identifiers it shares with other
    claim-filing employers.
    """
    tenure = (_UNKNOWN if c.tenure_days is None
              else _clip((cfg.pregnancy_days - c.tenure_days) / (cfg.pregnancy_days / 2)))
    salary_region = _ratio_strength(c.salary, c.region_norm, cfg.salary_over_region)
    salary_staff = _ratio_strength(c.salary, c.others_salary, cfg.salary_over_region)
    young = (_UNKNOWN if c.employer_age_days is None
             else _clip(1 - c.employer_age_days / (2 * cfg.recent_registration_days)))
    share = _clip(c.claimants / max(c.staff, 1))
    chance = float(binom.sf(c.employer_claims - 1, max(c.staff, c.employer_claims), min(max(c.region_rate, 1e-6), 1.0)))
    rate = _clip(-math.log10(max(chance, 1e-300)) / 4)
    values = (tenure, salary_region, salary_staff, young, share, rate, c.coordination)
    weights = cfg.indication_weights
    score = sum(w * v for w, v in zip(weights, values)) / sum(weights)
    return ClaimScore(tenure, salary_region, salary_staff, young, share, rate, c.coordination, score)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _suspicious_employers(claims: list[Claim], cfg: MaternitySettings) -> dict[str, list[tuple[Claim, ClaimScore]]]:
    """Employers whose claims score ``min_score`` on average: one unusual claim among ordinary
    ones is the employer's ordinary life, not a shell."""
    by_employer: dict[str, list[tuple[Claim, ClaimScore]]] = defaultdict(list)
    for c in claims:
        by_employer[c.employer_id].append((c, score_claim(c, cfg)))
    return {e: items for e, items in sorted(by_employer.items())
            if sum(s.score for _c, s in items) / len(items) >= cfg.min_score}


def _link_groups(shells: dict[str, list[tuple[Claim, ClaimScore]]], cfg: MaternitySettings,
                 engine: CommunityEngine | None, seed: int) -> list[list[str]]:
    """Suspicious employers linked by a shared phone, address or agent; lone ones stand alone."""
    edges: list[tuple[str, str, float]] = []
    for employer, items in shells.items():
        c = items[0][0]
        for kind, value in (("phone", c.phone), ("address", c.address), ("agent", c.agent_id if cfg.link_by_agent else None)):
            if value:
                edges.append((f"employer:{employer}", f"{kind}:{value}", 1.0))
    groups = find_groups(WeightedEdges.from_rows(edges), engine, split_above=cfg.leiden_above, seed=seed)
    linked = {k for g in groups for k in g}
    groups += [[f"employer:{e}"] for e in shells if f"employer:{e}" not in linked]
    out = []
    for g in groups:
        employers = [k.split(":", 1)[1] for k in g if k.startswith("employer:")]
        shared = [k for k in g if not k.startswith("employer:")
                  and sum(1 for e in employers if _has(shells[e][0][0], k)) >= 2]
        out.append(sorted(f"employer:{e}" for e in employers) + sorted(shared))
    return out


def _has(c: Claim, key: str) -> bool:
    kind, value = key.split(":", 1)
    return {"phone": c.phone, "address": c.address, "agent": c.agent_id}[kind] == value


def detect_maternity(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Shell employers (alone or linked by phone/address/agent) and the women who claimed through them.

    Members: employers (``shell_employer``) and claimants (``claimant``); the
    ring's ``claim_ids`` are every claim through its shells.
    """
    cfg = settings.maternity
    with temp_tables(con, *_TEMP):
        con.execute(_EMPLOYERS_SQL, {"use_agent": cfg.link_by_agent})
        con.execute(_CLAIMS_SQL)
        claims = [Claim(*r) for r in rows(con, "SELECT * FROM _rs_mt_claims ORDER BY employer_id, claim_id")]
    shells = _suspicious_employers(claims, cfg)
    if not shells:
        return []
    rings = []
    for group in _link_groups(shells, cfg, engine, settings.seed):
        employers = [k.split(":", 1)[1] for k in group if k.startswith("employer:")]
        items = [cs for e in employers for cs in shells[e]]
        if len(items) >= cfg.min_claims:
            rings.append(_ring(employers, [k for k in group if not k.startswith("employer:")], items, cfg))
    return rings


def _ring(employers: list[str], shared: list[str], items: list[tuple[Claim, ClaimScore]], cfg: MaternitySettings) -> Ring:
    """The reported ring: employers and claimants, every claim through the shells, evidence, features."""
    claims = [c for c, _s in items]
    mean_score = sum(s.score for _c, s in items) / len(items)
    ratios = sorted(c.salary / c.region_norm for c in claims if c.salary and c.region_norm)
    members = [Member("employer", e, "shell_employer") for e in employers]
    members += [Member("patient", p, "claimant") for p in sorted({c.patient_id for c in claims})]
    claimed = sorted(c.claimed_on for c in claims)
    return Ring(
        scheme=NAME, members=members, claim_ids=[c.claim_id for c in claims],
        evidence=_evidence(employers, shared, claims, ratios, mean_score, cfg),
        features={
            "size": float(len(members)),
            "evidence_count": float(len(claims)),
            "per_member": len(claims) / len(employers),
            "baseline_ratio": ratios[len(ratios) // 2] if ratios else 0.0,
            "active_days": float((claimed[-1] - claimed[0]).days),
            "signal_strength": _clip(mean_score),
        },
    )


def _evidence(employers: list[str], shared: list[str], claims: list[Claim], ratios: list[float],
              mean_score: float, cfg: MaternitySettings) -> list[Evidence]:
    """The indications in an investigator's words; shared identifiers only when two or more
    employers share them (one employer "sharing" its own address says nothing)."""
    n = len(claims)
    total = sum(float(c.amount) for c in claims)
    label = "employer" if len(employers) == 1 else "employers"
    evidence = [Evidence(
        "shell_employer_claims",
        f"{n} maternity claims (CNY {fmt_money(total)}) were made through {len(employers)} {label} whose claims "
        f"score {mean_score:.2f} on the combined indications (tenure, salary, employer age, claimants among the "
        f"staff, claims per employee, shared registration).",
        f"{len(employers)}家疑似空壳单位共申领生育待遇{n}笔，合计{fmt_money(total)}元，综合可疑度{mean_score:.2f}。",
        float(n))]
    tenures = sorted(c.tenure_days for c in claims if c.tenure_days is not None)
    short = sum(1 for t in tenures if t < cfg.pregnancy_days)
    if short:
        med = tenures[len(tenures) // 2]
        evidence.append(Evidence(
            "short_tenure",
            f"{short} of {n} claimants joined the employer fewer than {cfg.pregnancy_days} days before delivery "
            f"(median {med} days), i.e. after conception.",
            f"{n}名申领人中有{short}名在分娩前不足{cfg.pregnancy_days}天才入职（中位数{med}天），即怀孕后才参保。",
            float(med)))
    if ratios:
        med_ratio = ratios[len(ratios) // 2]
        inflated = sum(1 for r in ratios if r >= cfg.salary_over_region)
        evidence.append(Evidence(
            "inflated_salary",
            f"The claims declare a median salary base {med_ratio:.1f} times the regional median "
            f"({inflated} at least {cfg.salary_over_region:g} times).",
            f"申领缴费基数中位数为当地中位数的{med_ratio:.1f}倍（{inflated}笔达到{cfg.salary_over_region:g}倍以上）。",
            round(med_ratio, 2)))
    recent = sum(1 for c in claims if c.employer_age_days is not None and c.employer_age_days < cfg.recent_registration_days)
    if recent:
        evidence.append(Evidence(
            "recent_employer",
            f"{recent} claim(s) came from an employer registered less than {cfg.recent_registration_days} days before the delivery.",
            f"{recent}笔申领来自分娩前不足{cfg.recent_registration_days}天注册的单位。",
            float(recent)))
    firms = {c.employer_id: c for c in claims}.values()
    staff, claimants = sum(c.staff for c in firms), sum(c.claimants for c in firms)
    evidence.append(Evidence(
        "claimants_among_staff",
        f"{claimants} of the {staff} people ever employed by the {label} claimed maternity benefits through it.",
        f"该单位历年参保{staff}人中有{claimants}人申领生育待遇。",
        round(claimants / max(staff, 1), 3)))
    if shared:
        kinds = sorted({k.split(":", 1)[0] for k in shared})
        evidence.append(Evidence(
            "shared_registration",
            f"The employers share {', '.join(kinds)} ({len(shared)} shared identifier(s)).",
            f"这些单位共用{'、'.join({'phone': '电话', 'address': '地址', 'agent': '代理机构'}[k] for k in kinds)}。",
            float(len(shared))))
    return evidence
