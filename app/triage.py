"""Triage of rings: status, assignee and notes, kept across detection runs.

Stored in the workspace catalogue (the DuckDB file every store keeps) in
table ``ring_triage``, keyed by ``ring_id``.  Ring ids are stable across runs
on growing data (data contract, section 3), so a ring's triage survives
re-detection; a ring never triaged is ``new``.  Every change is also kept in
``ring_triage_log`` (who changed what, when), so a status is never lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import duckdb

STATUSES: tuple[str, ...] = ("new", "investigating", "confirmed", "dismissed")
DEFAULT_STATUS = "new"

DDL = (
    "CREATE TABLE IF NOT EXISTS ring_triage (ring_id VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, "
    "assignee VARCHAR, notes VARCHAR, updated_by VARCHAR, updated_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS ring_triage_log (ring_id VARCHAR, status VARCHAR, assignee VARCHAR, "
    "notes VARCHAR, updated_by VARCHAR, updated_at TIMESTAMPTZ)",
)


class TriageError(Exception):
    """A triage change that cannot be stored; the message says why."""


@dataclass(frozen=True)
class Triage:
    ring_id: str
    status: str = DEFAULT_STATUS
    assignee: str = ""
    notes: str = ""
    updated_by: str = ""
    updated_at: datetime | None = None


def ensure_triage_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ring_triage'").fetchall()[0][0])


def get_triage(con: duckdb.DuckDBPyConnection, ring_id: str) -> Triage:
    if not _exists(con):
        return Triage(ring_id)
    row = con.execute(
        "SELECT ring_id, status, coalesce(assignee, ''), coalesce(notes, ''), coalesce(updated_by, ''), updated_at "
        "FROM ring_triage WHERE ring_id = ?", [ring_id]).fetchall()
    return Triage(*row[0]) if row else Triage(ring_id)


def all_triage(con: duckdb.DuckDBPyConnection, ring_ids: Iterable[str] | None = None) -> dict[str, Triage]:
    """Triage of the given rings (all stored ones when None); rings never triaged are ``new``."""
    stored: dict[str, Triage] = {}
    if _exists(con):
        rows = con.execute(
            "SELECT ring_id, status, coalesce(assignee, ''), coalesce(notes, ''), coalesce(updated_by, ''), updated_at "
            "FROM ring_triage").fetchall()
        stored = {r[0]: Triage(*r) for r in rows}
    if ring_ids is None:
        return stored
    return {rid: stored.get(rid, Triage(rid)) for rid in ring_ids}


def set_triage(con: duckdb.DuckDBPyConnection, ring_id: str, status: str, assignee: str = "", notes: str = "",
               updated_by: str = "") -> Triage:
    """Store a ring's triage (replacing the current one) and log the change."""
    if status not in STATUSES:
        raise TriageError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if not ring_id:
        raise TriageError("a ring id is needed")
    ensure_triage_schema(con)
    now = datetime.now().astimezone()
    values = [ring_id, status, assignee.strip() or None, notes.strip() or None, updated_by or None, now]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT OR REPLACE INTO ring_triage VALUES (?, ?, ?, ?, ?, ?)", values)
        con.execute("INSERT INTO ring_triage_log VALUES (?, ?, ?, ?, ?, ?)", values)
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return get_triage(con, ring_id)


def triage_history(con: duckdb.DuckDBPyConnection, ring_id: str) -> list[Triage]:
    if not _exists(con):
        return []
    rows = con.execute(
        "SELECT ring_id, status, coalesce(assignee, ''), coalesce(notes, ''), coalesce(updated_by, ''), updated_at "
        "FROM ring_triage_log WHERE ring_id = ? ORDER BY updated_at", [ring_id]).fetchall()
    return [Triage(*r) for r in rows]


@dataclass(frozen=True)
class TriageChange:
    """One step of a ring's triage history: who changed it, when, from which status to which, and the note."""

    ring_id: str
    changed_at: datetime | None
    changed_by: str
    from_status: str
    to_status: str
    assignee: str
    note: str


def _note_added(before: str, after: str) -> str:
    """What a change wrote into the notes: the appended part when notes were added to, else the whole new text.

    The log keeps each change's full notes (a masked viewer appends to them), so the history shows the part a
    change wrote rather than repeating every earlier note on every line.
    """
    if after == before:
        return ""
    if before and after.startswith(before):
        return after[len(before):].strip()
    return after


def triage_changes(con: duckdb.DuckDBPyConnection, ring_id: str) -> list[TriageChange]:
    """The ring's triage history, oldest first; the first change starts from ``new`` (never triaged)."""
    changes: list[TriageChange] = []
    before = Triage(ring_id)
    for entry in triage_history(con, ring_id):
        changes.append(TriageChange(ring_id, entry.updated_at, entry.updated_by, before.status, entry.status,
                                    entry.assignee, _note_added(before.notes, entry.notes)))
        before = entry
    return changes
