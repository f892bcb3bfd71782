"""Fake maternity claims through shell employers.

Agencies register shell companies, "employ" pregnant women shortly before
delivery at an inflated salary base (the maternity allowance follows the
salary) and claim the allowance; several shells share a phone, an address
or the registering agent (NHSA notices on "虚假参保骗取生育津贴").  Steps:

1. SQL: each claim against its own context: months of employment with
   the claiming employer before the delivery (shorter than a pregnancy
   means insured after conception), salary base against the median of the
   employer's region, employer age at the delivery.  A claim with
   ``min_signals`` of the three is suspicious; an employer whose claims are
   mostly suspicious is a shell.
2. Graph: shells linked by a shared phone, address or agent; components
   are rings (a lone shell with enough claims is a ring on its own).

A legitimate employer with several maternity claims has long tenures and
ordinary salaries; a small new firm with one well-paid employee fails the
tenure test.  Both stay below ``min_signals``.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import drop, fmt_money, rows
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings

SCHEME = "maternity"

_CLAIMS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_mt_claims AS
WITH region_norm AS (
    SELECT e.region_code, median(CAST(em.salary_base AS DOUBLE)) AS norm
    FROM employments em JOIN employers e USING (employer_id)
    WHERE em.salary_base IS NOT NULL GROUP BY e.region_code
), global_norm AS (
    SELECT median(CAST(salary_base AS DOUBLE)) AS norm FROM employments WHERE salary_base IS NOT NULL
), tenure AS (
    SELECT m.claim_id, max(em.start_on) AS start_on, any_value(em.salary_base) AS emp_salary
    FROM maternity_claims m JOIN employments em
      ON em.patient_id = m.patient_id AND em.employer_id = m.employer_id
     AND em.start_on <= coalesce(m.delivery_on, m.claimed_on)
    GROUP BY m.claim_id
)
SELECT m.claim_id, m.patient_id, m.employer_id, m.amount, m.claimed_on,
       coalesce(m.delivery_on, m.claimed_on) AS delivery_on,
       date_diff('day', t.start_on, coalesce(m.delivery_on, m.claimed_on)) AS tenure_days,
       CAST(coalesce(m.salary_base, t.emp_salary) AS DOUBLE) AS salary,
       coalesce(rn.norm, gn.norm) AS region_norm,
       date_diff('day', e.registered_on, coalesce(m.delivery_on, m.claimed_on)) AS employer_age_days,
       e.phone, e.address, e.agent_id
FROM maternity_claims m
LEFT JOIN tenure t USING (claim_id)
LEFT JOIN employers e ON e.employer_id = m.employer_id
LEFT JOIN region_norm rn ON rn.region_code = e.region_code
CROSS JOIN global_norm gn
"""

_SIGNALS_SQL = """
SELECT claim_id, patient_id, employer_id, amount, tenure_days, salary, region_norm, employer_age_days,
       phone, address, agent_id,
       coalesce(tenure_days < $pregnancy, false) AS short_tenure,
       coalesce(salary >= $salary_x * region_norm, false) AS inflated_salary,
       coalesce(employer_age_days < $recent, false) AS recent_employer,
       claimed_on
FROM _rs_mt_claims ORDER BY employer_id, claim_id
"""


def detect_maternity(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Shell employers (linked by phone/address/agent) and the women who claimed through them.

    Members: employers (``shell_employer``) and claimants (``claimant``); the
    ring's ``claim_ids`` are every claim through its shells.
    """
    cfg = settings.maternity
    con.execute(_CLAIMS_SQL)
    claims = rows(con, _SIGNALS_SQL, {
        "pregnancy": cfg.pregnancy_days, "salary_x": cfg.salary_over_region, "recent": cfg.recent_registration_days,
    })
    drop(con, "_rs_mt_claims")
    by_employer: dict[str, list[tuple]] = defaultdict(list)
    for c in claims:
        by_employer[c[2]].append(c)
    shells: dict[str, list[tuple]] = {}
    for employer, items in sorted(by_employer.items()):
        suspicious = [c for c in items if (c[11] + c[12] + c[13]) >= cfg.min_signals]
        if items and len(suspicious) / len(items) >= cfg.min_suspicious_share:
            shells[employer] = items
    if not shells:
        return []
    # Link shells that share a phone, an address or (optionally) an agent.
    attr_nodes: list[tuple[str, str, float]] = []
    for employer, items in shells.items():
        phone, address, agent = items[0][8], items[0][9], items[0][10]
        attr_nodes.append((f"employer:{employer}", f"employer:{employer}", 1.0))
        if phone:
            attr_nodes.append((f"employer:{employer}", f"phone:{phone}", 1.0))
        if address:
            attr_nodes.append((f"employer:{employer}", f"address:{address}", 1.0))
        if agent and cfg.link_by_agent:
            attr_nodes.append((f"employer:{employer}", f"agent:{agent}", 1.0))
    edges = WeightedEdges.from_rows(attr_nodes)
    groups = find_groups(edges, engine, split_above=10_000, seed=settings.seed)
    # isolated shells (self loops only) are dropped by simplify: add them back as singletons
    grouped = {k for g in groups for k in g}
    groups += [[f"employer:{e}"] for e in shells if f"employer:{e}" not in grouped]

    rings: list[Ring] = []
    for group in groups:
        employers = sorted(k.split(":", 1)[1] for k in group if k.startswith("employer:"))
        links = sorted(k for k in group if not k.startswith("employer:"))
        items = [c for e in employers for c in shells[e]]
        if not employers or len(items) < cfg.min_claims:
            continue
        n = len(items)
        short = sum(1 for c in items if c[11])
        inflated = sum(1 for c in items if c[12])
        recent = sum(1 for c in items if c[13])
        tenures = sorted(c[4] for c in items if c[4] is not None)
        ratios = sorted(c[5] / c[6] for c in items if c[5] and c[6])
        total = sum(c[3] for c in items)
        members = [Member("employer", e, "shell_employer") for e in employers]
        members += [Member("patient", p, "claimant") for p in sorted({c[1] for c in items})]
        evidence = [
            Evidence(
                "shell_employer_claims",
                f"{n} maternity claims (CNY {fmt_money(total)}) were made through {len(employers)} employer(s) "
                f"whose claims are mostly suspicious.",
                f"{len(employers)}家疑似空壳单位共申领生育待遇{n}笔，合计{fmt_money(total)}元。",
                float(n),
            ),
        ]
        if short:
            med = tenures[len(tenures) // 2] if tenures else 0
            evidence.append(Evidence(
                "short_tenure",
                f"{short} of {n} claimants joined the employer fewer than {cfg.pregnancy_days} days before delivery "
                f"(median {med} days), i.e. after conception.",
                f"{n}名申领人中有{short}名在分娩前不足{cfg.pregnancy_days}天才入职（中位数{med}天），即怀孕后才参保。",
                float(med),
            ))
        if inflated:
            med_ratio = ratios[len(ratios) // 2] if ratios else 0.0
            evidence.append(Evidence(
                "inflated_salary",
                f"{inflated} claim(s) declare a salary base at least {cfg.salary_over_region:g} times the regional median "
                f"(median {med_ratio:.1f} times).",
                f"{inflated}笔申领的缴费基数达到当地中位数的{cfg.salary_over_region:g}倍以上（中位数为{med_ratio:.1f}倍）。",
                round(med_ratio, 2),
            ))
        if recent:
            evidence.append(Evidence(
                "recent_employer",
                f"{recent} claim(s) came from an employer registered less than {cfg.recent_registration_days} days before the delivery.",
                f"{recent}笔申领来自分娩前不足{cfg.recent_registration_days}天注册的单位。",
                float(recent),
            ))
        if links:
            kinds = sorted({k.split(':', 1)[0] for k in links})
            evidence.append(Evidence(
                "shared_registration",
                f"The employers share {', '.join(kinds)} ({len(links)} shared identifier(s)).",
                f"这些单位共用{'、'.join({'phone': '电话', 'address': '地址', 'agent': '代理机构'}[k] for k in kinds)}。",
                float(len(links)),
            ))
        claimed = sorted(c[14] for c in items)
        rings.append(Ring(
            scheme=SCHEME,
            members=members,
            claim_ids=[c[0] for c in items],
            evidence=evidence,
            features={
                "size": float(len(members)),
                "evidence_count": float(n),
                "per_member": n / len(employers),
                "baseline_ratio": ratios[len(ratios) // 2] if ratios else 0.0,
                "active_days": float((claimed[-1] - claimed[0]).days),
                "signal_strength": min(1.0, 0.4 + 0.2 * (short + inflated + recent) / n + 0.1 * min(len(links), 2)),
            },
        ))
    return rings
