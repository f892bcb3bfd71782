"""Split admissions (分解住院): one stay cut into several admissions, each paid as a group.

Read from behaviour, not from a list of codes: a readmission of the same patient to the same
institution (or a sister of its chain) within the window after discharge, for the same
condition (same ADRG, or same ICD-10 category), after a stay that was *cut short* (below the
group's normal minimum stay) and a break out of hospital shorter than that stay (or than a
few days): the treatment went on, it did not end and start again; where the admissions together still fit one stay of the group
(no longer than its ``max_los``).  The look-alikes fail one of these by their nature:

- planned chemotherapy or dialysis cycles: every stay is complete for its group (a day-case
  dialysis group has a minimum of 0 days, a chemotherapy course its own short norm);
- staged surgery: each stage is a full operative stay, not cut short;
- a transfer for another condition: the readmission is a different ADRG and category;
- a readmission after a complication: a different condition, after a complete stay;
- repeated short admissions weeks apart (a bussed cohort, a scheduled course): each break is
  longer than the stay before it, so the care stopped in between;
- a cohort moving in lockstep (several patients admitted together and readmitted together at
  the same place): that is a bus, judged by the car-shuttle detector, not one
  patient's stay cut in pieces.

Loss (Detailed Rules, transaction by transaction): what the fund paid for the admissions
beyond the one kept (the best-paid of the chain stands for the combined stay, which would
have been paid as one group); that admission's line is 0.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb

from ringscope.analytics.drg.case import DrgCase, LossLine
from ringscope.analytics.settings import DrgSettings


def link_readmissions(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_split_links``: each episode with its previous one at the institution (or chain) and whether it is a split."""
    place = "chain_key" if settings.same_chain else "facility_id"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE drg_split_links AS
        WITH ordered AS (
            SELECT e.*, p.median_los AS group_median_los,
                   lag(e.settlement_id) OVER w AS prev_id, lag(e.discharged_on) OVER w AS prev_discharged,
                   lag(e.admitted_on) OVER w AS prev_admitted, lag(e.los) OVER w AS prev_los,
                   lag(e.adrg) OVER w AS prev_adrg, lag(e.diagnosis_category) OVER w AS prev_category,
                   lag(coalesce(e.min_los, p.median_los * ?)) OVER w AS prev_min_los
            FROM drg_episodes e LEFT JOIN drg_group_profiles p ON p.drg_code = e.drg_code
            WHERE e.patient_key IS NOT NULL
            WINDOW w AS (PARTITION BY e.patient_key, e.{place} ORDER BY e.admitted_on, e.discharged_on, e.settlement_id))
        , cohorts AS (
            SELECT {place}, prev_admitted, admitted_on, count(DISTINCT patient_key) AS moving_together
            FROM ordered WHERE prev_id IS NOT NULL GROUP BY ALL)
        SELECT ordered.*, prev_id IS NOT NULL
               AND coalesce(moving_together, 1) < ?
               AND date_diff('day', prev_discharged, admitted_on) BETWEEN 0 AND ?
               AND date_diff('day', prev_discharged, admitted_on) <= greatest(?, prev_los)
               AND (adrg = prev_adrg OR diagnosis_category = prev_category)
               AND prev_los < prev_min_los
               AND date_diff('day', prev_admitted, discharged_on) <= coalesce(max_los, 2.5 * group_median_los)
               AS is_split
        FROM ordered LEFT JOIN cohorts USING ({place}, prev_admitted, admitted_on)
    """, [settings.truncated_share, settings.cohort_min_patients, settings.readmission_window_days,
          settings.short_break_days])


def chain_splits(con: duckdb.DuckDBPyConnection) -> None:
    """``drg_split_chains``: consecutive split links grouped into one chain per original stay."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_split_chains AS
        WITH numbered AS (
            SELECT *, sum(CASE WHEN is_split THEN 0 ELSE 1 END) OVER (
                       PARTITION BY patient_key, chain_key ORDER BY admitted_on, discharged_on, settlement_id
                       ROWS UNBOUNDED PRECEDING) AS chain_no
            FROM drg_split_links),
        chains AS (
            SELECT patient_key, chain_key, chain_no FROM numbered GROUP BY ALL HAVING bool_or(is_split))
        SELECT n.settlement_id, n.patient_key, n.facility_id, n.chain_key, n.chain_no, n.admitted_on,
               n.discharged_on, n.los, n.drg_code, n.diagnosis_code, coalesce(n.payment, n.fund_paid) AS payment,
               row_number() OVER (PARTITION BY n.patient_key, n.chain_key, n.chain_no
                                  ORDER BY coalesce(n.payment, n.fund_paid) DESC, n.admitted_on, n.settlement_id) AS pay_rank
        FROM numbered n JOIN chains c USING (patient_key, chain_key, chain_no)
    """)


def split_cases(con: duckdb.DuckDBPyConnection) -> list[DrgCase]:
    """One case per chain: the kept admission at 0, every other at what the fund paid for it."""
    rows = con.execute("""
        SELECT patient_key, chain_key, chain_no, settlement_id, facility_id, admitted_on, discharged_on, los,
               drg_code, payment, pay_rank
        FROM drg_split_chains ORDER BY patient_key, chain_key, chain_no, admitted_on, settlement_id
    """).fetchall()
    chains: dict[tuple, list[tuple]] = {}
    for row in rows:
        chains.setdefault(row[:3], []).append(row)
    return [_case(members) for members in chains.values()]


def _case(members: list[tuple]) -> DrgCase:
    lines, stays = [], []
    for _p, _c, _n, sid, _f, admitted, discharged, los, drg, payment, rank in members:
        loss = Decimal("0.00") if rank == 1 else Decimal(payment)
        lines.append(LossLine(sid, loss, drg, drg, "kept as the combined stay" if rank == 1 else "extra admission"))
        stays.append(f"{admitted}–{discharged} ({los} d, {drg})")
    first = members[0]
    span = (members[-1][6] - first[5]).days
    text = (f"{len(members)} admissions for one condition within {span} days, each after a stay cut short: "
            + "; ".join(stays))
    text_zh = (f"同一病情 {span} 天内住院 {len(members)} 次，前次住院天数低于该组正常最短住院日即出院再入院："
               + "；".join(stays))
    strength = min(1.0, 0.7 + 0.1 * len(members))
    return DrgCase("split_admission", first[4], first[0], lines, strength,
                   [{"kind": "split_admission", "text": text, "text_zh": text_zh}])


def detect_split_admissions(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> list[DrgCase]:
    """Steps: link readmissions, group chains, price each chain (needs ``drg_episodes`` and profiles)."""
    link_readmissions(con, settings)
    chain_splits(con)
    return split_cases(con)
