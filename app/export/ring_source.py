"""Where the ring being referred comes from: one place to switch sources.

A referral starts from a ring the detection step found.  The ring book
(``graph.ring_book``, written by ``ringscope detect``) is the normal source;
a ``rings.json`` file (data contract, section 3) is read when no ring book
holds the ring, so that a ring can be referred from a file handed over by
another site.  Whatever the source, the rest of the export sees one typed
:class:`RingRecord`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ringscope.app.errors import UserError

RINGS_FILE = "rings.json"


@dataclass(frozen=True)
class MemberRecord:
    type: str  # contract entity type: patient, card, facility, prescriber, employer, device
    id: str
    role: str = "member"


@dataclass(frozen=True)
class EvidenceRecord:
    kind: str
    text: str
    text_zh: str = ""


@dataclass(frozen=True)
class RingRecord:
    ring_id: str
    scheme: str
    score: float
    members: tuple[MemberRecord, ...]
    settlement_ids: tuple[str, ...]
    claim_ids: tuple[str, ...] = ()
    evidence: tuple[EvidenceRecord, ...] = ()
    reported_fund_loss: Decimal | None = None  # what detection reported; the export recomputes it
    run_id: str = ""  # the detection run the ring came from
    run_info: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "ring book" or the rings.json path

    def members_of(self, entity_type: str) -> list[str]:
        return [m.id for m in self.members if m.type == entity_type]


def ring_from_json(item: dict[str, Any], run_id: str = "", run_info: dict[str, Any] | None = None,
                   source: str = "") -> RingRecord:
    """A contract section 3 ring object (extra keys ignored) as a :class:`RingRecord`."""
    loss = item.get("fund_loss")
    return RingRecord(
        ring_id=str(item["ring_id"]),
        scheme=str(item.get("scheme", "mixed")),
        score=float(item.get("score", 0.0)),
        members=tuple(
            MemberRecord(str(m["type"]), str(m["id"]), str(m.get("role") or "member")) for m in item.get("members", [])
        ),
        settlement_ids=tuple(sorted({str(s) for s in item.get("settlement_ids", [])})),
        claim_ids=tuple(sorted({str(c) for c in item.get("claim_ids", []) or []})),
        evidence=tuple(
            EvidenceRecord(str(e.get("kind", "")), str(e.get("text", "")), str(e.get("text_zh", "") or ""))
            for e in item.get("evidence", [])
        ),
        reported_fund_loss=None if loss is None else Decimal(str(loss)).quantize(Decimal("0.01")),
        run_id=run_id,
        run_info=dict(run_info or {}),
        source=source,
    )


def _from_rings_file(path: Path, ring_id: str) -> RingRecord | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc}); pass a rings.json written by `ringscope detect`") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rings"), list):
        raise UserError(f"{path}: not a rings.json (no 'rings' list)")
    run_id = str(doc.get("run_id") or doc.get("detection_run") or f"rings.json@{doc.get('generated_at', '')}")
    run_info = {k: v for k, v in doc.items() if k != "rings" and isinstance(v, (str, int, float))}
    for item in doc["rings"]:
        if str(item.get("ring_id")) == ring_id:
            return ring_from_json(item, run_id, run_info, source=f"rings.json ({path.name})")
    return None


def _from_ring_book(store: Any, config: Any, ring_id: str) -> RingRecord | None:
    """The ring as the ring book holds it, or None when there is no ring book or no such ring."""
    try:
        from ringscope.graph import ring_book  # written by the detection step
    except ImportError:
        return None
    getter = getattr(ring_book, "get_ring", None)
    if getter is None:
        return None
    con = store.relational()
    try:
        found = getter(con, ring_id)
    except duckdb.CatalogException:  # no ring book in this workspace yet
        return None
    if found is None:
        return None
    item = found if isinstance(found, dict) else _ring_object_to_json(found)
    run_id = str(item.get("run_id") or "")
    run_info = {k: v for k, v in (item.get("run") or {}).items() if isinstance(v, (str, int, float))}
    try:
        rows = con.execute("SELECT drop_ids FROM ring_runs WHERE run_id = ?", [run_id]).fetchall()
        run_info["drop_ids"] = sorted(rows[0][0] or []) if rows else []
    except duckdb.Error:
        pass
    return ring_from_json(item, run_id, run_info, source="ring book")


def _ring_object_to_json(ring: Any) -> dict[str, Any]:
    return {
        "ring_id": ring.ring_id,
        "scheme": ring.scheme,
        "score": ring.score,
        "members": [{"type": m.type, "id": m.id, "role": m.role} for m in ring.members],
        "fund_loss": getattr(ring, "fund_loss", None),
        "settlement_ids": list(ring.settlement_ids),
        "claim_ids": list(getattr(ring, "claim_ids", []) or []),
        "evidence": [
            {"kind": e.kind, "text": e.text, "text_zh": getattr(e, "text_zh", "")} for e in getattr(ring, "evidence", [])
        ],
        "run_id": getattr(ring, "run_id", ""),
    }


def load_ring(store: Any, ring_id: str, config: Any, rings_file: Path | None = None) -> RingRecord:
    """Find ``ring_id``: in ``rings_file`` when given, else the ring book, else ``<workspace>/rings.json``."""
    if rings_file is not None:
        ring = _from_rings_file(Path(rings_file), ring_id)
        if ring is None:
            raise UserError(f"ring {ring_id!r} is not in {rings_file}")
        return ring
    ring = _from_ring_book(store, config, ring_id)
    if ring is not None:
        return ring
    default = Path(config.workspace) / RINGS_FILE
    if default.exists():
        ring = _from_rings_file(default, ring_id)
        if ring is not None:
            return ring
    raise UserError(
        f"ring {ring_id!r} was not found in the ring book or in {default}; run `ringscope detect` first "
        "or pass --rings FILE"
    )
