"""The weekly report's section on tip-offs and credit points."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb

from ringscope.app.points import store as point_store
from ringscope.app.points.rules import Proposal
from ringscope.app.report.data import build_report_data
from ringscope.app.report.render import render_html
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.weekly import week_figures
from tests.report.handmade import two_weeks

CST = timezone(timedelta(hours=8))
IN_W47 = datetime(2026, 11, 20, 9, 30, tzinfo=CST)


def _tip(n: int, received: datetime, linked: bool) -> tip_store.NewTip:
    links = [tip_store.LinkRow("ring", "R-000001", "member", 0, "Patient:P001")] if linked else \
        [tip_store.LinkRow("ring", "R-000002", "nearest", 3, "Patient:P009")]
    return tip_store.NewTip(f"fp{n}", received, "wechat", "", f"举报 {n}：张三丰倒卖药品", b"token", {}, [], links)


def _history_with_tips_and_points() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    two_weeks(con)
    tip_store.store_tips(con, [_tip(1, IN_W47, True), _tip(2, IN_W47 + timedelta(hours=1), False),
                               _tip(3, IN_W47 - timedelta(days=7), True)], "li", "tips.json")
    proposal = Proposal("PE-000000000001", "pharmacist", "PH1", 2026, "R-000001", "fraud_serious", "main", 12,
                        "2026-11-10")
    point_store.sync_proposals(con, [proposal, Proposal("PE-000000000002", "operator", "OP1", 2026, "R-000001",
                                                        "fraud_serious", "main", 12, "2026-11-10")], "li")
    point_store.decide(con, "PE-000000000001", "confirmed", "zhao")
    con.execute("UPDATE point_log SET logged_at = ?", [IN_W47])
    con.execute("UPDATE point_entries SET decided_at = ? WHERE decided_at IS NOT NULL", [IN_W47])
    return con


def test_week_figures_count_the_weeks_tips_and_points():
    con = _history_with_tips_and_points()
    tp = week_figures(con, date(2026, 11, 16), date(2026, 11, 22))
    assert (tp.tips_received, tp.tips_linked) == (2, 1)  # the nearest-ring tip is received but not linked
    assert (tp.points_proposed, tp.points_confirmed, tp.points_rejected) == (2, 1, 0)
    assert [t["tip_id"] for t in tp.tips] == ["T-000001", "T-000002"] and tp.tips[0]["rings"] == "R-000001"
    assert [e["person_id"] for e in tp.confirmed] == ["PH1"]
    earlier = week_figures(con, date(2026, 11, 9), date(2026, 11, 15))
    assert (earlier.tips_received, earlier.points_confirmed) == (1, 0)


def test_report_has_the_section_without_free_text():
    con = _history_with_tips_and_points()
    html = render_html(build_report_data(con, "2026-W47"), "zh")
    section = html[html.index('id="tips-points"'):]
    assert "本周受理举报 2 条，其中 1 条关联到已发现的团伙或病例" in section
    assert "本周拟记分 2 条，确认 1 条" in section and 'data-entry-id="PE-000000000001"' in section
    assert "张三丰" not in section  # the tips' free text never goes into the report


def test_report_says_when_nothing_was_recorded():
    con = duckdb.connect()
    two_weeks(con)
    html = render_html(build_report_data(con, "2026-W47"), "en")
    assert "No tip-off or credit point has been recorded yet." in html[html.index('id="tips-points"'):]
