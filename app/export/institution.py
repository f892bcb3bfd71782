"""The subject of an institution's DRG referral: its DRG payment cases, with no ring (issue 18).

An institution that splits admissions, up-codes or shifts costs is referred on its own when it
runs no ring.  Its DRG cases of the latest run (``graph.drg_book``, else the rings file's
``drg_cases``) become one subject record of the package: id ``DRG-<facility_id>``, scheme
``drg``, the institution and the patients of the cases as the parties (not a network: the
summary calls them parties, and the graph shows only who was treated where), the cases'
settlements as its transactions and their evidence as the detection evidence.  The fund loss
is the Detailed Rules' additional fund expenditure of the DRG annex (``drg_annex``), not the
fund's payments on those settlements: ``case.gather_case`` computes it from the annex for this
scheme.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ringscope.analytics.ring import Member
from ringscope.app.drg_source import load_drg_cases
from ringscope.app.errors import UserError
from ringscope.app.ring_source import EvidenceRecord, RingRecord, run_drops
from ringscope.graph.drg_book import latest_drg_run

SCHEME = "drg"
PREFIX = "DRG-"


def subject_id(facility_id: str) -> str:
    return PREFIX + facility_id


def institution_subject(workspace: Path, con: duckdb.DuckDBPyConnection, facility_id: str,
                        app_config: dict[str, Any] | None = None) -> RingRecord:
    """The institution's DRG cases as the package's subject; ``UserError`` when it has none."""
    cases = [c for c in load_drg_cases(workspace, con, app_config) if c.facility_id == facility_id]
    if not cases:
        raise UserError(f"institution {facility_id!r} has no DRG case in the latest detection run; "
                        "run `ringscope detect` first, or check the facility id")
    patients = sorted({c.patient_id for c in cases if c.patient_id})
    members = (Member("facility", facility_id, "institution"), *(Member("patient", p, "patient") for p in patients))
    settlements = tuple(dict.fromkeys(line.settlement_id for c in cases for line in c.lines))
    evidence = tuple(EvidenceRecord(c.violation, f"{c.case_id}: {c.text('en')}", f"{c.case_id}：{c.text('zh')}")
                     for c in cases)
    loss = sum((c.fund_loss for c in cases), Decimal("0.00"))
    run_id = "" if (app_config or {}).get("rings_file") else (latest_drg_run(con) or "")
    return RingRecord(subject_id(facility_id), SCHEME, max(c.score for c in cases), members, float(loss),
                      settlement_ids=settlements, evidence=evidence, reported_fund_loss=loss,
                      source="DRG case book", run_id=run_id, run_info={"drop_ids": run_drops(con, run_id)})
