"""Cost shifting to the patient (转嫁费用 to the patient's own pocket) during a DRG stay.

Under DRG payment the hospital is paid one group payment whatever the stay costs, so the
stay's costs can be moved onto the patient instead of the fund.  Two signs, read from the
contract's columns (``settlements.self_paid``, ``kind``, the stay dates, dispensings):

- **the stay's self-paid share** is far above the baseline: the share nine in ten stays in the
  same DRG group pay, for patients of the same insured type (employees and residents are
  reimbursed at different rates, so each has its own baseline), by at least
  ``patient_share_margin``: items billed as "self-pay" that the group payment covers;
- **out-of-pocket purchases during the stay**: a pharmacy or outpatient settlement of the same
  patient dated from admission to the day before discharge, paid by the patient for at least
  ``patient_purchase_self_share`` of it, that carries the stay's treatment (the stay's ICD-10
  category, or a drug that stays of the same ADRG dispense): the ward sent the patient out
  to buy its own drugs (院外购药).

Look-alikes fail one test by their nature: a resident's stay (a higher share, typical for
residents), a patient's series of stays all billed alike (their benefit level), take-home drugs bought on the day of discharge, a chronic refill during the stay
for another condition with other drugs, a reimbursed purchase.

Loss (Detailed Rules): the act shifts cost to the patient, not to the fund, and is a violation
even when the fund pays nothing extra.  ``fund_loss`` stays the Rules' additional fund
expenditure: 0 for the stay (the group payment is what it would have been) and each
purchase's ``fund_paid`` (normally 0).  What the patient paid because of the act is reported
beside it, per line (``patient_amount``): the stay's self-paid amount above the baseline share
(the total times the baseline, to the cent),
each purchase's ``self_paid``.  The findings are ``cost_shifting`` cases of the contract (the
issue's 转嫁费用 covers shifting "to the patient"), marked by their evidence kind
``cost_shifting_to_patient``.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb

from ringscope.analytics.drg.case import DrgCase, LossLine
from ringscope.analytics.settings import DrgSettings

CENT = Decimal("0.01")


def excess_self_share(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_patient_share``: stays whose self-paid share exceeds their baseline by the margin.

    Baseline: what nine in ten stays of the group pay for patients of the same insured type (a
    high quantile, not the median: benefit schemes within one type differ, and the amount
    reported must be one the patient certainly would not have paid); for a patient with a
    series of stays in the group (``patient_series_min_stays``, e.g. dialysis), at least what
    nine in ten of the patient's own stays pay: a share the patient always pays is their benefit
    level, not an act of the hospital.
    """
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_patient_share AS
        WITH stays AS (
            SELECT e.settlement_id, e.patient_key, e.drg_code, e.total_amount, e.self_paid,
                   coalesce(p.insured_type, '') AS insured_type,
                   CAST(e.self_paid AS DOUBLE) / nullif(CAST(e.total_amount AS DOUBLE), 0) AS share
            FROM drg_episodes e LEFT JOIN patients p ON p.patient_id = e.patient_key
            WHERE e.drg_code IS NOT NULL AND e.total_amount > 0 AND e.self_paid IS NOT NULL),
        groups AS (
            SELECT drg_code, insured_type, quantile_cont(share, 0.9) AS baseline
            FROM stays GROUP BY ALL HAVING count(*) >= ?),
        series AS (
            SELECT patient_key, drg_code, quantile_cont(share, 0.9) AS own
            FROM stays WHERE patient_key IS NOT NULL GROUP BY ALL HAVING count(*) >= ?),
        judged AS (
            SELECT s.*, greatest(g.baseline, coalesce(r.own, 0)) AS baseline
            FROM stays s JOIN groups g USING (drg_code, insured_type)
            LEFT JOIN series r USING (patient_key, drg_code))
        SELECT settlement_id, share, baseline,
               CAST(self_paid AS DECIMAL(18,2))
                 - round(CAST(total_amount AS DECIMAL(18,2)) * CAST(baseline AS DECIMAL(18,6)), 2) AS excess
        FROM judged WHERE share - baseline >= ?
    """, [settings.patient_baseline_min_stays, settings.patient_series_min_stays, settings.patient_share_margin])


def purchases_during_stays(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> None:
    """``drg_patient_purchases``: out-of-pocket purchases of the stay's treatment while the patient was in."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_patient_purchases AS
        WITH inpatients AS (SELECT DISTINCT patient_key FROM drg_episodes),
        bought AS (  -- outpatient/pharmacy settlements of inpatients, paid (almost) wholly by the patient
            SELECT s.settlement_id, coalesce(s.patient_id, c.patient_id) AS patient_key,
                   CAST(s.settled_at AS DATE) AS day, s.total_amount, s.fund_paid, s.self_paid,
                   substr(s.diagnosis_code, 1, 3) AS diagnosis_category
            FROM settlements s LEFT JOIN cards c ON c.card_id = s.card_id AND s.patient_id IS NULL
            WHERE s.kind IN ('outpatient', 'pharmacy') AND s.admitted_on IS NULL AND s.total_amount > 0
              AND coalesce(s.self_paid, 0) >= CAST(? AS DOUBLE) * s.total_amount
              AND (s.patient_id IN (SELECT patient_key FROM inpatients)
                   OR (s.patient_id IS NULL AND s.card_id IN (
                       SELECT card_id FROM cards WHERE patient_id IN (SELECT patient_key FROM inpatients))))),
        during AS (  -- admission day up to the day before discharge (take-home drugs are bought on it)
            SELECT b.*, e.settlement_id AS stay_id, e.adrg, e.diagnosis_category AS stay_category
            FROM bought b JOIN drg_episodes e ON e.patient_key = b.patient_key
            WHERE b.day >= e.admitted_on AND b.day < e.discharged_on),
        ward_drugs AS (  -- drugs that stays of the purchases' ADRGs dispense
            SELECT DISTINCT e.adrg, d.drug_code FROM dispensings d JOIN drg_episodes e USING (settlement_id)
            WHERE e.adrg IN (SELECT adrg FROM during)),
        treatment AS (
            SELECT DISTINCT w.settlement_id, w.stay_id FROM during w
            JOIN dispensings d ON d.settlement_id = w.settlement_id
            JOIN ward_drugs k ON k.adrg = w.adrg AND k.drug_code = d.drug_code)
        SELECT w.* FROM during w
        WHERE w.diagnosis_category = w.stay_category
           OR EXISTS (SELECT 1 FROM treatment t WHERE t.settlement_id = w.settlement_id AND t.stay_id = w.stay_id)
        QUALIFY row_number() OVER (PARTITION BY w.settlement_id ORDER BY w.stay_id) = 1
    """, [settings.patient_purchase_self_share])


def _stays(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """The stays of either sign: id -> (patient, facility, admitted, discharged, share, baseline, excess)."""
    rows = con.execute("""
        SELECT e.settlement_id, e.patient_key, e.facility_id, e.admitted_on, e.discharged_on, x.share, x.baseline,
               x.excess
        FROM drg_episodes e LEFT JOIN drg_patient_share x USING (settlement_id)
        WHERE e.settlement_id IN (SELECT settlement_id FROM drg_patient_share
                                  UNION SELECT stay_id FROM drg_patient_purchases)
        ORDER BY e.settlement_id
    """).fetchall()
    return {r[0]: r[1:] for r in rows}


def patient_cases(con: duckdb.DuckDBPyConnection) -> list[DrgCase]:
    """One case per stay: the stay (its excess self-paid amount), then each out-of-pocket purchase."""
    purchases: dict[str, list[tuple]] = {}
    for row in con.execute("""
            SELECT stay_id, settlement_id, day, total_amount, fund_paid, self_paid FROM drg_patient_purchases
            ORDER BY stay_id, day, settlement_id""").fetchall():
        purchases.setdefault(row[0], []).append(row[1:])
    cases = []
    for stay_id, (patient, facility, admitted, discharged, share, baseline, excess) in _stays(con).items():
        excess = Decimal(excess or 0).quantize(CENT) if share is not None else Decimal("0.00")
        lines = [LossLine(stay_id, Decimal("0.00"), note="the stay: group payment unchanged",
                          patient_amount=max(excess, Decimal("0.00")))]
        parts, parts_zh = [], []
        if share is not None:
            parts.append(f"the patient paid {share:.0%} of the stay's bill where nine in ten stays of the "
                         f"group and insured type pay at most {baseline:.0%} ({excess} yuan more)")
            parts_zh.append(f"个人自付占住院费用 {share:.0%}，同组同参保类型九成住院不超过 {baseline:.0%}（多付 {excess} 元）")
        for sid, day, total, fund, own in purchases.get(stay_id, []):
            lines.append(LossLine(sid, Decimal(fund).quantize(CENT), note="bought by the patient during the stay",
                                  patient_amount=Decimal(own).quantize(CENT)))
            parts.append(f"{sid} on {day}: {total} yuan of the stay's treatment bought out of pocket ({own} yuan)")
            parts_zh.append(f"{sid}（{day}）：住院期间自费外购本次治疗药品 {total} 元（自付 {own} 元）")
        shifted = sum((line.patient_amount for line in lines), Decimal("0.00"))
        text = f"stay {admitted}–{discharged}: costs shifted to the patient ({shifted} yuan): " + "; ".join(parts)
        text_zh = f"住院 {admitted}–{discharged}：费用转嫁给参保人（{shifted} 元）：" + "；".join(parts_zh)
        score = min(1.0, 0.6 + 0.1 * len(lines) + (float(share - baseline) if share is not None else 0.0))
        cases.append(DrgCase("cost_shifting", facility, patient, lines, score, [
            {"kind": "cost_shifting_to_patient", "text": text, "text_zh": text_zh, "shifted_to": "patient",
             "patient_amount": f"{shifted}"}]))
    return cases


def detect_patient_shifting(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> list[DrgCase]:
    """Steps: stays above their self-paid baseline, purchases during stays, one case per stay."""
    excess_self_share(con, settings)
    purchases_during_stays(con, settings)
    return patient_cases(con)
