"""The explorer's DRG section: institutions ranked by flagged episodes and loss; coding drift of
institutions and prescribers; a patient's episodes.

Pure functions over DRG case records and the store's relational connection (no Streamlit), so
the weekly report and tests use them too.  Rings that name an institution as a member are
listed beside its DRG cases: an institution running a car-shuttle ring and split admissions
shows both.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterable

import duckdb
import pandas as pd

from ringscope.app.drg_source import DRIFT_COLUMNS, DrgCaseRecord, drift_rows

VIOLATIONS = ("split_admission", "up_coding", "cost_shifting")


def institution_ranking(cases: Iterable[DrgCaseRecord], con: duckdb.DuckDBPyConnection | None = None,
                        ring_facilities: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per institution: cases per violation, flagged episodes, loss; most loss first."""
    acc: dict[str, dict[str, Any]] = defaultdict(lambda: {v: 0 for v in VIOLATIONS} | {
        "episodes": 0, "fund_loss": Decimal("0.00"), "patient_amount": Decimal("0.00")})
    cases = list(cases)
    for case in cases:
        row = acc[case.facility_id]
        row[case.violation] += 1
        row["episodes"] += sum(1 for line in case.lines if line.loss > 0)
        row["fund_loss"] += case.fund_loss
        row["patient_amount"] += case.patient_amount
    drift = {r["facility_id"]: r["unexplained"] for r in drift_rows(cases) if r["unit"] == "institution"}
    drifting: dict[str, int] = defaultdict(int)
    for r in drift_rows(cases):
        if r["unit"] == "prescriber" and r["drifting"]:
            drifting[r["facility_id"]] += 1
    names = _facility_names(con, list(acc)) if con is not None else {}
    rows = [{"facility_id": f, "facility_name": names.get(f, ""), **r, "coding_drift": drift.get(f),
             "drifting_prescribers": drifting.get(f, 0),
             "rings": ", ".join((ring_facilities or {}).get(f, []))} for f, r in acc.items()]
    columns = ["facility_id", "facility_name", *VIOLATIONS, "episodes", "fund_loss", "patient_amount",
               "coding_drift", "drifting_prescribers", "rings"]
    df = pd.DataFrame(rows, columns=columns)
    if df.empty:
        return df
    df["fund_loss"] = df["fund_loss"].astype(float)
    df["patient_amount"] = df["patient_amount"].astype(float)
    return df.sort_values(["fund_loss", "episodes", "facility_id"], ascending=[False, False, True]).reset_index(drop=True)


def coding_drift_table(cases: Iterable[DrgCaseRecord], facility_id: str | None = None) -> pd.DataFrame:
    """Institutions and prescribers whose up-coded cases carry a case-mix drift (one institution's, if named)."""
    rows = [r | {"fund_loss": float(r["fund_loss"])} for r in drift_rows(list(cases))
            if facility_id is None or r["facility_id"] == facility_id]
    return pd.DataFrame(rows, columns=list(DRIFT_COLUMNS))


def _facility_names(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    rows = con.execute("SELECT facility_id, name FROM facilities WHERE list_contains(?, facility_id)", [ids]).fetchall()
    return {r[0]: r[1] or "" for r in rows}


def patient_timeline(con: duckdb.DuckDBPyConnection, patient_id: str, facility_id: str,
                     cases: Iterable[DrgCaseRecord], days: int = 60) -> pd.DataFrame:
    """The patient's settlements at the institution around the flagged ones, each with its case and loss."""
    flagged = {line.settlement_id: (case.case_id, case.violation, line) for case in cases
               if case.patient_id == patient_id and case.facility_id == facility_id for line in case.lines}
    rows = con.execute("""
        WITH mine AS (
            SELECT s.* FROM settlements s LEFT JOIN cards c ON c.card_id = s.card_id
            WHERE coalesce(s.patient_id, c.patient_id) = ? AND s.facility_id = ?),
        span AS (SELECT min(CAST(settled_at AS DATE)) - CAST(? AS INTEGER) AS lo,
                        max(CAST(settled_at AS DATE)) + CAST(? AS INTEGER) AS hi
                 FROM mine WHERE list_contains(?, settlement_id))
        SELECT settlement_id, CAST(settled_at AS DATE) AS day, kind, admitted_on, discharged_on, diagnosis_code,
               secondary_diagnoses, procedure_codes, drg_code, total_amount, fund_paid
        FROM mine, span WHERE CAST(settled_at AS DATE) BETWEEN span.lo AND span.hi
        ORDER BY coalesce(admitted_on, CAST(settled_at AS DATE)), settlement_id
    """, [patient_id, facility_id, days, days, list(flagged)]).fetchall()
    out = []
    for sid, day, kind, admitted, discharged, diag, secondary, procedures, drg, total, fund in rows:
        case_id, violation, line = flagged.get(sid, ("", "", None))
        out.append({"settlement_id": sid, "day": day, "kind": kind, "admitted_on": admitted,
                    "discharged_on": discharged, "diagnosis_code": diag, "secondary_diagnoses": secondary,
                    "procedure_codes": procedures, "drg_code": drg,
                    "expected_group": line.expected_group if line else None,
                    "total_amount": float(total), "fund_paid": float(fund),
                    "case_id": case_id, "violation": violation, "loss": float(line.loss) if line else 0.0})
    return pd.DataFrame(out)


def ring_facilities(rings: Iterable[Any]) -> dict[str, list[str]]:
    """facility_id -> ids of rings that list it as a member (RingRecord-like objects)."""
    out: dict[str, list[str]] = defaultdict(list)
    for ring in rings:
        for m in ring.members:
            if m.type == "facility":
                out[m.id].append(ring.ring_id)
    return dict(out)
