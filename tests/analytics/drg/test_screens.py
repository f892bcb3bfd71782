"""Each DRG screen on hand-built stays: a positive and its legitimate look-alikes; loss to the cent."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.settings import DrgSettings
from tests.analytics.drg.drgworld import stay, visit, write_drop

RATE = DrgSettings(min_peer_episodes=2)
POINTS = replace(RATE, payment_method="points", point_value=100.0)


def cases_of(tmp_path, settlements, dispensings=None, settings=RATE, with_groups=True):
    con = connect_drop(write_drop(tmp_path / "drop", settlements, dispensings, with_groups))
    return run_drg_screens(con, settings)


# -- split admissions ----------------------------------------------------------------------------
SPLIT = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9"),      # 2 days, group minimum 4
         stay("S2", "P1", "2026-03-04", "2026-03-09", "ES35", "J18.9")]
CHEMO = [stay(f"K{i}", "P2", f"2026-03-{1 + 14 * i:02d}", f"2026-03-{3 + 14 * i:02d}", "RE19", "Z51.1",
              secondary="C34.9", procedures="99.25") for i in range(3)]
TRANSFER = [stay("T1", "P3", "2026-03-01", "2026-03-03", "BR25", "I63.9"),   # cut short, then another condition
            stay("T2", "P3", "2026-03-03", "2026-03-10", "ES35", "J18.9")]
COMPLICATION = [stay("C1", "P4", "2026-03-01", "2026-03-06", "HC35", "K80.2", procedures="51.23"),
                stay("C2", "P4", "2026-03-09", "2026-03-13", "XJ15", "T81.4", secondary="K80.2")]
STAGED = [stay("G1", "P5", "2026-03-01", "2026-03-06", "HC35", "K80.2", procedures="51.23"),
          stay("G2", "P5", "2026-03-10", "2026-03-15", "HC35", "K80.2", procedures="51.23")]
SHUTTLE = [stay("B1", "P6", "2026-03-01", "2026-03-04", "BR25", "I63.9"),    # cut short, but out 10 days
           stay("B2", "P6", "2026-03-14", "2026-03-17", "BR25", "I63.9")]


@pytest.mark.parametrize("settings, extra", [(RATE, Decimal("6000.50")), (POINTS, Decimal("6000.00"))])
def test_split_admission_priced_per_method(tmp_path, settings, extra):
    result = cases_of(tmp_path, SPLIT, settings=settings)
    (case,) = [c for c in result.cases if c.violation == "split_admission"]
    assert case.settlement_ids == ["S1", "S2"] and case.facility_id == "H1" and case.patient_id == "P1"
    assert [line.loss for line in case.lines] == [Decimal("0.00"), extra]
    assert case.fund_loss == extra


@pytest.mark.parametrize("lookalike", [CHEMO, TRANSFER, COMPLICATION, STAGED, SHUTTLE],
                         ids=["chemotherapy_cycles", "transfer_other_condition", "complication_readmission",
                              "staged_surgery", "weeks_apart"])
def test_split_lookalikes_are_not_cases(tmp_path, lookalike):
    result = cases_of(tmp_path, SPLIT + lookalike)
    assert [c.patient_id for c in result.cases if c.violation == "split_admission"] == ["P1"]


def test_a_cohort_readmitted_together_is_left_to_the_car_shuttle_detector(tmp_path):
    bus = [row for k in range(3) for row in (
        stay(f"Y{k}a", f"P3{k}", "2026-03-01", f"2026-03-0{3 + k % 2}", "BR25", "I63.9"),
        stay(f"Y{k}b", f"P3{k}", "2026-03-06", "2026-03-09", "BR25", "I63.9"))]
    result = cases_of(tmp_path, SPLIT + bus)
    assert [c.patient_id for c in result.cases if c.violation == "split_admission"] == ["P1"]


def test_a_readmission_a_ring_already_counts_is_not_a_drg_case(tmp_path):
    """A shuttle's villager brought back days after a short stay: the ring counts both stays
    as loss, so the split screen does not count the second again; one stay outside it does."""
    con = connect_drop(write_drop(tmp_path / "drop", SPLIT))
    assert run_drg_screens(con, RATE, ring_settlements={"S1", "S2", "S9"}).cases == []
    (case,) = run_drg_screens(con, RATE, ring_settlements={"S2"}).cases
    assert case.settlement_ids == ["S1", "S2"]


def test_split_to_a_sister_institution_counts(tmp_path):
    rows = [SPLIT[0], stay("S2", "P1", "2026-03-04", "2026-03-09", "ES35", "J18.9", facility="H2")]
    drop = write_drop(tmp_path / "drop", rows)
    (drop / "facilities.csv").write_text("facility_id,kind,chain_id\nH1,hospital,G1\nH2,hospital,G1\n",
                                         encoding="utf-8")
    result = run_drg_screens(connect_drop(drop), RATE)
    assert [c.settlement_ids for c in result.cases] == [["S1", "S2"]]


# -- up-coding -----------------------------------------------------------------------------------
PEERS = [stay(f"N{i}", f"Q{i}", "2026-03-01", "2026-03-07", "ES35", "J18.9", procedures="87.44") for i in range(3)]
UPCODED = stay("U1", "P10", "2026-03-01", "2026-03-07", "ES33", "J18.9", secondary="E87.6", procedures="87.44")
TREATED = stay("U2", "P11", "2026-03-01", "2026-03-15", "ES31", "J18.9", secondary="J96.0", procedures="87.44;96.71")
COMORBID = [stay("U3", "P12", "2026-03-01", "2026-03-09", "ES33", "J18.9", secondary="I10", procedures="87.44"),
            visit("V3", "P12", "2026-01-10", "I10", "120.00", "80.00", facility="H2")]
HALF_TRUE = [stay("U4", "P13", "2026-03-01", "2026-03-09", "ES31", "J18.9", secondary="I10;J96.0", procedures="87.44"),
             visit("V4", "P13", "2026-01-12", "I10", "120.00", "80.00", facility="H2")]


@pytest.mark.parametrize("settings, loss", [(RATE, Decimal("1999.50")), (POINTS, Decimal("2000.00"))])
def test_up_coding_priced_per_method(tmp_path, settings, loss):
    result = cases_of(tmp_path, PEERS + [UPCODED], settings=settings)
    (case,) = [c for c in result.cases if c.violation == "up_coding"]
    (line,) = case.lines
    assert (line.settlement_id, line.paid_group, line.expected_group, line.loss) == ("U1", "ES33", "ES35", loss)


def test_up_coding_supported_by_history_expects_the_middle_group(tmp_path):
    result = cases_of(tmp_path, PEERS + HALF_TRUE)
    (case,) = [c for c in result.cases if c.violation == "up_coding"]
    assert (case.lines[0].expected_group, case.fund_loss) == ("ES33", Decimal("4000.00"))


@pytest.mark.parametrize("lookalike", [[TREATED], COMORBID], ids=["treated_complication", "known_comorbidity"])
def test_up_coding_lookalikes_are_not_cases(tmp_path, lookalike):
    result = cases_of(tmp_path, PEERS + [UPCODED] + lookalike)
    assert [c.settlement_ids for c in result.cases if c.violation == "up_coding"] == [["U1"]]


# -- cost shifting -------------------------------------------------------------------------------
STAY = stay("A1", "P20", "2026-03-10", "2026-03-15", "ES35", "J18.9", total="6000.00")
SHIFTED = visit("O1", "P20", "2026-03-08", "J18.9", "1200.00", "840.37")
AFTER = visit("O2", "P20", "2026-03-17", "J18.9", "900.00", "630.21", kind="pharmacy")
FOLLOW_UP = visit("O3", "P20", "2026-03-18", "J18.9", "80.00", "50.00")
WORK_UP = visit("O4", "P20", "2026-03-09", "J18.9", "400.00", "280.00")
REFILL = visit("O5", "P20", "2026-03-07", "I10", "600.00", "420.00")
LINES = [["A1", "1", "D1", "10", "300.00"], ["A1", "2", "D2", "10", "35.00"], ["O1", "1", "D1", "20", "600.00"],
         ["O2", "1", "D2", "30", "105.00"], ["O3", "1", "D1", "1", "30.00"], ["O5", "1", "D1", "1", "30.00"]]


def test_cost_shifting_lists_each_shifted_settlement(tmp_path):
    result = cases_of(tmp_path, [STAY, SHIFTED, AFTER, FOLLOW_UP, WORK_UP, REFILL], LINES)
    (case,) = [c for c in result.cases if c.violation == "cost_shifting"]
    assert [(line.settlement_id, line.loss) for line in case.lines] == [
        ("A1", Decimal("0.00")), ("O1", Decimal("840.37")), ("O2", Decimal("630.21"))]
    assert case.fund_loss == Decimal("1470.58")


def test_cost_shifting_at_another_institution_is_not_a_case(tmp_path):
    moved = visit("O1", "P20", "2026-03-08", "J18.9", "1200.00", "840.37", facility="H2")
    result = cases_of(tmp_path, [STAY, moved], LINES)
    assert [c for c in result.cases if c.violation == "cost_shifting"] == []


# -- blind screens -------------------------------------------------------------------------------
def test_without_drg_data_the_screens_say_they_were_blind(tmp_path):
    plain = [row[:12] + ["", ""] for row in SPLIT]
    result = cases_of(tmp_path, plain, with_groups=False)
    labels = {gap.label for gap in result.gaps}
    assert {"drg_groups", "settlements.secondary_diagnoses", "settlements.procedure_codes"} <= labels
    assert all(c.violation != "up_coding" for c in result.cases)


def test_without_procedures_a_costly_stay_counts_as_treated(tmp_path):
    bare = [row[:13] + [""] for row in PEERS + [UPCODED]]
    treated = stay("U2", "P11", "2026-03-01", "2026-03-15", "ES31", "J18.9", secondary="J96.0", total="19000.00")
    result = cases_of(tmp_path, bare + [treated])
    assert [c.settlement_ids for c in result.cases if c.violation == "up_coding"] == [["U1"]]
