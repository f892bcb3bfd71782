"""Grouping a weighted edge list into candidate rings: components, then Leiden.

Detectors reduce millions of transactions to a small weighted edge list in
SQL (pairs that co-occur repeatedly, sellers and the facilities that re-sold
their boxes, ...).  This module turns that list into groups:

1. connected components (igraph, in-process; the same answer splink gets
   with its iterative SQL, Spark-ready if needed);
2. components larger than ``split_above`` nodes are split with Leiden
   (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing
   well-connected communities", Sci. Rep. 9:5233), modularity objective,
   fixed seed, so two rings joined by a stray edge come apart and the same
   data always gives the same groups.

The engine seam: detectors call :func:`find_groups` with a
:class:`CommunityEngine`.  :class:`IgraphEngine` is the default and runs
anywhere; an engine that pushes the same two steps into Neo4j GDS
(``gds.wcc`` / ``gds.leiden``) can be added next to it without touching
detectors (see ``community_gds.py`` notes in docs/detection.md).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import igraph as ig
import numpy as np


@dataclass
class WeightedEdges:
    """An undirected weighted edge list over string node keys (``type:id``)."""

    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, str, float]]) -> "WeightedEdges":
        edges = cls()
        for s, t, w in rows:
            edges.sources.append(s)
            edges.targets.append(t)
            edges.weights.append(float(w))
        return edges

    def __len__(self) -> int:
        return len(self.sources)


class CommunityEngine(Protocol):
    """Where components and Leiden run.  Both return groups of node keys."""

    name: str

    def components(self, edges: WeightedEdges) -> list[list[str]]: ...

    def leiden(self, edges: WeightedEdges, resolution: float, seed: int) -> list[list[str]]: ...

    def modularity(self, edges: WeightedEdges, groups: list[list[str]]) -> float: ...


def _graph(edges: WeightedEdges) -> tuple[ig.Graph, np.ndarray]:
    names = np.array(sorted(set(edges.sources) | set(edges.targets)), dtype=object)
    index = {n: i for i, n in enumerate(names)}
    pairs = [(index[s], index[t]) for s, t in zip(edges.sources, edges.targets)]
    g = ig.Graph(n=len(names), edges=pairs, directed=False)
    g.es["weight"] = edges.weights
    # Parallel edges from the SQL step add up; self-loops carry no grouping information.
    g.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    return g, names


class IgraphEngine:
    """Components and Leiden inside this process with python-igraph."""

    name = "igraph"

    def components(self, edges: WeightedEdges) -> list[list[str]]:
        if not len(edges):
            return []
        g, names = _graph(edges)
        return _canonical([[names[v] for v in comp] for comp in g.connected_components()])

    def leiden(self, edges: WeightedEdges, resolution: float, seed: int) -> list[list[str]]:
        if not len(edges):
            return []
        g, names = _graph(edges)
        state = random.getstate()
        random.seed(seed)
        ig.set_random_number_generator(random)
        try:
            parts = g.community_leiden(
                objective_function="modularity", weights="weight",
                resolution=resolution, n_iterations=-1,
            )
        finally:
            random.setstate(state)
        return _canonical([[names[v] for v in part] for part in parts])


    def modularity(self, edges: WeightedEdges, groups: list[list[str]]) -> float:
        if not len(edges):
            return 0.0
        g, names = _graph(edges)
        where = {n: i for i, grp in enumerate(groups) for n in grp}
        return float(g.modularity([where[n] for n in names], weights="weight"))


def _canonical(groups: list[list[str]]) -> list[list[str]]:
    """Sorted members, groups ordered by (size desc, first member): deterministic output."""
    groups = [sorted(g) for g in groups if g]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def find_groups(
    edges: WeightedEdges,
    engine: CommunityEngine | None = None,
    split_above: int = 80,
    resolution: float = 1.0,
    seed: int = 42,
    min_modularity: float = 0.0,
) -> list[list[str]]:
    """Components of ``edges``; the ones above ``split_above`` nodes split with Leiden.

    A split is kept only when its modularity reaches ``min_modularity``: a
    component without clear community structure (one dense ring) stays whole.
    """
    engine = engine or IgraphEngine()
    out: list[list[str]] = []
    comps = engine.components(edges)
    big = [c for c in comps if len(c) > split_above]
    out.extend(c for c in comps if len(c) <= split_above)
    for comp in big:
        members = set(comp)
        sub = WeightedEdges()
        for s, t, w in zip(edges.sources, edges.targets, edges.weights):
            if s in members:
                sub.sources.append(s)
                sub.targets.append(t)
                sub.weights.append(w)
        parts = engine.leiden(sub, resolution, seed)
        if len(parts) > 1 and engine.modularity(sub, parts) >= min_modularity:
            out.extend(parts)
        else:
            out.append(sorted(comp))
    return _canonical(out)
