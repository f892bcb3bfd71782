"""Cost shifting (转嫁费用): a stay's own treatment billed outside it, before admission or after discharge.

An outpatient or pharmacy settlement is shifted when it is the same patient at the same
institution, in the days before admission or after discharge (settings), for the same
condition (ICD-10 category of the stay's principal diagnosis), dispensing drugs the stay
itself dispensed, and carrying a real share of the stay's bill.  The look-alikes fail one of
these: a follow-up visit or the work-up that decided the admission costs little and (for the
work-up) dispenses nothing; a chronic refill is for another condition.

Loss (Detailed Rules): each shifted settlement's fund share (``fund_paid``); the stay itself
is listed at 0 as the case's anchor.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb

from ringscope.analytics.drg.case import DrgCase, LossLine
from ringscope.analytics.settings import DrgSettings


def candidate_visits(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_shift_candidates``: outpatient/pharmacy settlements near a stay of the same patient and institution."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_shift_candidates AS
        WITH inpatients AS (SELECT DISTINCT patient_key FROM drg_episodes),
        visits AS (  -- only at institutions with stays, only of patients with stays (semi-joins first)
            SELECT s.settlement_id, coalesce(s.patient_id, c.patient_id) AS patient_key, s.facility_id,
                   CAST(s.settled_at AS DATE) AS day, s.total_amount, s.fund_paid,
                   substr(s.diagnosis_code, 1, 3) AS diagnosis_category
            FROM settlements s LEFT JOIN cards c ON c.card_id = s.card_id AND s.patient_id IS NULL
            WHERE s.kind IN ('outpatient', 'pharmacy') AND s.admitted_on IS NULL
              AND s.facility_id IN (SELECT facility_id FROM drg_episodes)
              AND (s.patient_id IN (SELECT patient_key FROM inpatients)
                   OR (s.patient_id IS NULL AND s.card_id IN (
                       SELECT card_id FROM cards WHERE patient_id IN (SELECT patient_key FROM inpatients)))))
        SELECT v.*, e.settlement_id AS stay_id, e.total_amount AS stay_amount, e.admitted_on, e.discharged_on,
               CASE WHEN v.day < e.admitted_on THEN date_diff('day', v.day, e.admitted_on)
                    ELSE date_diff('day', e.discharged_on, v.day) END AS distance
        FROM visits v JOIN drg_episodes e ON e.patient_key = v.patient_key AND e.facility_id = v.facility_id
        WHERE (v.day < e.admitted_on AND v.day >= e.admitted_on - CAST(? AS INTEGER))
           OR (v.day > e.discharged_on AND v.day <= e.discharged_on + CAST(? AS INTEGER))
    """, [settings.shift_days_before, settings.shift_days_after])


def shifted_visits(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_shifted``: candidates for the stay's condition, with its drugs and a real share of its bill."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_shifted AS
        WITH nearest AS (
            SELECT * FROM drg_shift_candidates
            QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY distance, stay_id) = 1),
        same_condition AS (  -- cheap tests first: the stay's condition, a real share of its bill
            SELECT n.* FROM nearest n JOIN drg_episodes e ON e.settlement_id = n.stay_id
            WHERE n.diagnosis_category = e.diagnosis_category
              AND n.total_amount >= CAST(? AS DOUBLE) * n.stay_amount),
        lines AS (  -- one scan of the dispensing lines, for these settlements and their stays only
            SELECT settlement_id, drug_code FROM dispensings
            WHERE settlement_id IN (SELECT settlement_id FROM same_condition UNION SELECT stay_id FROM same_condition)),
        shared_drugs AS (
            SELECT n.settlement_id, count(DISTINCT d.drug_code) AS shared
            FROM same_condition n JOIN lines d ON d.settlement_id = n.settlement_id
            JOIN lines sd ON sd.settlement_id = n.stay_id AND sd.drug_code = d.drug_code
            GROUP BY n.settlement_id)
        SELECT n.*, k.shared FROM same_condition n JOIN shared_drugs k USING (settlement_id)
    """, [settings.shift_min_share])


def shifting_cases(con: duckdb.DuckDBPyConnection) -> list[DrgCase]:
    """One case per stay: the stay at 0, each shifted settlement at its fund share."""
    rows = con.execute("""
        SELECT stay_id, patient_key, facility_id, admitted_on, discharged_on, settlement_id, day, total_amount,
               fund_paid, shared FROM drg_shifted ORDER BY stay_id, day, settlement_id
    """).fetchall()
    by_stay: dict[str, list[tuple]] = {}
    for row in rows:
        by_stay.setdefault(row[0], []).append(row)
    cases = []
    for stay_id, members in by_stay.items():
        _s, patient, facility, admitted, discharged = members[0][:5]
        lines = [LossLine(stay_id, Decimal("0.00"), note="the stay whose treatment was shifted")]
        parts, parts_zh = [], []
        for *_x, sid, day, amount, fund, shared in members:
            lines.append(LossLine(sid, Decimal(fund), note="shifted settlement: fund share"))
            when = "before admission" if day < admitted else "after discharge"
            parts.append(f"{sid} on {day} ({when}, {amount} yuan, {shared} of the stay's drugs)")
            parts_zh.append(f"{sid}（{day}，{'入院前' if day < admitted else '出院后'}，{amount} 元，含住院同种药品 {shared} 种）")
        text = f"stay {admitted}–{discharged}: its own treatment billed outside it on " + "; ".join(parts)
        text_zh = f"住院 {admitted}–{discharged}：住院期间的治疗费用被转移至门诊/药店结算 " + "；".join(parts_zh)
        cases.append(DrgCase("cost_shifting", facility, patient, lines, min(1.0, 0.7 + 0.1 * len(members)),
                             [{"kind": "cost_shifting", "text": text, "text_zh": text_zh}]))
    return cases


def detect_cost_shifting(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> list[DrgCase]:
    """Steps: visits near stays, keep the shifted ones, one case per stay."""
    candidate_visits(con, settings)
    shifted_visits(con, settings)
    return shifting_cases(con)
