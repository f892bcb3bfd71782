"""Cost shifting to the patient during a DRG stay (issue 18, 转嫁费用 "or to the patient").

Baseline: employees pay a fifth of an ES35 stay themselves, residents two fifths.  X1's
patient paid three fifths; Z1's patient bought the ward's own antibiotic at a pharmacy while
in hospital.  Look-alikes: a resident at the top of residents' usual share, a patient whose
series of stays is always billed alike, take-home drugs on the day of discharge, a chronic
refill during the stay, a reimbursed purchase.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.settings import DrgSettings
from tests.analytics.drg.drgworld import stay, visit, write_drop

SETTINGS = DrgSettings(min_peer_episodes=2, patient_baseline_min_stays=3, patient_series_min_stays=4)

EMPLOYEES = [stay(f"E{i}", f"EP{i}", "2026-03-01", "2026-03-07", "ES35", "J18.9", fund="4800.00") for i in range(80)]
RESIDENTS = [stay(f"R{i}", f"RP{i}", "2026-03-01", "2026-03-07", "ES35", "J18.9", fund="3600.00") for i in range(3)]
RESIDENT_TOP = stay("R9", "RP9", "2026-03-01", "2026-03-07", "ES35", "J18.9", fund="3300.00")  # 45 %
SERIES = [stay(f"K{i}", "KP1", f"2026-04-{1 + 7 * i:02d}", f"2026-04-{6 + 7 * i:02d}", "ES35", "J18.9", fund="3600.00")
          for i in range(4)]  # an employee who pays 40 % of every stay: their benefit, not one ward's act
SHARE_SHIFTED = stay("X1", "XP1", "2026-03-01", "2026-03-07", "ES35", "J18.9", fund="2400.00")  # 60 %
STAY = stay("Z1", "ZP1", "2026-03-10", "2026-03-15", "ES35", "J18.9", fund="4800.00")
BOUGHT = visit("W1", "ZP1", "2026-03-12", "", "800.00", "0.00", facility="Y1", kind="pharmacy")
TAKE_HOME = visit("W2", "ZP1", "2026-03-15", "", "300.00", "0.00", facility="Y1", kind="pharmacy")
REFILL = visit("W3", "ZP1", "2026-03-13", "", "90.00", "0.00", facility="Y1", kind="pharmacy")
REIMBURSED = visit("W4", "ZP1", "2026-03-12", "J18.9", "500.00", "350.00", facility="Y1", kind="pharmacy")
LINES = [["E0", "1", "D1", "10", "300.00"], ["Z1", "1", "D2", "10", "35.00"], ["W1", "1", "D1", "20", "800.00"],
         ["W2", "1", "D1", "10", "300.00"], ["W3", "1", "D3", "30", "90.00"], ["W4", "1", "D1", "10", "500.00"]]
WARD = EMPLOYEES + RESIDENTS + SERIES + [RESIDENT_TOP, SHARE_SHIFTED, STAY, BOUGHT, TAKE_HOME, REFILL, REIMBURSED]
RESIDENT_IDS = frozenset({f"RP{i}" for i in range(3)} | {"RP9"})


def patient_cases(tmp_path, settings=SETTINGS, residents=RESIDENT_IDS):
    drop = write_drop(tmp_path / "drop", WARD, LINES, residents=residents)
    result = run_drg_screens(connect_drop(drop), settings)
    return {c.lines[0].settlement_id: c for c in result.cases
            if any(e["kind"] == "cost_shifting_to_patient" for e in c.evidence)}


def test_the_patient_paying_far_above_the_group_baseline_is_a_case_at_no_fund_loss(tmp_path):
    case = patient_cases(tmp_path)["X1"]
    assert (case.violation, case.facility_id, case.patient_id) == ("cost_shifting", "H1", "XP1")
    (line,) = case.lines
    assert (line.loss, line.patient_amount) == (Decimal("0.00"), Decimal("2400.00"))  # 3600 paid - 20 % of 6000
    assert case.fund_loss == Decimal("0.00") and case.patient_amount == Decimal("2400.00")
    assert case.to_json()["patient_amount"] == 2400.0


def test_drugs_bought_out_of_pocket_during_the_stay_are_a_case(tmp_path):
    case = patient_cases(tmp_path)["Z1"]
    assert [(x.settlement_id, x.loss, x.patient_amount) for x in case.lines] == [
        ("Z1", Decimal("0.00"), Decimal("0.00")), ("W1", Decimal("0.00"), Decimal("800.00"))]
    assert case.facility_id == "H1"  # the hospital that shifted the cost, not the pharmacy


def test_lookalikes_are_not_cases(tmp_path):
    assert sorted(patient_cases(tmp_path)) == ["X1", "Z1"]  # not R9 or K*, and Z1 holds W1 only (not W2, W3, W4)


def test_a_series_billed_alike_is_judged_against_itself(tmp_path):
    """With no series rule each of KP1's stays is 20 points above the employees' 20 %."""
    assert sorted(patient_cases(tmp_path, replace(SETTINGS, patient_series_min_stays=99))) == [
        "K0", "K1", "K2", "K3", "X1", "Z1"]


def test_residents_are_judged_against_residents(tmp_path):
    """Without the insured type R9's 45 % is judged against the employees' 20 %."""
    assert "R9" in patient_cases(tmp_path, residents=frozenset())
    assert "R9" not in patient_cases(tmp_path)


def test_a_higher_margin_lets_the_share_through(tmp_path):
    assert sorted(patient_cases(tmp_path, replace(SETTINGS, patient_share_margin=0.41))) == ["Z1"]


def test_detect_prints_what_was_shifted_to_the_patient(tmp_path):
    from rich.console import Console

    from ringscope.app.commands.drg_output import drg_cases_table

    console = Console(record=True, width=200)
    console.print(drg_cases_table(list(patient_cases(tmp_path).values())))
    text = console.export_text()
    assert "to patient (CNY)" in text and "2,400.00" in text
