"""The referral's DRG annex: DRG payment cases at the ring's institutions, episode by episode.

An institution that runs a ring may also split admissions, up-code or shift costs (issue 18);
the liaison officer hands both over.  Each row is one settlement of a DRG case at a facility
the ring lists: the stay's dates, the group paid, the group the record supports and the
difference the fund paid (the Detailed Rules' loss for that settlement); what the line shifted
to the patient (``patient_amount``, not a fund loss); for up-coding, the prescriber and the
prescriber's unsupported coding drift against peers (``analytics.drg.drift``).  Cases come from the
DRG case book's latest run (``graph.drg_book``); no book, no rows.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from ringscope.graph.drg_book import latest_drg_cases

COLUMNS = ("case_id", "violation", "facility_id", "patient_id", "settlement_id", "admitted_on", "discharged_on",
           "diagnosis_code", "paid_group", "expected_group", "difference", "patient_amount", "prescriber_id",
           "prescriber_drift", "note")


def drg_rows(con: duckdb.DuckDBPyConnection, facility_ids: set[str]) -> list[dict[str, Any]]:
    """Rows of the annex for cases at ``facility_ids`` (sorted by case, then settlement)."""
    cases = [c for c in latest_drg_cases(con) or [] if c["facility_id"] in facility_ids]
    if not cases:
        return []
    sids = [line["settlement_id"] for c in cases for line in c["loss_lines"]]
    stays = {r[0]: r[1:] for r in con.execute(
        "SELECT settlement_id, admitted_on, discharged_on, diagnosis_code FROM settlements "
        "WHERE list_contains(?, settlement_id)", [sids]).fetchall()}
    rows = []
    for c in sorted(cases, key=lambda c: c["case_id"]):
        drift: dict[str, str] = next((e for e in c.get("evidence") or [] if e.get("kind") == "prescriber_drift"), {})
        for line in c["loss_lines"]:
            admitted, discharged, diagnosis = stays.get(line["settlement_id"], (None, None, None))
            rows.append({"case_id": c["case_id"], "violation": c["violation"], "facility_id": c["facility_id"],
                         "patient_id": c["patient_id"] or "", "settlement_id": line["settlement_id"],
                         "admitted_on": "" if admitted is None else str(admitted),
                         "discharged_on": "" if discharged is None else str(discharged),
                         "diagnosis_code": diagnosis or "", "paid_group": line["paid_group"] or "",
                         "expected_group": line["expected_group"] or "",
                         "difference": Decimal(line["loss"]).quantize(Decimal("0.01")),
                         "patient_amount": Decimal(line.get("patient_amount") or 0).quantize(Decimal("0.01")),
                         "prescriber_id": drift.get("prescriber_id", ""), "prescriber_drift": _drift(drift),
                         "note": line["note"] or ""})
    return rows


def _drift(item: dict[str, str]) -> str:
    """The prescriber's unsupported drift as a share ("0.3333"), marked when it is called drifting."""
    if not item:
        return ""
    return item.get("unexplained", "") + (" drifting" if item.get("drifting") == "true" else "")
