"""Ring identity across runs: which ring of this run is which ring of the last one.

Investigators cite ring ids in case files, so a ring keeps its id while it
persists on growing data.  The rule is decided here, once; the ring book
(``graph.ring_book``) only stores the ids, and the weekly lineage
(``analytics.ring_evolution``) links rings with the same scheme rule.

A new ring matches a previous one of the same scheme (or either ``mixed``)
when the Jaccard similarity of their ``type:id`` member sets is at least
:data:`MATCH_JACCARD`, greedy by similarity, one to one; a matched ring
inherits the old id.  A second pass, for rings still unmatched, uses
containment (|A ∩ B| / min(|A|, |B|) >= :data:`MATCH_CONTAINMENT`): a ring
that more than doubled in a week is still the same ring.  Unmatched rings get
the next free ids (``R-000001``, ...) in a content-determined order (scheme,
then sorted members), so the same data gives the same ids.
"""
from __future__ import annotations

from typing import Any, Sequence

MATCH_JACCARD = 0.5
"""Member-set Jaccard at which a ring is the same ring (also how ``evaluation`` matches a detected ring to a true one)."""
MATCH_CONTAINMENT = 0.6  # second pass: a ring that grew (or shrank) past Jaccard 0.5 keeps its id


def member_keys(ring: Any) -> frozenset[str]:
    return frozenset(f"{m.type}:{m.id}" for m in ring.members)


def compatible(a: str, b: str) -> bool:
    """Same scheme, or either is ``mixed`` (a ring that now also runs another scheme keeps its id)."""
    return a == b or a == "mixed" or b == "mixed"


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def assign_ids(
    rings: Sequence[Any], previous: dict[str, tuple[str, frozenset[str]]], next_number: int
) -> tuple[list[str], list[float | None], int]:
    """Ids for ``rings``: inherited by member overlap, else new in content order.

    Returns (ids in the order of ``rings``, the Jaccard of each inherited match
    or None, the next free number).  Pure: testable without a database.
    """
    keys = [member_keys(r) for r in rings]
    by_member: dict[str, list[str]] = {}
    for rid, (_, members) in previous.items():
        for m in members:
            by_member.setdefault(m, []).append(rid)
    ids: list[str | None] = [None] * len(rings)
    jaccards: list[float | None] = [None] * len(rings)
    taken: set[str] = set()
    # First pass: Jaccard; best overlap first, one previous ring per current ring.
    _claim(_jaccard_candidates(rings, keys, previous, by_member), ids, jaccards, taken)
    # Second pass: containment, for rings that grew or shrank a lot (still one to one).
    _claim(_containment_candidates(rings, keys, previous, by_member, ids, taken), ids, jaccards, taken)
    fresh = sorted((i for i in range(len(rings)) if ids[i] is None), key=lambda i: (rings[i].scheme, sorted(keys[i])))
    for i in fresh:
        ids[i] = f"R-{next_number:06d}"
        next_number += 1
    return [str(x) for x in ids], jaccards, next_number


def _jaccard_candidates(rings, keys, previous, by_member) -> list[tuple[tuple, int, str, float]]:
    """(order, ring index, previous id, Jaccard) of every previous ring a current ring may inherit by Jaccard."""
    cands = []
    for i, (ring, k) in enumerate(zip(rings, keys)):
        for rid in sorted({rid for m in k for rid in by_member.get(m, ())}):
            scheme, members = previous[rid]
            if not compatible(scheme, ring.scheme):
                continue
            jac = jaccard(k, members)
            if jac >= MATCH_JACCARD:
                cands.append(((-jac, rid, "|".join(sorted(k))), i, rid, jac))
    return cands


def _containment_candidates(rings, keys, previous, by_member, ids, taken) -> list[tuple[tuple, int, str, float]]:
    """As :func:`_jaccard_candidates` by containment, for the rings the first pass left without an id."""
    cands = []
    for i, (ring, k) in enumerate(zip(rings, keys)):
        if ids[i] is not None:
            continue
        for rid in sorted({rid for m in k for rid in by_member.get(m, ())} - taken):
            scheme, members = previous[rid]
            if not compatible(scheme, ring.scheme) or not k or not members:
                continue
            contain = len(k & members) / min(len(k), len(members))
            if contain >= MATCH_CONTAINMENT:
                jac = jaccard(k, members)
                cands.append(((-contain, -jac, rid), i, rid, jac))
    return cands


def _claim(cands: list, ids: list[str | None], jaccards: list[float | None], taken: set[str]) -> None:
    """Give each ring its best candidate still free, best candidate first (one to one)."""
    for _order, i, rid, jac in sorted(cands, key=lambda c: (c[0], c[1])):
        if ids[i] is None and rid not in taken:
            ids[i] = rid
            jaccards[i] = jac
            taken.add(rid)


