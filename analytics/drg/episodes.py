"""Step 1 of every DRG screen: the coded inpatient episodes and what the fund pays for each.

``drg_episodes`` holds one row per inpatient settlement with admission and discharge dates:
the patient (``patient_id``, else the card holder), the institution and its chain, the
stay length, the codes, and, when the group is in ``drg_groups``, its ADRG, weight, normal
stay range and the payment under the configured method (费率法 rate or 点数法 points),
computed in DECIMAL so that losses are exact to the cent.
"""
from __future__ import annotations

import duckdb

from ringscope.analytics.settings import DrgSettings


def payment_sql(settings: DrgSettings) -> tuple[str, list[float]]:
    """SQL for one group's payment (columns ``weight``, ``base_payment`` of drg_groups) and its parameters.

    Rate: the listed ``base_payment``, else weight x ``base_rate``.  Points: weight x 100
    points x ``point_value``.  Rounded to the cent, as a settlement is paid.
    """
    if settings.payment_method == "points":
        return ("round(CAST(g.weight AS DECIMAL(18,6)) * 100 * CAST(? AS DECIMAL(18,6)), 2)",
                [settings.point_value])
    return ("coalesce(CAST(g.base_payment AS DECIMAL(18,2)), "
            "round(CAST(g.weight AS DECIMAL(18,6)) * CAST(? AS DECIMAL(18,6)), 2))", [settings.base_rate])


def build_episodes(con: duckdb.DuckDBPyConnection, settings: DrgSettings) -> int:
    """Create temp table ``drg_episodes``; returns its row count."""
    payment, params = payment_sql(settings)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE drg_episodes AS
        SELECT s.settlement_id, coalesce(s.patient_id, c.patient_id) AS patient_key, s.facility_id,
               s.prescriber_id, s.self_paid, coalesce(f.chain_id, s.facility_id) AS chain_key, f.level AS facility_level,
               substr(f.region_code, 1, 2) AS province, s.admitted_on, s.discharged_on,
               date_diff('day', s.admitted_on, s.discharged_on) AS los, s.total_amount, s.fund_paid,
               s.diagnosis_code, substr(s.diagnosis_code, 1, 3) AS diagnosis_category, s.drg_code,
               coalesce(s.secondary_diagnoses, '') AS secondary_diagnoses,
               coalesce(s.procedure_codes, '') AS procedure_codes,
               g.adrg, CAST(g.weight AS DOUBLE) AS weight, g.min_los, g.max_los,
               CAST({payment} AS DECIMAL(18,2)) AS payment
        FROM settlements s
        LEFT JOIN cards c ON c.card_id = s.card_id
        LEFT JOIN facilities f ON f.facility_id = s.facility_id
        LEFT JOIN drg_groups g ON g.drg_code = s.drg_code
        WHERE s.admitted_on IS NOT NULL AND s.discharged_on IS NOT NULL
          AND coalesce(s.kind, 'inpatient') = 'inpatient'
    """, params)
    row = con.execute("SELECT count(*) FROM drg_episodes").fetchone()
    return int(row[0]) if row else 0


def build_group_profiles(con: duckdb.DuckDBPyConnection) -> None:
    """``drg_group_profiles``: per group its median stay in the data and its rank in the ADRG by weight."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE drg_group_profiles AS
        WITH observed AS (
            SELECT drg_code, median(los) AS median_los, count(*) AS episodes
            FROM drg_episodes WHERE drg_code IS NOT NULL GROUP BY drg_code)
        SELECT g.drg_code, g.adrg, CAST(g.weight AS DOUBLE) AS weight, o.median_los, coalesce(o.episodes, 0) AS episodes,
               dense_rank() OVER (PARTITION BY g.adrg ORDER BY CAST(g.weight AS DOUBLE)) AS level_rank,
               count(*) OVER (PARTITION BY g.adrg) AS groups_in_adrg
        FROM drg_groups g LEFT JOIN observed o ON o.drg_code = g.drg_code
        WHERE g.adrg IS NOT NULL AND g.weight IS NOT NULL
    """)
