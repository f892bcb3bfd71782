"""Judging rings.json against a generator's ground truth (data contract, sections 2-3).

Matching rule, exactly as the contract states it: a detected ring matches a
true ring when its scheme is the true ring's scheme (or ``mixed``) and the
Jaccard similarity of their member sets, counting ``type:id`` pairs and only
the entity types the true ring lists, is at least 0.5; each true ring
matches at most one detected ring.  Pairs are assigned greedily by
descending Jaccard (ties by ring ids), one to one, which is the maximum
matching whenever rings do not overlap.

Besides ring-level precision/recall/F1 per scheme the report gives
member-level precision/recall, the share of reported rings whose members
are mostly planted hard negatives (false alarms a naive detector raises),
and the relative fund-loss error on matched rings.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from ringscope.analytics.ring_identity import MATCH_JACCARD  # a detected ring is the true one when it would keep its id
from ringscope.ingest.contract import SCHEMES

HARD_NEGATIVE_MAJORITY = 0.5


@dataclass
class TrueRing:
    ring_id: str
    scheme: str
    members: set[str] = field(default_factory=set)  # "<type>:<id>" keys
    loss: Decimal = Decimal("0")

    @property
    def types(self) -> set[str]:
        return {m.split(":", 1)[0] for m in self.members}


@dataclass
class DetectedRing:
    ring_id: str
    scheme: str
    members: set[str]
    fund_loss: Decimal
    score: float = 0.0


@dataclass
class Truth:
    rings: list[TrueRing]
    hard_negatives: set[str]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load_truth(drop_dir: Path | str) -> Truth:
    """Read ``truth/rings.csv`` (+ ``ring_settlements.csv``, ``hard_negatives.csv`` when present)."""
    truth_dir = Path(drop_dir) / "truth"
    rings_csv = truth_dir / "rings.csv"
    if not rings_csv.exists():
        raise FileNotFoundError(f"{rings_csv}: no ground truth in this drop (truth/rings.csv is missing)")
    by_id: dict[str, TrueRing] = {}
    for row in _read_csv(rings_csv):
        ring = by_id.setdefault(row["ring_id"], TrueRing(row["ring_id"], row["scheme"]))
        ring.members.add(f"{row['entity_type']}:{row['entity_id']}")
    loss_csv = truth_dir / "ring_settlements.csv"
    if loss_csv.exists():
        seen: set[tuple[str, str, str]] = set()
        for row in _read_csv(loss_csv):
            key = (row["ring_id"], row["kind"], row["txn_id"])
            if key in seen or row["ring_id"] not in by_id:
                continue
            seen.add(key)
            by_id[row["ring_id"]].loss += Decimal(row["loss"] or "0")
    hn: set[str] = set()
    hn_csv = truth_dir / "hard_negatives.csv"
    if hn_csv.exists():
        hn = {f"{r['entity_type']}:{r['entity_id']}" for r in _read_csv(hn_csv)}
    return Truth(sorted(by_id.values(), key=lambda r: r.ring_id), hn)


def detected_from_document(doc: dict[str, Any]) -> list[DetectedRing]:
    out = []
    for i, r in enumerate(doc.get("rings", [])):
        members = {f"{m['type']}:{m['id']}" for m in r.get("members", [])}
        out.append(DetectedRing(
            ring_id=str(r.get("ring_id") or f"#{i}"), scheme=str(r.get("scheme", "mixed")), members=members,
            fund_loss=Decimal(str(r.get("fund_loss", 0))), score=float(r.get("score", 0.0)),
        ))
    return out


def jaccard_on_types(true_ring: TrueRing, detected: DetectedRing) -> float:
    """Jaccard of member sets, counting only the entity types the true ring lists."""
    types = true_ring.types
    d = {m for m in detected.members if m.split(":", 1)[0] in types}
    union = true_ring.members | d
    return len(true_ring.members & d) / len(union) if union else 0.0


def match_rings(truth: Sequence[TrueRing], detected: Sequence[DetectedRing]) -> list[tuple[TrueRing, DetectedRing, float]]:
    """One-to-one matches under the contract rule, greedy by descending Jaccard."""
    # Index detected rings by member so that only rings sharing a member are compared.
    by_member: dict[str, list[int]] = defaultdict(list)
    for j, d in enumerate(detected):
        for m in d.members:
            by_member[m].append(j)
    cands = []
    for i, t in enumerate(truth):
        js = {j for m in t.members for j in by_member.get(m, ())}
        for j in js:
            d = detected[j]
            if d.scheme not in (t.scheme, "mixed"):
                continue
            jac = jaccard_on_types(t, d)
            if jac >= MATCH_JACCARD:
                cands.append((-jac, t.ring_id, d.ring_id, i, j))
    cands.sort()
    used_t: set[int] = set()
    used_d: set[int] = set()
    out = []
    for neg_jac, _, _, i, j in cands:
        if i in used_t or j in used_d:
            continue
        used_t.add(i)
        used_d.add(j)
        out.append((truth[i], detected[j], -neg_jac))
    return out


def precision_recall_f1(tp_pred: int, n_pred: int, tp_true: int, n_true: int) -> dict[str, float]:
    p = tp_pred / n_pred if n_pred else (1.0 if n_true == 0 else 0.0)
    r = tp_true / n_true if n_true else 1.0
    f = 2 * p * r / (p + r) if (p + r) else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def evaluate(truth: Truth, detected: Sequence[DetectedRing]) -> dict[str, Any]:
    """The full report as a plain dict (the CLI prints it or dumps it as JSON)."""
    matches = match_rings(truth.rings, detected)
    matched_d = {id(d): t for t, d, _ in matches}
    per_scheme: dict[str, Any] = {}
    schemes = [s for s in SCHEMES if any(t.scheme == s for t in truth.rings) or any(d.scheme == s for d in detected)]
    for s in schemes:
        trues = [t for t in truth.rings if t.scheme == s]
        # a 'mixed' ring counts for the scheme of the true ring it matched
        preds = [d for d in detected if d.scheme == s or (d.scheme == "mixed" and matched_d.get(id(d)) and matched_d[id(d)].scheme == s)]
        tp_pred = sum(1 for d in preds if id(d) in matched_d)
        tp_true = sum(1 for t, _, _ in matches if t.scheme == s)
        row: dict[str, Any] = {"true_rings": len(trues), "detected_rings": len(preds), "matched": tp_true}
        row.update(precision_recall_f1(tp_pred, len(preds), tp_true, len(trues)))
        row.update(_member_level(trues, preds))
        errs = [e for e in (_loss_error(t, d) for t, d, _ in matches if t.scheme == s) if e is not None]
        row["fund_loss_error"] = round(sum(errs) / len(errs), 4) if errs else None
        per_scheme[s] = row
    unmatched_mixed = [d for d in detected if d.scheme == "mixed" and id(d) not in matched_d]
    hn_rings = [d for d in detected if _mostly_hard_negative(d, truth.hard_negatives)]
    tp = len(matches)
    overall = precision_recall_f1(tp, len(detected), tp, len(truth.rings))
    errs = [e for e in (_loss_error(t, d) for t, d, _ in matches) if e is not None]
    true_loss = sum((t.loss for t, _, _ in matches), Decimal(0))
    det_loss = sum((d.fund_loss for _, d, _ in matches), Decimal(0))
    return {
        "true_rings": len(truth.rings),
        "detected_rings": len(detected),
        "matched": tp,
        "overall": overall,
        "per_scheme": per_scheme,
        "unmatched_mixed_rings": len(unmatched_mixed),
        "hard_negative_rings": len(hn_rings),
        "hard_negative_share": round(len(hn_rings) / len(detected), 4) if detected else 0.0,
        "fund_loss_error_mean": round(sum(errs) / len(errs), 4) if errs else None,
        "fund_loss_matched_true": float(true_loss),
        "fund_loss_matched_detected": float(det_loss),
        "matches": [
            {"true_ring": t.ring_id, "detected_ring": d.ring_id, "scheme": t.scheme, "jaccard": round(j, 4),
             "true_loss": float(t.loss), "detected_loss": float(d.fund_loss)}
            for t, d, j in sorted(matches, key=lambda m: m[0].ring_id)
        ],
    }


def _loss_error(t: TrueRing, d: DetectedRing) -> float | None:
    if t.loss == 0:
        return None
    return float(abs(d.fund_loss - t.loss) / t.loss)


def _mostly_hard_negative(d: DetectedRing, hard_negatives: set[str]) -> bool:
    if not d.members or not hard_negatives:
        return False
    return sum(1 for m in d.members if m in hard_negatives) / len(d.members) > HARD_NEGATIVE_MAJORITY


def _member_level(trues: Iterable[TrueRing], preds: Iterable[DetectedRing]) -> dict[str, float]:
    true_members: set[str] = set()
    types: set[str] = set()
    for t in trues:
        true_members |= t.members
        types |= t.types
    pred_members = {m for d in preds for m in d.members if not types or m.split(":", 1)[0] in types}
    p = len(pred_members & true_members) / len(pred_members) if pred_members else 0.0
    r = len(pred_members & true_members) / len(true_members) if true_members else 0.0
    return {"member_precision": round(p, 4), "member_recall": round(r, 4)}


def agreement_f1(reference: Sequence[Any], other: Sequence[Any]) -> dict[str, tuple[float, int, int]]:
    """How far two runs agree: ring-level F1 per scheme of ``other`` against ``reference``.

    Both are sequences of detected rings (``scheme``, ``member_keys()``, ``fund_loss``); the
    reference run stands in for the truth under the contract's matching rule.  Used to show
    that two community engines or two stores give the same rings.  Returns
    ``{scheme: (f1, rings in reference, rings in other)}``.
    """
    out: dict[str, tuple[float, int, int]] = {}
    for scheme in sorted({r.scheme for r in reference} | {r.scheme for r in other}):
        trues = [TrueRing(f"T{i}", scheme, set(r.member_keys())) for i, r in enumerate(reference) if r.scheme == scheme]
        found = [DetectedRing(f"D{i}", scheme, set(r.member_keys()), r.fund_loss)
                 for i, r in enumerate(other) if r.scheme == scheme]
        matched = len(match_rings(trues, found))
        p = matched / len(found) if found else 1.0
        r = matched / len(trues) if trues else 1.0
        out[scheme] = (2 * p * r / (p + r) if p + r else 0.0, len(trues), len(found))
    return out
