"""graph.ring_history: weeks replace themselves, timelines and trends read back."""
from __future__ import annotations

from datetime import datetime

import duckdb

from ringscope.graph.ring_history import previous_week, ring_timeline, week_members, week_trend, weeks
from tests.report.handmade import WEEK2, record, two_weeks


def table_rows(con):
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("history_weeks", "history_rings", "history_members", "history_lineage")}


def test_rerecording_a_week_replaces_it():
    con = duckdb.connect()
    two_weeks(con)
    before = table_rows(con)
    record(con, "2026-W47", WEEK2, datetime(2026, 11, 22, 20, 0))
    assert table_rows(con) == before
    assert weeks(con) == ["2026-W46", "2026-W47"]


def test_previous_week_and_members():
    con = duckdb.connect()
    two_weeks(con)
    assert previous_week(con, "2026-W47") == "2026-W46"
    assert previous_week(con, "2026-W46") is None
    members = week_members(con, "2026-W47")
    scheme, keys, loss = members["R-000002"]
    assert scheme == "borrowed_cards" and len(keys) == 7 and loss == 9500


def test_ring_timeline_and_trend():
    con = duckdb.connect()
    two_weeks(con)
    timeline = ring_timeline(con, "R-000001")
    assert [(t["week"], t["status"], t["members"]) for t in timeline] == [("2026-W46", "new", 5), ("2026-W47", "grown", 7)]
    gone = ring_timeline(con, "R-000004")
    assert [(t["week"], t["status"], t["present"]) for t in gone] == [("2026-W46", "new", True), ("2026-W47", "dissolved", False)]
    trend = week_trend(con, "2026-W47")
    assert [(t["week"], t["rings"], t["new_rings"], t["dissolved_rings"]) for t in trend] == [
        ("2026-W46", 4, 4, 0), ("2026-W47", 3, 1, 1)]
    lineage = con.execute("SELECT ring_id, parent_ring_id FROM history_lineage WHERE week = '2026-W47' ORDER BY ALL").fetchall()
    assert lineage == [("R-000001", "R-000001"), ("R-000002", "R-000002"), ("R-000002", "R-000003")]
