"""The weekly report's tip-off and credit-point figures for one ISO week.

Counted over the week's Monday 00:00 to the next Monday 00:00, China
Standard Time: tips received (by ``received_at``) and how many of them link
to a ring or DRG case, tips verified and rewarded (by their log), credit
points proposed (first proposal) and confirmed or rejected (decision time).
Tip ids, channels and staff codes only: no free text, no contact, so the
section needs no masking.  Without the tables (no tip or point ever stored)
the section says so rather than printing zeros that look like a finding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import duckdb

CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class TipsPointsWeek:
    available: bool
    tips_received: int = 0
    tips_linked: int = 0
    tips_verified: int = 0
    tips_rewarded: int = 0
    points_proposed: int = 0
    points_confirmed: int = 0
    points_rejected: int = 0
    tips: list[dict[str, Any]] = field(default_factory=list)  # the week's tips: id, received, channel, status, rings
    confirmed: list[dict[str, Any]] = field(default_factory=list)  # the week's confirmed entries


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[0][0])


def week_figures(con: duckdb.DuckDBPyConnection, monday: date, sunday: date) -> TipsPointsWeek:
    start = datetime.combine(monday, time.min, CST)
    end = datetime.combine(sunday + timedelta(days=1), time.min, CST)
    has_tips, has_points = _has(con, "tips"), _has(con, "point_entries")
    if not has_tips and not has_points:
        return TipsPointsWeek(available=False)
    out: dict[str, Any] = {"available": True}
    if has_tips:
        rows = con.execute(
            "SELECT t.tip_id, t.received_at, t.channel, t.status, "
            "string_agg(DISTINCT l.target_id, ', ' ORDER BY l.target_id) FILTER (WHERE l.target_kind IN ('ring', 'drg_case') "
            "AND l.relation IN ('member', 'neighbourhood')) AS rings "
            "FROM tips t LEFT JOIN tip_links l USING (tip_id) WHERE t.received_at >= ? AND t.received_at < ? "
            "GROUP BY ALL ORDER BY t.received_at, t.tip_id", [start, end]).fetchall()
        out["tips"] = [{"tip_id": r[0], "received": r[1].astimezone(CST).strftime("%Y-%m-%d %H:%M"), "channel": r[2],
                        "status": r[3], "rings": r[4] or ""} for r in rows]
        out["tips_received"], out["tips_linked"] = len(rows), sum(1 for r in rows if r[4])
        moved = dict(con.execute("SELECT status, count(DISTINCT tip_id) FROM tip_log WHERE logged_at >= ? AND "
                                 "logged_at < ? AND status IN ('verified', 'rewarded') "
                                 "AND json_extract(details, '$.reward') IS NOT NULL GROUP BY status",  # status changes only
                                 [start, end]).fetchall())
        out["tips_verified"], out["tips_rewarded"] = int(moved.get("verified", 0)), int(moved.get("rewarded", 0))
    if has_points:
        counts = dict(con.execute("SELECT status, count(DISTINCT entry_id) FROM point_log WHERE logged_at >= ? "
                                  "AND logged_at < ? GROUP BY status", [start, end]).fetchall())
        out["points_proposed"] = int(counts.get("proposed", 0))
        out["points_confirmed"], out["points_rejected"] = int(counts.get("confirmed", 0)), int(counts.get("rejected", 0))
        rows = con.execute("SELECT entry_id, person_type, person_id, year, points, ring_id FROM point_entries "
                           "WHERE status = 'confirmed' AND decided_at >= ? AND decided_at < ? "
                           "ORDER BY person_type, person_id, entry_id", [start, end]).fetchall()
        out["confirmed"] = [{"entry_id": r[0], "person_type": r[1], "person_id": r[2], "year": r[3], "points": r[4],
                             "ring_id": r[5]} for r in rows]
    return TipsPointsWeek(**out)
