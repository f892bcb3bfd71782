"""Where the explorer's rings come from: one place to switch sources.

The ring book (``graph.ring_book``, written by ``ringscope detect``) is the
normal source: the rings of the latest detection run, with stable ring ids.
Until a workspace has a ring book, or when the configuration names one
(``[app] rings_file``), a ``rings.json`` (data contract, section 3) is read:
``<workspace>/rings.json`` by default.  Whatever the source, pages see one
typed :class:`RingRecord`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import duckdb

RINGS_FILE = "rings.json"


class RingSourceError(Exception):
    """The rings cannot be read; the message says which file and what to do."""


@dataclass(frozen=True)
class MemberRecord:
    type: str  # contract entity type: patient, card, facility, prescriber, employer, device
    id: str
    role: str = "member"

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class EvidenceRecord:
    kind: str
    text: str
    text_zh: str = ""
    value: float | None = None

    def in_language(self, lang: str) -> str:
        return (self.text_zh or self.text) if lang == "zh" else (self.text or self.text_zh)


@dataclass(frozen=True)
class RingRecord:
    ring_id: str
    scheme: str
    score: float
    members: tuple[MemberRecord, ...]
    fund_loss: float = 0.0
    settlement_ids: tuple[str, ...] = ()
    claim_ids: tuple[str, ...] = ()
    evidence: tuple[EvidenceRecord, ...] = ()

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


def ring_from_json(item: dict[str, Any]) -> RingRecord:
    """A contract section 3 ring object (extra keys ignored)."""
    return RingRecord(
        ring_id=str(item["ring_id"]),
        scheme=str(item.get("scheme") or "mixed"),
        score=float(item.get("score") or 0.0),
        members=tuple(MemberRecord(str(m["type"]), str(m["id"]), str(m.get("role") or "member"))
                      for m in item.get("members", [])),
        fund_loss=float(item.get("fund_loss") or 0.0),
        settlement_ids=tuple(str(s) for s in item.get("settlement_ids", []) or []),
        claim_ids=tuple(str(c) for c in item.get("claim_ids", []) or []),
        evidence=tuple(
            EvidenceRecord(str(e.get("kind", "")), str(e.get("text", "")), str(e.get("text_zh", "") or ""),
                           e.get("value"))
            for e in item.get("evidence", []) or []
        ),
    )


def _sorted(rings: Iterable[RingRecord]) -> tuple[RingRecord, ...]:
    return tuple(sorted(rings, key=lambda r: (-r.score, r.ring_id)))


def read_rings_file(path: Path) -> RingSet:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RingSourceError(f"{path}: file not found; run `ringscope detect` first") from None
    except json.JSONDecodeError as exc:
        raise RingSourceError(f"{path}: not valid JSON ({exc}); use a rings.json written by `ringscope detect`") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rings"), list):
        raise RingSourceError(f"{path}: not a rings.json (no 'rings' list)")
    try:
        rings = [ring_from_json(item) for item in doc["rings"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise RingSourceError(f"{path}: a ring lacks a required field ({exc})") from None
    return RingSet(_sorted(rings), source=str(path), generated_at=str(doc.get("generated_at", "")))


def _ring_book_rings(con: duckdb.DuckDBPyConnection) -> RingSet | None:
    """The latest run's rings from the ring book, or None when there is none (yet)."""
    try:
        from ringscope.graph import ring_book
    except ImportError:
        return None
    loader = getattr(ring_book, "latest_rings", None) or getattr(ring_book, "load_rings", None)
    if loader is None:
        return None
    try:
        found = loader(con.cursor())
    except duckdb.CatalogException:  # no ring book tables in this workspace yet
        return None
    if not found:
        return None
    items = [r if isinstance(r, dict) else _ring_object_to_json(r) for r in found]
    return RingSet(_sorted(ring_from_json(i) for i in items), source="ring book")


def _ring_object_to_json(ring: Any) -> dict[str, Any]:
    return {
        "ring_id": ring.ring_id, "scheme": ring.scheme, "score": ring.score,
        "members": [{"type": m.type, "id": m.id, "role": m.role} for m in ring.members],
        "fund_loss": float(getattr(ring, "fund_loss", 0) or 0),
        "settlement_ids": list(ring.settlement_ids), "claim_ids": list(getattr(ring, "claim_ids", []) or []),
        "evidence": [{"kind": e.kind, "text": e.text, "text_zh": getattr(e, "text_zh", "")}
                     for e in getattr(ring, "evidence", [])],
    }


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
