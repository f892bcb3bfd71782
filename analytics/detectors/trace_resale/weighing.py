"""How much each resale weighs, and which seller–facility groups add up to a ring.

Why weights and not gates: a small ring whose few boxes come back on different
days carries the same kind of evidence as a big one, only less of it; a
pharmacy's returned boxes carry a legitimate explanation.  So every resale adds
evidence, an explanation lowers what it adds (explained resales together add
less than one box), repetition (the same seller's boxes coming back on several
days) cancels the explanation, and a group is reported when the sum, spread
over days and places, is large enough.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import NamedTuple

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.trace_resale.settings import TraceResaleSettings


class Rescan(NamedTuple):
    """One resale as the weighing needs it: who sold, where it was settled again, when, and
    whether a returned box would explain it (settled where it was bought, or at a branch)."""

    seller_id: str
    reseller_id: str
    origin_facility_id: str
    trace_code: str
    resale_settlement_id: str
    resold_on: date
    explained: bool


class Assessment(NamedTuple):
    """A candidate group's weighed evidence: the basis of the report decision and the score."""

    nodes: list[str]
    evidence: float
    occasions: int
    score: float


def repeat_sellers(rescans: list[Rescan], cfg: TraceResaleSettings) -> set[str]:
    """Sellers with ``min_resold_boxes_per_seller`` boxes that came back on at least two days:
    a customer returns a box now and then, not box after box."""
    boxes: dict[str, set[str]] = defaultdict(set)
    days: dict[str, set[date]] = defaultdict(set)
    for r in rescans:
        boxes[r.seller_id].add(r.trace_code)
        days[r.seller_id].add(r.resold_on)
    return {s for s in boxes if len(boxes[s]) >= cfg.min_resold_boxes_per_seller and len(days[s]) >= 2}


def weights(rescans: list[Rescan], cfg: TraceResaleSettings) -> list[tuple[float, bool]]:
    """Evidence per resale and whether an explanation still holds for it: (1, False) for a box
    that reached a stranger through another, unrelated facility, or one from a repeat seller;
    (``explained_resale_weight``, True) for one a returned box would explain."""
    repeaters = repeat_sellers(rescans, cfg)
    return [(1.0, False) if not r.explained or r.seller_id in repeaters else (cfg.explained_resale_weight, True)
            for r in rescans]


def group_evidence(weighed: list[tuple[float, bool]]) -> float:
    """Unexplained resales add their weight; explained ones add ``e / (1 + e)`` of their sum
    ``e``, under one box's worth however many there are: a busy pharmacy's returns and branch
    transfers pile up with its trade (no fixed count separates them), so they can only
    strengthen resales that need no explanation, never make a ring alone."""
    explained = sum(x for x, why in weighed if why)
    return sum(x for x, why in weighed if not why) + explained / (1.0 + explained)


def assess_groups(rescans: list[Rescan], cfg: TraceResaleSettings, engine: CommunityEngine | None,
                  seed: int) -> list[Assessment]:
    """Seller–facility groups (Leiden above ``leiden_above`` nodes) with their weighed
    evidence; the caller keeps those that reach ``min_ring_evidence``."""
    w = weights(rescans, cfg)
    edge_weight: dict[tuple[str, str], float] = defaultdict(float)
    for r in rescans:
        edge_weight[(f"patient:{r.seller_id}", f"facility:{r.reseller_id}")] += 1.0
    edges = WeightedEdges.from_rows(sorted((a, b, n) for (a, b), n in edge_weight.items()))
    groups = find_groups(edges, engine, cfg.leiden_above, cfg.leiden_resolution, seed)
    group_of = {node: g for g, nodes in enumerate(groups) for node in nodes}
    within: dict[int, list[tuple[Rescan, tuple[float, bool]]]] = defaultdict(list)
    for r, x in zip(rescans, w):  # one pass: a resale belongs to the group holding both its ends
        g = group_of.get(f"patient:{r.seller_id}")
        if g is not None and g == group_of.get(f"facility:{r.reseller_id}"):
            within[g].append((r, x))
    out = []
    for g, nodes in enumerate(groups):
        inside = within[g]
        evidence = group_evidence([x for _, x in inside])
        # Repetition across days and places: boxes bought at one place and settled again on one
        # day may be one event (a bag of boxes returned, a batch keyed twice); only boxes that
        # came from ``spread_days`` such occasions (another day, or bought elsewhere) count fully.
        occasions = len({(r.resold_on, r.origin_facility_id) for r, _ in inside})
        score = evidence * min(1.0, occasions / max(1, cfg.spread_days))
        out.append(Assessment(sorted(nodes), evidence, occasions, score))
    return out


def reported(assessments: list[Assessment], cfg: TraceResaleSettings) -> list[Assessment]:
    """The groups whose weighed, spread evidence reaches ``min_ring_evidence`` and that have
    at least ``min_sellers`` sellers."""
    return [a for a in assessments if a.score >= cfg.min_ring_evidence
            and sum(1 for n in a.nodes if n.startswith("patient:")) >= cfg.min_sellers]
