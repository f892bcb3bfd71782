"""rings.json, exactly as the data contract (section 3) describes it.

Rings are written sorted by score (descending) then ring id; money as a
JSON number rounded to the cent; each evidence item carries ``kind``,
``text`` (English) and ``text_zh`` (Chinese).  Extra keys (``features``,
member roles, ``text_zh``; for a ``mixed`` ring ``schemes`` and each evidence
item's ``scheme``) are allowed by the contract and kept.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from ringscope.analytics.ring import Ring

CONTRACT_VERSION = 1
CST = timezone(timedelta(hours=8))


def sort_rings(rings: Sequence[Ring]) -> list[Ring]:
    return sorted(rings, key=lambda r: (-round(r.score, 6), r.ring_id, r.fingerprint))


def ring_to_json(ring: Ring) -> dict[str, Any]:
    out = {
        "ring_id": ring.ring_id,
        "scheme": ring.scheme,
        "score": round(float(ring.score), 4),
        "members": [{"type": m.type, "id": m.id, "role": m.role} for m in ring.members],
        "fund_loss": float(ring.fund_loss),
        "settlement_ids": list(ring.settlement_ids),
        "claim_ids": list(ring.claim_ids),
        "evidence": [e.to_json() for e in ring.evidence],
        "features": {k: round(float(v), 6) for k, v in sorted(ring.features.items())},
    }
    if ring.scheme == "mixed":
        out["schemes"] = ring.schemes  # extra key: the schemes the merged rings came from
    return out


def rings_document(rings: Sequence[Ring], generated_at: datetime | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    when = (generated_at or datetime.now(CST)).astimezone(CST).replace(microsecond=0)
    doc: dict[str, Any] = {"contract": CONTRACT_VERSION, "generated_at": when.isoformat()}
    if extra:
        doc.update(extra)
    doc["rings"] = [ring_to_json(r) for r in sort_rings(rings)]
    return doc


def write_rings_json(path: Path | str, rings: Sequence[Ring], generated_at: datetime | None = None,
                     extra: dict[str, Any] | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = rings_document(rings, generated_at, extra)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def read_rings_json(path: Path | str) -> dict[str, Any]:
    """Load a rings.json; raises ``ValueError`` with a plain message when it is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rings"), list):
        raise ValueError(f"{path}: not a rings.json (no 'rings' list)")
    return doc
