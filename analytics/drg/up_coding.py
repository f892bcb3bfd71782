"""Up-coding (低码高编): a group with complications coded on a record that supports a simpler one.

An episode coded above the simplest group of its ADRG is flagged when all three hold:

- a secondary diagnosis that appears *only at discharge coding*: on no other settlement of
  the patient (a real comorbidity is treated and recorded elsewhere too);
- no *supporting treatment*: none of its procedures is unusual for the simple group (a real
  severe complication brings ventilation, transfusion, dialysis, a central line... that the
  simple group's episodes rarely have); where the data records no procedures for the ADRG at
  all, a bill above nine in ten of the simple group's bills counts as the treatment;
- a stay that sits at the simple group's profile: one longer than the simple group's normal
  stay (its ``max_los``; listed without one, nine in ten of its stays in the data) and costlier
  than nine in ten of its bills has the length and cost of a complicated stay, and counts as
  supported.

The group the record supports: the simplest group of the ADRG, or the next one up when a
secondary diagnosis is corroborated by the patient's other settlements.  Loss: the coded
group's payment minus the supported group's (rate or points, ``DrgSettings``).  Institutions
and prescribers are also compared with their peers (same level, same province, ADRG by ADRG;
``drift``): each case carries its institution's and its prescriber's drift as evidence, and a
drift the records do not support raises its score.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb

from ringscope.analytics.drg.case import DrgCase, LossLine
from ringscope.analytics.drg.drift import coding_drift
from ringscope.analytics.drg.episodes import payment_sql
from ringscope.analytics.settings import DrgSettings


def secondary_support(con: duckdb.DuckDBPyConnection) -> None:
    """``drg_secondary``: each secondary diagnosis of an upper-group episode, and whether another settlement shows it."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_secondary AS
        WITH upper_episodes AS (
            SELECT e.settlement_id, e.patient_key, e.secondary_diagnoses
            FROM drg_episodes e JOIN drg_group_profiles p ON p.drg_code = e.drg_code
            WHERE p.level_rank > 1 AND e.secondary_diagnoses <> '' AND e.patient_key IS NOT NULL),
        coded AS (
            SELECT settlement_id, patient_key, unnest(string_split(secondary_diagnoses, ';')) AS code
            FROM upper_episodes),
        patients AS (SELECT DISTINCT patient_key FROM upper_episodes),
        history AS (  -- their settlements only: semi-joins first, so the cards join stays small
            SELECT coalesce(s.patient_id, c.patient_id) AS patient_key, s.settlement_id,
                   unnest(string_split(coalesce(s.diagnosis_code, '') || ';' || coalesce(s.secondary_diagnoses, ''), ';'))
                   AS code
            FROM settlements s LEFT JOIN cards c ON c.card_id = s.card_id AND s.patient_id IS NULL
            WHERE s.patient_id IN (SELECT patient_key FROM patients)
               OR (s.patient_id IS NULL AND s.card_id IN (SELECT card_id FROM cards
                                                          WHERE patient_id IN (SELECT patient_key FROM patients)))),
        seen AS (
            SELECT DISTINCT k.settlement_id, k.code FROM coded k
            JOIN history h ON h.patient_key = k.patient_key AND h.code = k.code AND h.settlement_id <> k.settlement_id)
        SELECT k.settlement_id, k.code, n.code IS NOT NULL AS seen_elsewhere
        FROM coded k LEFT JOIN seen n ON n.settlement_id = k.settlement_id AND n.code = k.code
    """)


def usual_procedures(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_usual_procedures``: per ADRG, procedures common in its simplest group's episodes."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_usual_procedures AS
        WITH simple AS (
            SELECT e.settlement_id, p.adrg, e.procedure_codes, e.total_amount, e.los, e.max_los
            FROM drg_episodes e JOIN drg_group_profiles p ON p.drg_code = e.drg_code
            WHERE p.level_rank = 1),
        sizes AS (
            SELECT adrg, count(*) FILTER (WHERE procedure_codes <> '') AS with_procedures
            FROM simple GROUP BY adrg HAVING count(*) >= ?),
        items AS (
            SELECT adrg, unnest(string_split(procedure_codes, ';')) AS code, settlement_id
            FROM simple WHERE procedure_codes <> ''),
        bills AS (SELECT adrg, quantile_cont(total_amount, 0.9) AS p90_bill,
                         coalesce(max(max_los), quantile_cont(los, 0.9)) AS long_stay
                  FROM simple GROUP BY adrg),
        usual AS (
            SELECT i.adrg, i.code, count(DISTINCT i.settlement_id) / any_value(z.with_procedures) AS share
            FROM items i JOIN sizes z USING (adrg) GROUP BY i.adrg, i.code HAVING share >= ?)
        SELECT z.adrg, u.code, u.share, z.with_procedures, b.p90_bill, b.long_stay
        FROM sizes z JOIN bills b USING (adrg) LEFT JOIN usual u USING (adrg)
    """, [settings.min_peer_episodes, settings.usual_procedure_share])
    # An ADRG judged with no usual procedure keeps one row with code NULL: every procedure is unusual there.
    # ``with_procedures`` 0 means this data records no procedures for the ADRG: treatment is then read
    # from the bill instead (a treated complication costs more than nine in ten simple stays).


def flag_episodes(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_upcoded``: upper-group episodes with an uncorroborated complication and no supporting procedure."""
    payment, params = payment_sql(settings)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE drg_upcoded AS
        WITH upper_episodes AS (
            SELECT e.*, p.level_rank FROM drg_episodes e JOIN drg_group_profiles p ON p.drg_code = e.drg_code
            WHERE p.level_rank > 1 AND e.adrg IN (SELECT adrg FROM drg_usual_procedures)),
        support AS (  -- joins, not correlated subqueries: Spark cannot plan a correlated unnest (docs/scale.md)
            SELECT settlement_id, count(*) FILTER (WHERE NOT seen_elsewhere) AS uncorroborated,
                   count(*) FILTER (WHERE seen_elsewhere) AS corroborated
            FROM drg_secondary GROUP BY settlement_id),
        procedures AS (
            SELECT settlement_id, adrg, unnest(string_split(procedure_codes, ';')) AS code FROM upper_episodes),
        unusual AS (
            SELECT x.settlement_id, count(*) AS unusual_procedures FROM procedures x
            WHERE x.code <> '' AND NOT EXISTS (SELECT 1 FROM drg_usual_procedures u
                                               WHERE u.adrg = x.adrg AND u.code = x.code)
            GROUP BY x.settlement_id),
        judged AS (
            SELECT e.*, coalesce(s.uncorroborated, 0) AS uncorroborated, coalesce(s.corroborated, 0) AS corroborated,
                   coalesce(x.unusual_procedures, 0) AS unusual_procedures
            FROM upper_episodes e LEFT JOIN support s ON s.settlement_id = e.settlement_id
            LEFT JOIN unusual x ON x.settlement_id = e.settlement_id)
        SELECT j.settlement_id, j.patient_key, j.facility_id, j.prescriber_id, j.drg_code, j.adrg, j.los, j.total_amount,
               j.secondary_diagnoses, j.procedure_codes, j.payment AS paid,
               g.drg_code AS expected_group, CAST({payment} AS DECIMAL(18,2)) AS expected_payment
        FROM judged j
        JOIN drg_group_profiles x ON x.adrg = j.adrg
             AND x.level_rank = least(j.level_rank - 1, CASE WHEN j.corroborated > 0 THEN 2 ELSE 1 END)
        JOIN drg_groups g ON g.drg_code = x.drg_code
        WHERE j.uncorroborated > 0 AND j.unusual_procedures = 0
          AND NOT EXISTS (SELECT 1 FROM drg_usual_procedures b WHERE b.adrg = j.adrg AND b.with_procedures = 0
                          AND j.total_amount > b.p90_bill)
          AND NOT EXISTS (SELECT 1 FROM drg_usual_procedures b WHERE b.adrg = j.adrg  -- the upper group's profile
                          AND j.los > b.long_stay AND j.total_amount > b.p90_bill)
    """, params)


def upcoding_cases(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> list[DrgCase]:
    """One case per flagged episode, scored higher where its institution or prescriber drifts (``drift``)."""
    institutions = coding_drift(con, "institution", settings)
    prescribers = coding_drift(con, "prescriber", settings)
    flagged_at: dict[str, int] = {}
    rows = con.execute("""
        SELECT settlement_id, patient_key, facility_id, prescriber_id, drg_code, expected_group, paid,
               expected_payment, secondary_diagnoses, procedure_codes, los FROM drg_upcoded
        ORDER BY facility_id, settlement_id
    """).fetchall()
    for row in rows:
        flagged_at[row[2]] = flagged_at.get(row[2], 0) + 1
    cases = []
    for sid, patient, facility, prescriber, coded, expected, paid, expected_pay, secondary, procedures, los in rows:
        loss = Decimal(paid) - Decimal(expected_pay)
        if loss <= 0:
            continue
        drifts = [d for d in (institutions.get((facility, "")), prescribers.get((facility, prescriber or "")))
                  if d is not None]
        text = (f"coded {coded}, record supports {expected}: secondary diagnoses {secondary} appear on no other "
                f"settlement of the patient and no procedure treats them ({procedures or 'none'}; {los} d)")
        text_zh = (f"入组 {coded}，病案仅支持 {expected}：次要诊断 {secondary} 未见于该参保人其他结算，"
                   f"且无相应治疗操作（{procedures or '无'}；住院 {los} 天）")
        score = min(1.0, 0.6 + 0.1 * min(flagged_at[facility], 3) + max((d.unexplained for d in drifts), default=0.0))
        cases.append(DrgCase("up_coding", facility, patient,
                             [LossLine(sid, loss, coded, expected, "paid group minus supported group")], score,
                             [{"kind": "up_coding", "text": text, "text_zh": text_zh},
                              *(d.evidence() for d in drifts)]))
    return cases


def detect_up_coding(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> list[DrgCase]:
    """Steps: corroborate secondaries, learn usual procedures, flag episodes, price and score them."""
    secondary_support(con)
    usual_procedures(con, settings)
    flag_episodes(con, settings)
    return upcoding_cases(con, settings)
