"""DRG cases where investigators see them: case book, explorer page, referral annex, report summary."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.settings import DrgSettings
from ringscope.app.drg_source import load_drg_cases
from ringscope.app.export.case import gather_case
from ringscope.app.report.data import drg_summary
from ringscope.app.ring_source import ring_from_json
from ringscope.app.views.drg import institution_ranking, patient_timeline, ring_facilities
from ringscope.graph.drg_book import record_drg_cases
from ringscope.ingest.mapping import HeaderMapping
from tests.analytics.drg.drgworld import book_cases, stay, write_drop
from tests.app.apptest import open_page, shown_text, start

SPLIT = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9"),
         stay("S2", "P1", "2026-03-04", "2026-03-09", "ES35", "J18.9"),
         stay("S9", "P9", "2026-03-01", "2026-03-08", "ES35", "J18.9", facility="H2")]
RING = {"ring_id": "R-000007", "scheme": "car_shuttle", "score": 0.8, "fund_loss": 10.0, "settlement_ids": ["S9"],
        "members": [{"type": "facility", "id": "H1", "role": "institution"},
                    {"type": "patient", "id": "P9", "role": "member"}], "evidence": []}


@pytest.fixture
def drg_ws(tmp_path, duck):
    duck.ingest_drop(write_drop(tmp_path / "drop", SPLIT), HeaderMapping())
    con = duck.relational()
    cases = run_drg_screens(con, DrgSettings()).cases
    record_drg_cases(con, "RUN-000001", [c.to_json() for c in cases])
    (duck.config.workspace / "rings.json").write_text(
        json.dumps({"contract": 1, "rings": [RING]}), encoding="utf-8")
    return duck


def test_case_book_round_trip_keeps_each_settlement_loss(drg_ws):
    (case,) = book_cases(drg_ws.relational())
    assert [(x["settlement_id"], x["loss"]) for x in case["loss_lines"]] == [("S1", Decimal("0.00")),
                                                                          ("S2", Decimal("6000.50"))]
    assert case["fund_loss"] == Decimal("6000.50")


def test_ranking_shows_the_institution_with_its_ring_and_the_timeline_its_stays(drg_ws):
    con = drg_ws.relational()
    cases = load_drg_cases(drg_ws.config.workspace, con)
    ranking = institution_ranking(cases, con, ring_facilities([ring_from_json(RING)]))
    assert ranking.iloc[0][["facility_id", "split_admission", "episodes", "fund_loss", "rings"]].tolist() == [
        "H1", 1, 1, 6000.5, "R-000007"]
    timeline = patient_timeline(con, "P1", "H1", cases)
    assert timeline["settlement_id"].tolist() == ["S1", "S2"] and timeline["loss"].tolist() == [0.0, 6000.5]


def test_referral_of_a_ring_at_the_institution_carries_the_drg_annex(drg_ws):
    case = gather_case(drg_ws.relational(), ring_from_json(RING))
    assert [(r["settlement_id"], r["paid_group"], r["difference"]) for r in case.drg_lines] == [
        ("S1", "ES35", Decimal("0.00")), ("S2", "ES35", Decimal("6000.50"))]


def test_report_summary_totals_by_violation_and_institution(drg_ws):
    summary = drg_summary(book_cases(drg_ws.relational()))
    assert (summary["cases"], summary["institutions"], summary["fund_loss"]) == (1, 1, 6000.5)
    assert summary["top_institutions"][0]["facility_id"] == "H1"


def test_explorer_drg_page_lists_the_case(drg_ws, monkeypatch):
    workspace = drg_ws.config.workspace
    drg_ws.close()
    monkeypatch.setenv("RINGSCOPE_WORKSPACE", str(workspace))
    monkeypatch.setenv("RINGSCOPE_STORE", "duckdb")
    monkeypatch.delenv("RINGSCOPE_CONFIG", raising=False)
    at = open_page(start("zh"), "screens/drg.py")
    text = shown_text(at)
    assert not at.exception
    assert "分解住院" in text and "H1" in text and "R-000007" in text and "6000.5" in text
