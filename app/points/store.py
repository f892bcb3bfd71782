"""Credit-point entries in the workspace catalogue, next to ring triage.

``point_entries`` holds one row per proposal (``app.points.rules``) with
its status: ``proposed`` until a supervisor ``confirmed`` or ``rejected``
it; a proposal whose ring is no longer confirmed, still undecided, becomes
``withdrawn``.  Decided entries are never rewritten by a later proposal run.
``point_log`` keeps every change (who, when, what, why), like
``ring_triage_log`` does for triage.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

import duckdb

from ringscope.app.errors import UserError
from ringscope.app.points.rules import Proposal

STATUSES = ("proposed", "confirmed", "rejected", "withdrawn")
DECISIONS = ("confirmed", "rejected")

DDL = (
    "CREATE TABLE IF NOT EXISTS point_entries (entry_id VARCHAR PRIMARY KEY, person_type VARCHAR, "
    "person_id VARCHAR, year INTEGER, ring_id VARCHAR, rule VARCHAR, responsibility VARCHAR, points INTEGER, "
    "occurred_on DATE, share DOUBLE, evidence VARCHAR, status VARCHAR, proposed_at TIMESTAMPTZ, "
    "decided_by VARCHAR, decided_at TIMESTAMPTZ, note VARCHAR)",
    "CREATE TABLE IF NOT EXISTS point_log (entry_id VARCHAR, status VARCHAR, by_user VARCHAR, logged_at TIMESTAMPTZ, "
    "note VARCHAR)",
)


class PointsError(UserError):
    """A point decision that cannot be made; the message says why."""


@dataclass(frozen=True)
class StoredEntry:
    proposal: Proposal
    status: str
    proposed_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    note: str


def ensure_points_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'point_entries'")
                .fetchall()[0][0])


def sync_proposals(con: duckdb.DuckDBPyConnection, proposals: Sequence[Proposal], by: str) -> dict[str, int]:
    """Store new proposals, refresh undecided ones, withdraw undecided ones no longer proposed; counts."""
    ensure_points_schema(con)
    now = datetime.now().astimezone()
    current = {r[0]: r[1] for r in con.execute("SELECT entry_id, status FROM point_entries").fetchall()}
    wanted = {p.entry_id for p in proposals}
    counts = {"new": 0, "refreshed": 0, "withdrawn": 0}
    con.execute("BEGIN TRANSACTION")
    try:
        for p in proposals:
            status = current.get(p.entry_id)
            if status in DECISIONS:
                continue
            values = [p.person_type, p.person_id, p.year, p.ring_id, p.rule, p.responsibility, p.points,
                      p.occurred_on, p.share, json.dumps(list(p.evidence), ensure_ascii=False)]
            if status is None:
                con.execute("INSERT INTO point_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, "
                            "NULL, NULL, NULL)", [p.entry_id, *values, now])
                con.execute("INSERT INTO point_log VALUES (?, 'proposed', ?, ?, NULL)", [p.entry_id, by, now])
                counts["new"] += 1
            else:
                con.execute("UPDATE point_entries SET person_type = ?, person_id = ?, year = ?, ring_id = ?, rule = ?, "
                            "responsibility = ?, points = ?, occurred_on = ?, share = ?, evidence = ?, "
                            "status = 'proposed' WHERE entry_id = ?", [*values, p.entry_id])
                counts["refreshed"] += 1
        for entry, status in current.items():
            if status == "proposed" and entry not in wanted:
                con.execute("UPDATE point_entries SET status = 'withdrawn' WHERE entry_id = ?", [entry])
                con.execute("INSERT INTO point_log VALUES (?, 'withdrawn', ?, ?, 'ring no longer confirmed')",
                            [entry, by, now])
                counts["withdrawn"] += 1
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return counts


_COLS = ("entry_id, person_type, person_id, year, ring_id, rule, responsibility, points, CAST(occurred_on AS VARCHAR), "
         "evidence, share, status, proposed_at, coalesce(decided_by, ''), decided_at, coalesce(note, '')")


def _entry(row: tuple) -> StoredEntry:
    proposal = Proposal(row[0], row[1], row[2], int(row[3]), row[4], row[5], row[6], int(row[7]), row[8],
                        tuple(json.loads(row[9] or "[]")), float(row[10] or 0))
    return StoredEntry(proposal, row[11], row[12], row[13], row[14], row[15])


def list_entries(con: duckdb.DuckDBPyConnection, year: int | None = None, ring_ids: Iterable[str] | None = None,
                 statuses: Iterable[str] | None = None) -> list[StoredEntry]:
    if not _exists(con):
        return []
    rings = None if ring_ids is None else list(ring_ids)
    wanted = None if statuses is None else list(statuses)
    rows = con.execute(
        f"SELECT {_COLS} FROM point_entries WHERE (? IS NULL OR year = ?) "
        "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], ring_id)) "
        "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], status)) "
        "ORDER BY person_type, person_id, year, occurred_on, ring_id",
        [year, year, rings, rings, wanted, wanted]).fetchall()
    return [_entry(r) for r in rows]


def get_entry(con: duckdb.DuckDBPyConnection, entry_id: str) -> StoredEntry:
    rows = con.execute(f"SELECT {_COLS} FROM point_entries WHERE entry_id = ?", [entry_id]).fetchall() \
        if _exists(con) else []
    if not rows:
        raise PointsError(f"no point entry {entry_id!r}; `ringscope points list` shows them")
    return _entry(rows[0])


def decide(con: duckdb.DuckDBPyConnection, entry_id: str, decision: str, by: str, note: str = "") -> StoredEntry:
    """A supervisor's confirmation or rejection of a proposal (a decided entry stays decided)."""
    if decision not in DECISIONS:
        raise PointsError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    entry = get_entry(con, entry_id)
    if entry.status != "proposed":
        raise PointsError(f"entry {entry_id} is {entry.status}; only a proposed entry can be "
                          f"{'confirmed' if decision == 'confirmed' else 'rejected'}")
    now = datetime.now().astimezone()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE point_entries SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE entry_id = ?",
                    [decision, by, now, note or None, entry_id])
        con.execute("INSERT INTO point_log VALUES (?, ?, ?, ?, ?)", [entry_id, decision, by, now, note or None])
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return get_entry(con, entry_id)


def entry_history(con: duckdb.DuckDBPyConnection, entry_id: str) -> list[tuple[str, str, datetime, str]]:
    if not _exists(con):
        return []
    return [(s, b, a, n or "") for s, b, a, n in con.execute(
        "SELECT status, by_user, logged_at, note FROM point_log WHERE entry_id = ? ORDER BY logged_at", [entry_id]).fetchall()]
