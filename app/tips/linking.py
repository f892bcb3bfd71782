"""From what a tip names to the rings (and DRG cases) it touches.

A tip links to a ring when an entity it names *is* a member or transaction
of the ring (``member``, distance 0), or lies within ``link_hops`` of one in
the store's graph (``neighbourhood``: a patient whose card a ring used, a
pharmacy where a ring's settlements took place).  DRG/DIP cases (contract
1.1, ``drg_cases`` of rings.json) are one institution's cases, linked the
same way through their facility, patient and settlements; the reader is
:func:`drg_case_index`, the one place to plug in another source of cases.

A tip naming entities in no ring gets the *nearest suspicious structure*:
the closest ring within ``nearest_max_hops``, else a phone, address or
device shared by ``shared_identifier_min`` or more people or cards near the
named entities (the picture of a ring before detection has drawn it).  The
walk uses the store's own ``neighbourhood``, so both stores answer alike.
"""
from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

from ringscope.app.ring_source import RingRecord
from ringscope.app.tips.matching import Match
from ringscope.app.tips.settings import TipSettings
from ringscope.graph.model import ENTITY_LABELS
from ringscope.graph.store import NodeRef, Store, Subgraph


@dataclass(frozen=True)
class Link:
    target_kind: str  # ring, drg_case, shared_identifier
    target_id: str
    relation: str  # member, neighbourhood, nearest, shared_identifier
    distance: int
    via: str  # the matched entity's node key


def ring_index(rings: Iterable[RingRecord]) -> dict[str, set[str]]:
    """Node key -> ids of the rings that hold it as a member or a transaction."""
    index: dict[str, set[str]] = defaultdict(set)
    for ring in rings:
        for m in ring.members:
            for label in ENTITY_LABELS.get(m.type, ()):
                index[f"{label}:{m.id}"].add(ring.ring_id)
        for s in ring.settlement_ids:
            index[f"Settlement:{s}"].add(ring.ring_id)
        for c in ring.claim_ids:
            index[f"MaternityClaim:{c}"].add(ring.ring_id)
    return index


def _drg_cases(workspace: Path, app_config: Mapping[str, Any] | None) -> list[Any]:
    """``drg_cases`` of the rings.json in use (``[app] rings_file`` or WORKSPACE/rings.json); [] when none."""
    path = Path((app_config or {}).get("rings_file") or Path(workspace) / "rings.json")
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("drg_cases") or []
    except (ValueError, AttributeError):
        return []


def drg_case_index(workspace: Path, app_config: Mapping[str, Any] | None = None) -> dict[str, set[str]]:
    """Node key -> DRG case ids, from ``drg_cases`` of the rings.json in use (empty when there are none).

    The hook for DRG screens: whichever module records cases elsewhere only
    has to return the same mapping (facility, patient and settlement keys).
    """
    cases = _drg_cases(workspace, app_config)
    index: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        if not isinstance(case, dict) or not case.get("case_id"):
            continue
        cid = str(case["case_id"])
        if case.get("facility_id"):
            index[f"Institution:{case['facility_id']}"].add(cid)
        if case.get("patient_id"):
            index[f"Patient:{case['patient_id']}"].add(cid)
        for s in case.get("settlement_ids") or []:
            index[f"Settlement:{s}"].add(cid)
    return index


def drg_case_losses(workspace: Path, app_config: Mapping[str, Any] | None = None) -> dict[str, Decimal]:
    """DRG case id -> its fund loss (additional fund expenditure), from the same ``drg_cases`` list."""
    cases = _drg_cases(workspace, app_config)
    return {str(c["case_id"]): Decimal(str(c.get("fund_loss") or 0)) for c in cases
            if isinstance(c, dict) and c.get("case_id")}


def hop_distances(sub: Subgraph, start: NodeRef) -> dict[str, int]:
    """Breadth-first hop count from ``start`` to every node of ``sub`` (direction ignored)."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for e in sub.edges:
        adjacent[e.source].add(e.target)
        adjacent[e.target].add(e.source)
    dist = {start.key: 0}
    queue = deque([start.key])
    while queue:
        here = queue.popleft()
        for there in sorted(adjacent[here]):
            if there not in dist:
                dist[there] = dist[here] + 1
                queue.append(there)
    return dist


def _hits(distances: Mapping[str, int], index: Mapping[str, set[str]], via: str, kind: str,
          max_hops: int) -> list[Link]:
    best: dict[str, int] = {}
    for key, d in distances.items():
        if d <= max_hops:
            for target in index.get(key, ()):
                best[target] = min(d, best.get(target, d))
    return [Link(kind, t, "member" if d == 0 else "neighbourhood", d, via) for t, d in best.items()]


def link_tip(store: Store, matches: Iterable[Match], rings: Mapping[str, set[str]], cases: Mapping[str, set[str]],
             settings: TipSettings) -> list[Link]:
    """Links to rings and DRG cases; the nearest suspicious structure when there are none."""
    refs = sorted({m.ref for m in matches})
    walks = {ref: store.neighbourhood(ref, hops=settings.link_hops, node_limit=settings.neighbourhood_limit)
             for ref in refs}
    links: dict[tuple[str, str], Link] = {}
    for ref, sub in walks.items():
        distances = hop_distances(sub, ref)
        for link in _hits(distances, rings, ref.key, "ring", settings.link_hops) + \
                _hits(distances, cases, ref.key, "drg_case", settings.link_hops):
            known = links.get((link.target_kind, link.target_id))
            if known is None or link.distance < known.distance:
                links[(link.target_kind, link.target_id)] = link
    if links or not refs:
        return sorted(links.values(), key=lambda item: (item.distance, item.target_kind, item.target_id))
    return nearest_structure(store, refs, rings, settings)


def nearest_structure(store: Store, refs: list[NodeRef], rings: Mapping[str, set[str]],
                      settings: TipSettings) -> list[Link]:
    """The closest ring beyond the link reach, else the busiest shared identifier nearby."""
    best: list[Link] = []
    shared: dict[str, tuple[int, int, str]] = {}
    for ref in refs:
        sub = store.neighbourhood(ref, hops=settings.nearest_max_hops, node_limit=settings.neighbourhood_limit)
        distances = hop_distances(sub, ref)
        best += [Link("ring", item.target_id, "nearest", item.distance, ref.key)
                 for item in _hits(distances, rings, ref.key, "ring", settings.nearest_max_hops)]
        for key, users in _shared_identifiers(sub).items():
            if users >= settings.shared_identifier_min and key in distances:
                here = (distances[key], -users, ref.key)
                shared[key] = min(here, shared.get(key, here))
    if best:
        closest = min(item.distance for item in best)
        return sorted({item.target_id: item for item in best if item.distance == closest}.values(), key=lambda item: item.target_id)
    if shared:
        key, (dist, _neg, via) = min(shared.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))
        return [Link("shared_identifier", key, "shared_identifier", dist, via)]
    return []


def _shared_identifiers(sub: Subgraph) -> dict[str, int]:
    """Phone/address node key -> people or employers using it; device -> cards settled through it."""
    users: dict[str, set[str]] = defaultdict(set)
    card_of: dict[str, str] = {e.target: e.source for e in sub.edges if e.type == "USED_IN"}
    for e in sub.edges:
        if e.type in ("HAS_PHONE", "HAS_ADDRESS"):
            users[e.target].add(e.source)
        elif e.type == "VIA_DEVICE":
            users[e.target].add(card_of.get(e.source, e.source))
    return {k: len(v) for k, v in users.items()}
