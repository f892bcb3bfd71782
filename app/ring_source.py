"""Where rings come from, for the explorer, the report and the referral export.

The ring book (``graph.ring_book``, written by ``ringscope detect``) is the
normal source: the rings of the latest detection run, with stable ring ids.
A ``rings.json`` (data contract, section 3) is read when the configuration
names one (``[app] rings_file`` / ``--rings``) or the workspace has no ring
book yet (``<workspace>/rings.json``), so a ring handed over by another site
can be explored and referred too.  Whatever the source, callers see one typed
:class:`RingRecord`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import duckdb

from ringscope.analytics.ring import Member
from ringscope.analytics.rings_json import read_rings_json
from ringscope.app.errors import UserError
from ringscope.graph import ring_book

RINGS_FILE = "rings.json"
MemberRecord = Member  # members are the detector's own type


class RingSourceError(UserError):
    """The rings cannot be read; the message says which file and what to do."""


@dataclass(frozen=True)
class EvidenceRecord:
    kind: str
    text: str
    text_zh: str = ""
    value: float | None = None
    scheme: str = ""  # for a mixed ring: the scheme this item came from

    def in_language(self, lang: str) -> str:
        return (self.text_zh or self.text) if lang == "zh" else (self.text or self.text_zh)


@dataclass(frozen=True)
class RingRecord:
    ring_id: str
    scheme: str
    score: float
    members: tuple[Member, ...]
    fund_loss: float = 0.0  # as detection reported it (for display; exports recompute it)
    settlement_ids: tuple[str, ...] = ()
    claim_ids: tuple[str, ...] = ()
    evidence: tuple[EvidenceRecord, ...] = ()
    reported_fund_loss: Decimal | None = None  # the same figure, exact, when the source gave one
    run_id: str = ""  # the detection run the ring came from
    run_info: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    source: str = ""  # "ring book" or the rings.json path
    schemes: tuple[str, ...] = ()  # the schemes behind the ring (a mixed ring's parts)

    @property
    def size(self) -> int:
        return len(self.members)

    def members_of(self, entity_type: str) -> list[str]:
        return [m.id for m in self.members if m.type == entity_type]


@dataclass(frozen=True)
class RingSet:
    rings: tuple[RingRecord, ...]
    source: str  # "ring book" or the rings.json path
    generated_at: str = ""

    def get(self, ring_id: str) -> RingRecord | None:
        return next((r for r in self.rings if r.ring_id == ring_id), None)


def ring_from_json(item: dict[str, Any], run_id: str = "", run_info: dict[str, Any] | None = None,
                   source: str = "") -> RingRecord:
    """A contract section 3 ring object (extra keys ignored but ``schemes`` and evidence ``scheme``)."""
    loss = item.get("fund_loss")
    scheme = str(item.get("scheme") or "mixed")
    evidence = tuple(
        EvidenceRecord(str(e.get("kind", "")), str(e.get("text", "")), str(e.get("text_zh", "") or ""),
                       e.get("value"), str(e.get("scheme") or ""))
        for e in item.get("evidence", []) or []
    )
    return RingRecord(
        ring_id=str(item["ring_id"]),
        scheme=scheme,
        score=float(item.get("score") or 0.0),
        members=tuple(Member(str(m["type"]), str(m["id"]), str(m.get("role") or "member"))
                      for m in item.get("members", [])),
        fund_loss=float(loss or 0.0),
        settlement_ids=tuple(sorted({str(s) for s in item.get("settlement_ids", []) or []})),
        claim_ids=tuple(sorted({str(c) for c in item.get("claim_ids", []) or []})),
        evidence=evidence,
        reported_fund_loss=None if loss is None else Decimal(str(loss)).quantize(Decimal("0.01")),
        run_id=run_id or str(item.get("run_id") or ""),
        run_info=dict(run_info or {}),
        source=source,
        schemes=_schemes(scheme, item.get("schemes"), evidence),
    )


def _schemes(scheme: str, listed: Any, evidence: tuple[EvidenceRecord, ...]) -> tuple[str, ...]:
    """A ring's schemes: its own; for a mixed ring those listed, else those its evidence names."""
    if scheme != "mixed":
        return (scheme,)
    if isinstance(listed, list) and listed:
        return tuple(str(s) for s in listed)
    from ringscope.ingest.contract import SCHEMES

    found = {e.scheme for e in evidence if e.scheme}
    order = {s: i for i, s in enumerate(SCHEMES)}
    return tuple(sorted(found, key=lambda s: (order.get(s, len(order)), s)))


def _sorted(rings: Iterable[RingRecord]) -> tuple[RingRecord, ...]:
    return tuple(sorted(rings, key=lambda r: (-r.score, r.ring_id)))


def _read_doc(path: Path) -> dict[str, Any]:
    try:
        return read_rings_json(path)
    except ValueError as exc:
        raise RingSourceError(f"{exc}; use a rings.json written by `ringscope detect`") from None


def read_rings_file(path: Path) -> RingSet:
    doc = _read_doc(path)
    run_id = str(doc.get("run_id") or f"rings.json@{doc.get('generated_at', '')}")
    run_info = {k: v for k, v in doc.items() if k != "rings" and isinstance(v, (str, int, float))}
    try:
        rings = [ring_from_json(item, run_id, run_info, source=f"rings.json ({Path(path).name})")
                 for item in doc["rings"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise RingSourceError(f"{path}: a ring lacks a required field ({exc})") from None
    return RingSet(_sorted(rings), source=str(path), generated_at=str(doc.get("generated_at", "")))


def _ring_book_rings(con: duckdb.DuckDBPyConnection) -> RingSet | None:
    """The latest run's rings from the ring book, or None when there is none (yet)."""
    try:
        found = ring_book.latest_rings(con.cursor())
    except duckdb.CatalogException:  # no ring book tables in this workspace yet
        return None
    if not found:
        return None
    return RingSet(_sorted(ring_from_json(i, source="ring book") for i in found), source="ring book")


def load_rings(workspace: Path, con: duckdb.DuckDBPyConnection | None, app_config: dict[str, Any] | None = None) -> RingSet:
    """The rings to explore: ``[app] rings_file`` if set, else the ring book, else ``<workspace>/rings.json``.

    An empty :class:`RingSet` (no error) when nothing has been detected yet.
    """
    app_config = app_config or {}
    if app_config.get("rings_file"):
        return read_rings_file(Path(app_config["rings_file"]))
    if con is not None:
        book = _ring_book_rings(con)
        if book is not None:
            return book
    default = Path(workspace) / RINGS_FILE
    if default.exists():
        return read_rings_file(default)
    return RingSet((), source="")


def _from_ring_book(con: duckdb.DuckDBPyConnection, ring_id: str) -> RingRecord | None:
    """One ring as the ring book holds it (latest run that has it), with its run's drops."""
    try:
        item = ring_book.get_ring(con, ring_id)
    except duckdb.CatalogException:  # no ring book in this workspace yet
        return None
    if item is None:
        return None
    run_id = str(item.get("run_id") or "")
    run_info: dict[str, object] = {k: v for k, v in (item.get("run") or {}).items() if isinstance(v, (str, int, float))}
    run_info["drop_ids"] = run_drops(con, run_id)
    return ring_from_json(item, run_id, run_info, source="ring book")


def run_drops(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The drops a detection run read (empty when the ring book does not know the run)."""
    try:
        rows = con.execute("SELECT drop_ids FROM ring_runs WHERE run_id = ?", [run_id]).fetchall()
    except duckdb.CatalogException:  # no ring book in this workspace yet
        return []
    return sorted(rows[0][0] or []) if rows else []


def find_ring(workspace: Path, con: duckdb.DuckDBPyConnection, ring_id: str,
              rings_file: Path | None = None) -> RingRecord:
    """``ring_id`` from ``rings_file`` when given, else the ring book, else ``<workspace>/rings.json``."""
    if rings_file is not None:
        ring = read_rings_file(Path(rings_file)).get(ring_id)
        if ring is None:
            raise RingSourceError(f"ring {ring_id!r} is not in {rings_file}")
        return ring
    ring = _from_ring_book(con, ring_id)
    if ring is not None:
        return ring
    default = Path(workspace) / RINGS_FILE
    ring = read_rings_file(default).get(ring_id) if default.exists() else None
    if ring is None:
        raise RingSourceError(
            f"ring {ring_id!r} was not found in the ring book or in {default}; run `ringscope detect` first "
            "or pass --rings FILE"
        )
    return ring
