"""Credit points: per rule and responsibility, per natural year, confirmed by a supervisor (audited)."""
from __future__ import annotations

import csv
import io

import pytest

from ringscope.app import audit
from ringscope.app.auth import User
from ringscope.app.points import store as point_store
from ringscope.app.points.rules import Proposal, running_totals
from ringscope.app.points.service import decide, ledger, refresh, registry_csv, registry_rows
from ringscope.app.points.settings import PointSettings, PointSettingsError
from ringscope.app.triage import set_triage

SETTINGS = PointSettings()
SUPERVISOR = User("zhao", "supervisor", frozenset({"unmask", "export", "tipster_contact", "confirm_points"}))
INVESTIGATOR = User("li", "investigator", frozenset({"unmask"}))


def _confirm(con, *ring_ids):
    for rid in ring_ids:
        set_triage(con.cursor(), rid, "confirmed", updated_by="zhao")


def _by_person(lines):
    return {(item.proposal.person_type, item.proposal.person_id, item.proposal.ring_id): item for item in lines}


def test_no_proposal_before_a_ring_is_confirmed(tip_env):
    cfg, _ctx, store = tip_env
    refresh(store.relational(), cfg.workspace, cfg.app, SETTINGS, "li")
    assert ledger(store.relational(), SETTINGS) == []


def test_points_per_rule_and_responsibility(tip_env):
    cfg, _ctx, store = tip_env
    con = store.relational()
    _confirm(con, "R-000001", "R-000002")
    refresh(con, cfg.workspace, cfg.app, SETTINGS, "li")
    lines = _by_person(ledger(con, SETTINGS))
    ph1 = lines[("pharmacist", "PH1", "R-000001")].proposal  # works at a pharmacy; organizer of a resale ring
    assert (ph1.rule, ph1.responsibility, ph1.points, ph1.year) == ("fraud_serious", "main", 12, 2026)
    assert [e["settlement_id"] for e in ph1.evidence] == ["S001", "S002"]
    op1 = lines[("operator", "OP1", "R-000001")].proposal  # settled both of the ring's settlements
    assert (op1.responsibility, op1.points) == ("main", 12)
    dr1 = lines[("prescriber", "DR1", "R-000002")].proposal
    assert (dr1.rule, dr1.responsibility, dr1.points, dr1.year) == ("over_prescription", "main", 6, 2025)
    assert lines[("pharmacist", "PH1", "R-000001")].consequence == "terminate"
    assert ("patient", "P001", "R-000001") not in lines  # patients get no points


def test_year_roll_over_starts_each_natural_year_at_zero(tip_env):
    """DR1: 6 points in 2025 (R-000002) and 6 in 2026 (R-000003): never 12 in one year."""
    cfg, _ctx, store = tip_env
    con = store.relational()
    _confirm(con, "R-000002", "R-000003")
    refresh(con, cfg.workspace, cfg.app, SETTINGS, "li")
    dr1 = [item for item in ledger(con, SETTINGS) if item.proposal.person_id == "DR1"]
    assert [(item.proposal.year, item.running_total, item.consequence) for item in dr1] == [(2025, 6, "none"), (2026, 6, "none")]
    assert [item.proposal.ring_id for item in ledger(con, SETTINGS, year=2026) if item.proposal.person_id == "DR1"] == \
        ["R-000003"]


def test_running_total_in_one_year_is_capped_and_triggers_consequences():
    def entry(ring, points, day):
        return Proposal(f"E{ring}", "prescriber", "DR9", 2026, ring, "r", "main", points, f"2026-0{day}-01")
    lines = running_totals([(entry("A", 6, 1), "confirmed"), (entry("B", 4, 2), "proposed"),
                            (entry("C", 6, 3), "rejected"), (entry("D", 6, 4), "proposed")], SETTINGS)
    assert [(item.running_total, item.consequence) for item in lines] == [(6, "none"), (10, "suspend"), (10, "suspend"),
                                                                 (12, "terminate")]
    assert [item.confirmed_total for item in lines] == [6, 6, 6, 6]


def test_supervisor_confirmation_is_audited_and_needs_the_right(tip_env):
    cfg, _ctx, store = tip_env
    con = store.relational()
    _confirm(con, "R-000002")
    refresh(con, cfg.workspace, cfg.app, SETTINGS, "li")
    entry_id = _by_person(ledger(con, SETTINGS))[("prescriber", "DR1", "R-000002")].proposal.entry_id
    with pytest.raises(point_store.PointsError, match="confirm_points"):
        decide(con, cfg.workspace, entry_id, "confirmed", INVESTIGATOR)
    assert point_store.get_entry(con, entry_id).status == "proposed"
    decided = decide(con, cfg.workspace, entry_id, "confirmed", SUPERVISOR, note="checked the prescriptions")
    assert (decided.status, decided.decided_by) == ("confirmed", "zhao")
    events = [(e["action"], e["user"]) for e in audit.read_events(cfg.workspace) if e["target"] == f"points:{entry_id}"]
    assert events == [("points_denied", "li"), ("points_confirm", "zhao")]
    assert [h[0] for h in point_store.entry_history(con, entry_id)] == ["proposed", "confirmed"]
    with pytest.raises(point_store.PointsError, match="only a proposed entry"):
        decide(con, cfg.workspace, entry_id, "rejected", SUPERVISOR)


def test_decisions_survive_a_new_proposal_run_and_unconfirmed_rings_withdraw(tip_env):
    cfg, _ctx, store = tip_env
    con = store.relational()
    _confirm(con, "R-000001", "R-000002")
    refresh(con, cfg.workspace, cfg.app, SETTINGS, "li")
    lines = _by_person(ledger(con, SETTINGS))
    kept = lines[("prescriber", "DR1", "R-000002")].proposal.entry_id
    decide(con, cfg.workspace, kept, "confirmed", SUPERVISOR)
    set_triage(con.cursor(), "R-000001", "dismissed", updated_by="zhao")
    set_triage(con.cursor(), "R-000002", "dismissed", updated_by="zhao")
    counts = refresh(con, cfg.workspace, cfg.app, SETTINGS, "li")
    assert counts["withdrawn"] == 3  # PH1 and OP1 of the resale ring, operator OP2 of R-000002
    assert point_store.get_entry(con, kept).status == "confirmed"
    assert [item.proposal.entry_id for item in ledger(con, SETTINGS)] == [kept]


def test_registry_csv_lists_confirmed_entries_only(tip_env):
    cfg, _ctx, store = tip_env
    con = store.relational()
    _confirm(con, "R-000001")
    refresh(con, cfg.workspace, cfg.app, SETTINGS, "li")
    lines = _by_person(ledger(con, SETTINGS))
    decide(con, cfg.workspace, lines[("pharmacist", "PH1", "R-000001")].proposal.entry_id, "confirmed", SUPERVISOR)
    rows = list(csv.DictReader(io.StringIO(registry_csv(registry_rows(con, SETTINGS)).lstrip("\ufeff"))))
    assert [(r["person_id"], r["points"], r["consequence"], r["evidence_settlements"]) for r in rows] == \
        [("PH1", "12", "terminate", "S001;S002")]


def test_province_point_table_from_its_own_file(tmp_path):
    (tmp_path / "zj.toml").write_text(
        '[points]\nprovince = "浙江"\nsuspend_from = 8\n[points.rules.resale]\nschemes = ["trace_resale"]\n'
        'main = 10\nimportant = 6\ngeneral = 3\n', encoding="utf-8")
    s = PointSettings.from_config({"points": {"table_file": "zj.toml"}}, tmp_path)
    resale = s.rule_for("trace_resale")
    assert s.province == "浙江" and s.consequence(8) == "suspend" and resale is not None and resale.points["main"] == 10
    assert s.rule_for("over_prescription") is None
    with pytest.raises(PointSettingsError, match="main must be points from 0 to 12"):
        PointSettings.from_config({"points": {"rules": {"x": {"schemes": ["a"], "main": 13, "important": 1,
                                                              "general": 1}}}}, tmp_path)


def test_the_weekly_run_refreshes_proposals_as_user_weekly(tip_env):
    from ringscope.app.weekly import _refresh_credit_points

    cfg, _ctx, store = tip_env
    con = store.relational()
    _confirm(con, "R-000002")
    _refresh_credit_points(cfg, con)
    assert {item.proposal.person_id for item in ledger(con, SETTINGS)} == {"DR1", "OP2"}
    [event] = audit.read_events(cfg.workspace, action="points_propose")
    assert event["user"] == "weekly" and event["details"]["new"] == 2
