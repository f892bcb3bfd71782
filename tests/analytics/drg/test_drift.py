"""Case-mix drift per prescriber and per institution (issue 18 item 2), on hand-built stays.

Four doctors code pneumonia stays (ADRG ES3) at two peer hospitals of one level and province:
DR1 codes two thirds of his stays with a complication found nowhere else and never treated;
DR2 and DR3 code like everyone; DR4 codes as many upper groups as DR1, but every one of them
was ventilated (96.71): a complex case mix the records support; DR5's upper-group stays were
longer than the simple group's normal stay (22 days, ES35 at most 20) and cost 2.5 times as much
(supported by length and cost).
"""
from __future__ import annotations

from dataclasses import replace

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.drg.drift import coding_drift
from ringscope.analytics.drg.episodes import build_episodes, build_group_profiles
from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.drg.up_coding import detect_up_coding
from ringscope.analytics.settings import DrgSettings
from tests.analytics.drg.drgworld import stay, visit, write_drop

SETTINGS = DrgSettings(min_peer_episodes=2, drift_min_episodes=5)


def _simple(prefix: str, n: int, doctor: str, facility: str = "H1") -> list[list[str]]:
    return [stay(f"{prefix}{i}", f"{prefix}P{i}", "2026-03-01", "2026-03-07", "ES35", "J18.9", procedures="87.44",
                 facility=facility, prescriber=doctor) for i in range(n)]


DRIFTING = _simple("A", 2, "DR1") + [
    stay(f"AU{i}", f"AUP{i}", "2026-03-01", "2026-03-07", "ES33", "J18.9", secondary="E87.6", procedures="87.44",
         prescriber="DR1") for i in range(4)]
HONEST = _simple("B", 5, "DR2") + [
    stay("BU", "BUP", "2026-03-01", "2026-03-09", "ES33", "J18.9", secondary="I10", procedures="87.44",
         prescriber="DR2"),
    visit("BV", "BUP", "2026-01-10", "I10", "120.00", "80.00", facility="H2")]
HONEST_ELSEWHERE = _simple("C", 5, "DR3", facility="H2") + [
    stay("CU", "CUP", "2026-03-01", "2026-03-15", "ES31", "J18.9", secondary="J96.0", procedures="87.44;96.71",
         facility="H2", prescriber="DR3")]
VENTILATED = _simple("D", 2, "DR4") + [
    stay(f"DU{i}", f"DUP{i}", "2026-03-01", "2026-03-15", "ES31", "J18.9", secondary="J96.0",
         procedures="87.44;96.71", prescriber="DR4") for i in range(4)]
WARD = DRIFTING + HONEST + HONEST_ELSEWHERE + VENTILATED


def _drifts(tmp_path, unit, settings=SETTINGS):
    con = connect_drop(write_drop(tmp_path / "drop", WARD))
    build_episodes(con, settings)
    build_group_profiles(con)
    detect_up_coding(con, settings)
    return coding_drift(con, unit, settings)


def test_the_drifting_prescriber_stands_out_among_honest_peers_at_his_institution(tmp_path):
    drifts = _drifts(tmp_path, "prescriber")
    dr1 = drifts[("H1", "DR1")]
    assert (dr1.episodes, round(dr1.upper_share, 4), round(dr1.peer_share, 4)) == (6, 0.6667, 0.3333)
    assert dr1.drifting and round(dr1.unexplained, 4) == 0.3333
    assert [key for key, d in sorted(drifts.items()) if d.drifting] == [("H1", "DR1")]


def test_a_complex_case_mix_the_records_support_is_not_drift(tmp_path):
    dr4 = _drifts(tmp_path, "prescriber")[("H1", "DR4")]
    assert dr4.drift >= SETTINGS.drift_margin          # as many upper groups as DR1 ...
    assert dr4.unexplained == 0.0 and not dr4.drifting  # ... every one ventilated


LONG_STAYS = _simple("L", 2, "DR5") + [  # complications never treated by a procedure, but long and costly stays
    stay(f"LU{i}", f"LUP{i}", "2026-03-01", "2026-03-23", "ES33", "J18.9", secondary="E87.6", procedures="87.44",
         total="15000.00", fund="10500.00", prescriber="DR5") for i in range(4)]


def test_a_complex_case_mix_with_the_length_and_cost_of_complicated_stays_is_not_drift(tmp_path):
    con = connect_drop(write_drop(tmp_path / "drop", WARD + LONG_STAYS))
    build_episodes(con, SETTINGS)
    build_group_profiles(con)
    detect_up_coding(con, SETTINGS)
    dr5 = coding_drift(con, "prescriber", SETTINGS)[("H1", "DR5")]
    assert dr5.drift >= SETTINGS.drift_margin and dr5.unexplained == 0.0 and not dr5.drifting
    assert con.execute("SELECT count(*) FROM drg_upcoded WHERE settlement_id LIKE 'LU%'").fetchone() == (0,)


def test_too_few_episodes_are_not_called_drift(tmp_path):
    drifts = _drifts(tmp_path, "prescriber", replace(SETTINGS, drift_min_episodes=7))
    assert not any(d.drifting for d in drifts.values())


def test_up_coding_cases_carry_their_prescriber_and_institution_drift(tmp_path):
    result = run_drg_screens(connect_drop(write_drop(tmp_path / "drop", WARD)), SETTINGS)
    cases = [c for c in result.cases if c.violation == "up_coding"]
    assert sorted(c.settlement_ids[0] for c in cases) == [f"AU{i}" for i in range(4)]
    for case in cases:
        by_kind = {e["kind"]: e for e in case.evidence}
        assert by_kind["prescriber_drift"]["prescriber_id"] == "DR1"
        assert by_kind["prescriber_drift"]["drifting"] == "true"
        assert by_kind["institution_drift"]["facility_id"] == "H1"
