"""Ring history: what each weekly run found, week by week, in the workspace DuckDB.

``graph.ring_book`` keeps every detection run and gives a ring the same
``ring_id`` while it persists; this module keeps the *weekly* view an
investigator reads: which run stands for which ISO week, each ring's
status that week (new, grown, merged, ... from ``analytics.ring_evolution``),
and the lineage between one week's rings and the previous week's.

Tables (all keyed by ``week``, an ISO week such as ``2026-W47``; the text
sorts in time order):

``history_weeks``
    One row per week: ``week``, ``run_id`` (the ring book's run, when there is
    one), ``drop_id`` and ``drop_fingerprint`` (the drop ingested for the week),
    ``previous_week`` (the week it was compared with), ``data_as_of`` (latest
    settlement or claim time in the store: the report's stable stamp),
    ``rings``, ``fund_loss``, ``recorded_at``.
``history_rings``
    One row per ring and week: ``week``, ``ring_id``, ``present`` (false for a
    ring of the previous week that dissolved), ``scheme``, ``score``,
    ``status``, ``parents`` (previous-week ring ids), ``members``,
    ``members_added``, ``members_removed``, ``settlements``, ``claims``,
    ``fund_loss``, ``fund_loss_before``, ``evidence`` (JSON list of the ring's
    evidence items, ``kind``/``text``/``text_zh``).
``history_members``
    Members of the week's present rings: ``week``, ``ring_id``,
    ``member_type``, ``member_id``, ``role``.  Next week's classification
    reads them back, so the history does not depend on any other table.
``history_lineage``
    ``week``, ``ring_id``, ``parent_ring_id``, ``shared``, ``overlap``: which
    previous-week ring each ring came from and how much they share.

Re-running a week replaces that week's rows in one transaction, so the same
week twice leaves the same history (no duplicates).  Reading a ring's
history across weeks: :func:`ring_timeline`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Sequence

import duckdb

DDL = (
    "CREATE TABLE IF NOT EXISTS history_weeks (week VARCHAR PRIMARY KEY, run_id VARCHAR, drop_id VARCHAR, "
    "drop_fingerprint VARCHAR, previous_week VARCHAR, data_as_of TIMESTAMP, rings INTEGER, fund_loss DECIMAL(18,2), "
    "status_counts VARCHAR, recorded_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS history_rings (week VARCHAR, ring_id VARCHAR, present BOOLEAN, scheme VARCHAR, "
    "score DOUBLE, status VARCHAR, parents VARCHAR[], members INTEGER, members_added INTEGER, members_removed INTEGER, "
    "settlements INTEGER, claims INTEGER, fund_loss DECIMAL(18,2), fund_loss_before DECIMAL(18,2), evidence VARCHAR, "
    "PRIMARY KEY (week, ring_id, present))",
    "CREATE TABLE IF NOT EXISTS history_members (week VARCHAR, ring_id VARCHAR, member_type VARCHAR, member_id VARCHAR, "
    "role VARCHAR, PRIMARY KEY (week, ring_id, member_type, member_id))",
    "CREATE TABLE IF NOT EXISTS history_lineage (week VARCHAR, ring_id VARCHAR, parent_ring_id VARCHAR, shared INTEGER, "
    "overlap DOUBLE, PRIMARY KEY (week, ring_id, parent_ring_id))",
)
TABLES = ("history_weeks", "history_rings", "history_members", "history_lineage")


@dataclass
class WeekRing:
    """One ring row of a week (``present=False``: a previous-week ring that dissolved)."""

    ring_id: str
    scheme: str
    status: str
    score: float = 0.0
    present: bool = True
    parents: tuple[str, ...] = ()
    members: list[tuple[str, str, str]] = field(default_factory=list)  # (type, id, role); present rings only
    member_count: int = 0
    members_added: int = 0
    members_removed: int = 0
    settlements: int = 0
    claims: int = 0
    fund_loss: Decimal = Decimal("0.00")  # exact (analytics.fund_loss), stored as DECIMAL(18,2)
    fund_loss_before: Decimal = Decimal("0.00")
    evidence: list[dict] = field(default_factory=list)  # [{kind, text, text_zh}], strongest first


@dataclass(frozen=True)
class LineageRow:
    ring_id: str
    parent_ring_id: str
    shared: int
    overlap: float


@dataclass(frozen=True)
class WeekRun:
    week: str
    run_id: str | None = None
    drop_id: str | None = None
    drop_fingerprint: str | None = None
    previous_week: str | None = None
    data_as_of: datetime | None = None


def ensure_history_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the history tables if missing (a no-op on a read-only connection that has them)."""
    have = {t for (t,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE list_contains(?, table_name)", [list(TABLES)]
    ).fetchall()}
    if have == set(TABLES):
        return
    for ddl in DDL:
        con.execute(ddl)


def weeks(con: duckdb.DuckDBPyConnection) -> list[str]:
    ensure_history_schema(con)
    return [w for (w,) in con.execute("SELECT week FROM history_weeks ORDER BY week").fetchall()]


def previous_week(con: duckdb.DuckDBPyConnection, week: str) -> str | None:
    """The latest recorded week before ``week`` (what ``week`` is compared with)."""
    ensure_history_schema(con)
    row = con.execute("SELECT max(week) FROM history_weeks WHERE week < ?", [week]).fetchone()
    return row[0] if row else None


def week_members(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, tuple[str, frozenset[str], Decimal]]:
    """ring_id → (scheme, member keys ``type:id``, fund_loss) for the week's present rings."""
    ensure_history_schema(con)
    rings = con.execute(
        "SELECT ring_id, scheme, fund_loss FROM history_rings WHERE week = ? AND present ORDER BY ring_id", [week]
    ).fetchall()
    keys: dict[str, set[str]] = {rid: set() for rid, _s, _l in rings}
    for rid, key in con.execute(
        "SELECT ring_id, member_type || ':' || member_id FROM history_members WHERE week = ?", [week]
    ).fetchall():
        keys.setdefault(rid, set()).add(key)
    return {rid: (scheme, frozenset(keys[rid]), Decimal(loss or 0).quantize(Decimal("0.01"))) for rid, scheme, loss in rings}


def record_week(
    con: duckdb.DuckDBPyConnection,
    run: WeekRun,
    rings: Sequence[WeekRing],
    lineage: Iterable[LineageRow] = (),
    recorded_at: datetime | None = None,
) -> None:
    """Replace the week's history with these rings, atomically."""
    ensure_history_schema(con)
    present = [r for r in rings if r.present]
    counts: dict[str, int] = {}
    for r in rings:
        counts[r.status] = counts.get(r.status, 0) + 1
    fund_loss = sum((Decimal(r.fund_loss) for r in present), Decimal("0.00")).quantize(Decimal("0.01"))
    con.execute("BEGIN TRANSACTION")
    try:
        for table in TABLES:
            con.execute(f"DELETE FROM {table} WHERE week = ?", [run.week])
        con.execute(
            "INSERT INTO history_weeks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, now()))",
            [run.week, run.run_id, run.drop_id, run.drop_fingerprint, run.previous_week, run.data_as_of,
             len(present), fund_loss, json.dumps(dict(sorted(counts.items()))), recorded_at],
        )
        if rings:
            con.executemany(
                "INSERT INTO history_rings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[run.week, r.ring_id, r.present, r.scheme, float(r.score), r.status, list(r.parents),
                  r.member_count or len(r.members), r.members_added, r.members_removed, r.settlements, r.claims,
                  Decimal(r.fund_loss).quantize(Decimal("0.01")), Decimal(r.fund_loss_before).quantize(Decimal("0.01")),
                  json.dumps(r.evidence, ensure_ascii=False, sort_keys=True) if r.evidence else None] for r in rings],
            )
        member_rows = [[run.week, r.ring_id, t, i, role] for r in present for (t, i, role) in r.members]
        if member_rows:
            # set-based insert of possibly many rows: through a relation, not row by row
            import pandas as pd

            frame = pd.DataFrame(member_rows, columns=["week", "ring_id", "member_type", "member_id", "role"])
            frame = frame.drop_duplicates(["ring_id", "member_type", "member_id"])
            con.register("_history_members_in", frame)
            con.execute("INSERT INTO history_members SELECT week, ring_id, member_type, member_id, role FROM _history_members_in")
            con.unregister("_history_members_in")
        lineage_rows = [[run.week, link.ring_id, link.parent_ring_id, link.shared, link.overlap] for link in lineage]
        if lineage_rows:
            con.executemany("INSERT INTO history_lineage VALUES (?, ?, ?, ?, ?)", lineage_rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def ring_timeline(con: duckdb.DuckDBPyConnection, ring_id: str) -> list[dict]:
    """Every week a ring id appears in, oldest first: status, members, fund loss, parents."""
    ensure_history_schema(con)
    cur = con.execute(
        "SELECT week, present, status, scheme, members, members_added, members_removed, fund_loss, parents "
        "FROM history_rings WHERE ring_id = ? ORDER BY week, present DESC", [ring_id]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def week_trend(con: duckdb.DuckDBPyConnection, upto_week: str) -> list[dict]:
    """Per recorded week up to ``upto_week``: rings, fund loss, new and dissolved rings."""
    ensure_history_schema(con)
    cur = con.execute(
        "SELECT w.week, w.rings, w.fund_loss, "
        "count(*) FILTER (WHERE r.status = 'new') AS new_rings, "
        "count(*) FILTER (WHERE r.status = 'dissolved') AS dissolved_rings "
        "FROM history_weeks w LEFT JOIN history_rings r USING (week) WHERE w.week <= ? "
        "GROUP BY ALL ORDER BY w.week", [upto_week]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
