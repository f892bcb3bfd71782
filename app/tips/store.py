"""Tip-offs in the workspace catalogue, next to ring triage.

Tables (created on first write, as ``app.triage`` does): ``tips`` (one row
per tip; the tipster's contact only as a Fernet token), ``tip_entities``
(what the tip names: ids, names and addresses as given, ID numbers and
phones only as keyed hash and mask, the store's matches as JSON),
``tip_links`` (rings, DRG cases or the nearest structure the tip touches)
and ``tip_log`` (every status change: who, when, why), so a tip's lifecycle
is never lost.  Each write is one transaction: a tip lands with its
entities and links or not at all.

Lifecycle: received -> verified -> rewarded, and received or verified ->
rejected; nothing leaves rewarded or rejected.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable, Sequence

import duckdb

from ringscope.app.errors import UserError

CST = timezone(timedelta(hours=8))
STATUSES: tuple[str, ...] = ("received", "verified", "rewarded", "rejected")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("verified", "rejected"), "verified": ("rewarded", "rejected"), "rewarded": (), "rejected": (),
}

DDL = (
    "CREATE TABLE IF NOT EXISTS tips (tip_id VARCHAR PRIMARY KEY, fingerprint VARCHAR UNIQUE, "
    "received_at TIMESTAMPTZ NOT NULL, channel VARCHAR NOT NULL, tip_ref VARCHAR, text VARCHAR NOT NULL, "
    "contact_token BLOB, status VARCHAR NOT NULL, reward DECIMAL(12, 2), reward_rule VARCHAR, "
    "reward_rule_zh VARCHAR, extra VARCHAR, source_file VARCHAR, created_by VARCHAR, "
    "created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS tip_entities (tip_id VARCHAR, seq INTEGER, type VARCHAR, value VARCHAR, "
    "value_hash VARCHAR, value_masked VARCHAR, matches VARCHAR, confirmed VARCHAR, PRIMARY KEY (tip_id, seq))",
    "CREATE TABLE IF NOT EXISTS tip_links (tip_id VARCHAR, target_kind VARCHAR, target_id VARCHAR, "
    "relation VARCHAR, distance INTEGER, via VARCHAR, verified BOOLEAN DEFAULT false, linked_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS tip_log (tip_id VARCHAR, status VARCHAR, note VARCHAR, by_user VARCHAR, "
    "logged_at TIMESTAMPTZ, details VARCHAR)",
)


class TipError(UserError):
    """A tip change that cannot be made; the message says why."""


@dataclass(frozen=True)
class EntityRow:
    seq: int
    type: str
    value: str | None  # None for ID numbers and phones (hash and mask only)
    value_hash: str | None
    value_masked: str
    matches: tuple[dict[str, str], ...]
    confirmed: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkRow:
    target_kind: str
    target_id: str
    relation: str
    distance: int
    via: str
    verified: bool = False
    linked_at: datetime | None = None


@dataclass(frozen=True)
class TipRecord:
    tip_id: str
    received_at: datetime
    channel: str
    tip_ref: str
    text: str
    status: str
    has_contact: bool
    reward: Decimal | None
    reward_rule: str
    reward_rule_zh: str
    created_by: str
    created_at: datetime | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class NewTip:
    """Everything one tip stores, prepared before the transaction."""
    fingerprint: str
    received_at: datetime
    channel: str
    tip_ref: str
    text: str
    contact_token: bytes | None
    extra: dict[str, Any]
    entities: list[EntityRow]
    links: list[LinkRow]


def ensure_tip_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'tips'").fetchall()[0][0])


def find_fingerprints(con: duckdb.DuckDBPyConnection, fingerprints: Sequence[str]) -> dict[str, str]:
    if not _exists(con) or not fingerprints:
        return {}
    rows = con.execute("SELECT fingerprint, tip_id FROM tips WHERE list_contains(?, fingerprint)",
                       [list(fingerprints)]).fetchall()
    return {f: t for f, t in rows}


def _next_ids(con: duckdb.DuckDBPyConnection, n: int) -> list[str]:
    row = con.execute("SELECT max(CAST(substr(tip_id, 3) AS BIGINT)) FROM tips WHERE tip_id LIKE 'T-%'").fetchall()[0]
    start = int(row[0] or 0) + 1
    return [f"T-{i:06d}" for i in range(start, start + n)]


def store_tips(con: duckdb.DuckDBPyConnection, tips: Sequence[NewTip], by: str, source_file: str) -> list[str]:
    """Insert the tips with their entities, links and a ``received`` log line, all or nothing."""
    ensure_tip_schema(con)
    now = datetime.now().astimezone()
    con.execute("BEGIN TRANSACTION")
    try:
        ids = _next_ids(con, len(tips))
        for tip_id, tip in zip(ids, tips):
            con.execute("INSERT INTO tips VALUES (?, ?, ?, ?, ?, ?, ?, 'received', 0, NULL, NULL, ?, ?, ?, ?, ?)",
                        [tip_id, tip.fingerprint, tip.received_at, tip.channel, tip.tip_ref or None, tip.text,
                         tip.contact_token, json.dumps(tip.extra, ensure_ascii=False, default=str), source_file,
                         by, now, now])
            for e in tip.entities:
                con.execute("INSERT INTO tip_entities VALUES (?, ?, ?, ?, ?, ?, ?, '[]')",
                            [tip_id, e.seq, e.type, e.value, e.value_hash, e.value_masked,
                             json.dumps(list(e.matches), ensure_ascii=False)])
            _insert_links(con, tip_id, tip.links, now)
            con.execute("INSERT INTO tip_log VALUES (?, 'received', ?, ?, ?, ?)",
                        [tip_id, f"from {source_file}", by, now, json.dumps({"links": len(tip.links)})])
        con.execute("COMMIT")
    except duckdb.ConstraintException:
        con.execute("ROLLBACK")
        raise TipError("another tip was stored at the same moment (or this one already was); nothing of this "
                       "file was stored: add it again") from None
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return ids


def _insert_links(con: duckdb.DuckDBPyConnection, tip_id: str, links: Iterable[LinkRow], now: datetime) -> None:
    for link in links:
        con.execute("INSERT INTO tip_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [tip_id, link.target_kind, link.target_id, link.relation, link.distance, link.via,
                     link.verified, now])


def replace_links(con: duckdb.DuckDBPyConnection, tip_id: str, links: Sequence[LinkRow], by: str) -> None:
    """New links after re-linking (verified ones are kept as they were)."""
    get_tip(con, tip_id)
    now = datetime.now().astimezone()
    kept = {(item.target_kind, item.target_id) for item in tip_links(con, tip_id) if item.verified}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM tip_links WHERE tip_id = ? AND NOT verified", [tip_id])
        _insert_links(con, tip_id, [item for item in links if (item.target_kind, item.target_id) not in kept], now)
        con.execute("INSERT INTO tip_log SELECT tip_id, status, 'relinked', ?, ?, ? FROM tips WHERE tip_id = ?",
                    [by, now, json.dumps({"links": len(links)}), tip_id])
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise


_TIP_COLS = ("tip_id, received_at, channel, coalesce(tip_ref, ''), text, status, contact_token IS NOT NULL, reward, "
             "coalesce(reward_rule, ''), coalesce(reward_rule_zh, ''), coalesce(created_by, ''), created_at, extra")


def _cst(value: datetime | None) -> datetime | None:
    """Times are shown in China Standard Time whatever the session's zone (data contract convention)."""
    return value.astimezone(CST) if isinstance(value, datetime) else value


def _record(row: tuple) -> TipRecord:
    names = ("tip_id", "received_at", "channel", "tip_ref", "text", "status", "has_contact", "reward", "reward_rule",
             "reward_rule_zh", "created_by", "created_at")
    values = dict(zip(names, row))
    values["received_at"], values["created_at"] = _cst(values["received_at"]), _cst(values["created_at"])
    return TipRecord(**values, extra=json.loads(row[12] or "{}"))


def get_tip(con: duckdb.DuckDBPyConnection, tip_id: str) -> TipRecord:
    rows = con.execute(f"SELECT {_TIP_COLS} FROM tips WHERE tip_id = ?", [tip_id]).fetchall() if _exists(con) else []
    if not rows:
        raise TipError(f"no tip {tip_id!r}; `ringscope tip list` shows the stored tips")
    return _record(rows[0])


def list_tips(con: duckdb.DuckDBPyConnection, status: str | None = None) -> list[TipRecord]:
    if not _exists(con):
        return []
    rows = con.execute(f"SELECT {_TIP_COLS} FROM tips WHERE ? IS NULL OR status = ? ORDER BY received_at, tip_id",
                       [status, status]).fetchall()
    return [_record(r) for r in rows]


def tip_entities(con: duckdb.DuckDBPyConnection, tip_id: str) -> list[EntityRow]:
    rows = con.execute("SELECT seq, type, value, value_hash, coalesce(value_masked, ''), matches, confirmed "
                       "FROM tip_entities WHERE tip_id = ? ORDER BY seq", [tip_id]).fetchall()
    return [EntityRow(s, t, v, h, m, tuple(json.loads(ma or "[]")), tuple(json.loads(c or "[]")))
            for s, t, v, h, m, ma, c in rows]


def tip_links(con: duckdb.DuckDBPyConnection, tip_id: str) -> list[LinkRow]:
    if not _exists(con):
        return []
    rows = con.execute("SELECT target_kind, target_id, relation, distance, coalesce(via, ''), verified, linked_at "
                       "FROM tip_links WHERE tip_id = ? ORDER BY distance, target_kind, target_id", [tip_id]).fetchall()
    return [LinkRow(*r) for r in rows]


def tips_of_ring(con: duckdb.DuckDBPyConnection, ring_id: str) -> list[tuple[TipRecord, LinkRow]]:
    """The tips linked to one ring (the ring page lists them)."""
    if not _exists(con):
        return []
    rows = con.execute("SELECT DISTINCT tip_id FROM tip_links WHERE target_kind = 'ring' AND target_id = ? "
                       "ORDER BY tip_id", [ring_id]).fetchall()
    out = []
    for (tip_id,) in rows:
        link = next(item for item in tip_links(con, tip_id) if item.target_kind == "ring" and item.target_id == ring_id)
        out.append((get_tip(con, tip_id), link))
    return out


def contact_token(con: duckdb.DuckDBPyConnection, tip_id: str) -> bytes | None:
    row = con.execute("SELECT contact_token FROM tips WHERE tip_id = ?", [tip_id]).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def tip_history(con: duckdb.DuckDBPyConnection, tip_id: str) -> list[dict[str, Any]]:
    rows = con.execute("SELECT status, coalesce(note, ''), by_user, logged_at FROM tip_log WHERE tip_id = ? ORDER BY logged_at",
                       [tip_id]).fetchall()
    return [{"status": s, "note": n, "by": b, "at": _cst(a)} for s, n, b, a in rows]


def change_status(con: duckdb.DuckDBPyConnection, tip_id: str, status: str, by: str, note: str = "",
                  verified_rings: Sequence[str] = (), reward: tuple[Decimal, str, str] | None = None) -> TipRecord:
    """Move a tip along its lifecycle, mark the rings it led to and store the reward estimate; logged."""
    tip = get_tip(con, tip_id)
    if status not in STATUSES:
        raise TipError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if status not in TRANSITIONS[tip.status]:
        allowed = ", ".join(TRANSITIONS[tip.status]) or "none (final)"
        raise TipError(f"tip {tip_id} is {tip.status}; it can move to: {allowed}")
    now = datetime.now().astimezone()
    con.execute("BEGIN TRANSACTION")
    try:
        if verified_rings:
            con.execute("UPDATE tip_links SET verified = true WHERE tip_id = ? AND target_kind IN ('ring', 'drg_case') "
                        "AND list_contains(?, target_id)", [tip_id, list(verified_rings)])
        amount, rule, rule_zh = reward if reward else (Decimal(0), "", "")
        con.execute("UPDATE tips SET status = ?, reward = ?, reward_rule = ?, reward_rule_zh = ?, updated_at = ? "
                    "WHERE tip_id = ?", [status, amount, rule or None, rule_zh or None, now, tip_id])
        con.execute("INSERT INTO tip_log VALUES (?, ?, ?, ?, ?, ?)",
                    [tip_id, status, note or None, by, now,
                     json.dumps({"verified_rings": list(verified_rings), "reward": str(amount)})])
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return get_tip(con, tip_id)


def confirm_matches(con: duckdb.DuckDBPyConnection, tip_id: str, seq: int, keys: Sequence[str], by: str) -> None:
    """The investigator's choice among an entity's matches (logged like a status change)."""
    tip = get_tip(con, tip_id)
    now = datetime.now().astimezone()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE tip_entities SET confirmed = ? WHERE tip_id = ? AND seq = ?",
                    [json.dumps(sorted(keys)), tip_id, seq])
        con.execute("INSERT INTO tip_log VALUES (?, ?, 'matches confirmed', ?, ?, ?)",
                    [tip_id, tip.status, by, now, json.dumps({"entity": seq, "confirmed": sorted(keys)})])
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
