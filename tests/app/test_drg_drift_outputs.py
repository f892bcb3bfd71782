"""Prescriber drift and cost shifted to patients where investigators see them (issue 18 items 2 and 3).

The ward of ``tests/analytics/drg/test_drift.py`` (DR1 drifts among honest peers, DR4's complex
mix is supported) plus one stay billed largely as self-pay, ingested into a store.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.app.drg_source import load_drg_cases
from ringscope.app.export.drg_annex import drg_rows
from ringscope.app.report.data import drg_summary
from ringscope.app.views.drg import coding_drift_table, institution_ranking
from ringscope.graph.drg_book import record_drg_cases
from ringscope.ingest.mapping import HeaderMapping
from tests.analytics.drg.drgworld import book_cases, stay, write_drop
from tests.analytics.drg.test_drift import SETTINGS, WARD
from tests.app.apptest import open_page, shown_text, start

SETTINGS_HERE = SETTINGS.__class__(**{**SETTINGS.__dict__, "patient_baseline_min_stays": 5})
SELF_PAY = stay("X1", "XP1", "2026-03-01", "2026-03-07", "ES35", "J18.9", fund="2400.00", facility="H2",
                prescriber="DR3")  # 60 % paid by the patient where the others paid 30 %


@pytest.fixture
def drift_ws(tmp_path, duck):
    duck.ingest_drop(write_drop(tmp_path / "drop", WARD + [SELF_PAY]), HeaderMapping())
    con = duck.relational()
    record_drg_cases(con, "RUN-000001", [c.to_json() for c in run_drg_screens(con, SETTINGS_HERE).cases])
    return duck


def test_the_drifting_prescriber_is_listed_for_his_institution(drift_ws):
    cases = load_drg_cases(drift_ws.config.workspace, drift_ws.relational())
    table = coding_drift_table(cases, "H1")
    doctors = table[table["unit"] == "prescriber"]
    assert doctors[["prescriber_id", "drifting", "cases"]].values.tolist() == [["DR1", True, 4]]
    ranking = institution_ranking(cases)
    assert ranking.set_index("facility_id").loc["H1", "drifting_prescribers"] == 1


def test_the_report_names_drifting_prescribers_and_the_patients_burden(drift_ws):
    summary = drg_summary(book_cases(drift_ws.relational()))
    assert [(p["facility_id"], p["prescriber_id"]) for p in summary["drifting_prescribers"]] == [("H1", "DR1")]
    assert summary["patient_amount"] == 1800.0  # 3600.00 paid - 30 % of 6000.00


def test_the_referral_annex_carries_prescriber_drift_and_patient_amount(drift_ws):
    rows = drg_rows(drift_ws.relational(), {"H1", "H2"})
    upcoded = [r for r in rows if r["violation"] == "up_coding"]
    assert {(r["prescriber_id"], r["prescriber_drift"]) for r in upcoded} == {("DR1", "0.3509 drifting")}  # 4/6 upper vs 6/19 at peers
    (shifted,) = [r for r in rows if r["settlement_id"] == "X1"]
    assert (shifted["difference"], shifted["patient_amount"]) == (Decimal("0.00"), Decimal("1800.00"))


def test_explorer_drg_page_shows_the_coding_drift(drift_ws, monkeypatch):
    workspace = drift_ws.config.workspace
    drift_ws.close()
    monkeypatch.setenv("RINGSCOPE_WORKSPACE", str(workspace))
    monkeypatch.setenv("RINGSCOPE_STORE", "duckdb")
    monkeypatch.delenv("RINGSCOPE_CONFIG", raising=False)
    at = open_page(start("zh"), "screens/drg.py")
    text = shown_text(at)
    assert not at.exception
    assert "编码偏移" in text and "DR1" in text
    assert "prescriber" not in text and "institution" not in text  # units and columns in the reader's language


def test_the_weekly_report_section_lists_the_drifting_prescriber(drift_ws):
    from ringscope.app.report.data import ReportData
    from ringscope.app.report.render import render_html

    empty: dict = {"rings": 0, "fund_loss": 0.0, "members": 0}
    data = ReportData("2026-W10", "2026-03-02", "2026-03-08", None, None, True, empty, None, {}, [], [], [], [],
                      [], [], [], [], [], counts_not_listed={"new": 0, "changed": 0, "dissolved": 0, "top": 0},
                      drg=drg_summary(book_cases(drift_ws.relational())))
    page = render_html(data, "zh")
    section = page[page.index('data-section="drg"'):]
    assert 'data-prescriber-id="DR1"' in section and "编码偏移的医师" in section
    assert "另有转嫁给参保人的费用 1,800.00 元" in section
