"""Link analysis inside one ring: who organises, who is peripheral.

Rings are small (tens to a few hundred nodes), so this runs on networkx
graphs built from the ring's own weighted edges.  PageRank (Page et al.
1999) on the weighted graph ranks members by how much of the ring's
activity flows through them; betweenness centrality (Brandes 2001) marks
brokers between sub-groups.  The top-ranked member of the organising type
(the reselling pharmacy, the pooling device, the prescriber) gets the role
``organizer``.
"""
from __future__ import annotations

from typing import Iterable

import networkx as nx


def centrality(edges: Iterable[tuple[str, str, float]]) -> dict[str, tuple[float, float]]:
    """PageRank and betweenness per node of a ring-sized weighted graph."""
    g = nx.Graph()
    for s, t, w in edges:
        if g.has_edge(s, t):
            g[s][t]["weight"] += float(w)
        else:
            g.add_edge(s, t, weight=float(w))
    if g.number_of_nodes() == 0:
        return {}
    pr = nx.pagerank(g, weight="weight")
    if g.number_of_nodes() <= 400:
        bt = nx.betweenness_centrality(g, normalized=True)
    else:  # sampled, seeded: large rings stay fast and deterministic
        bt = nx.betweenness_centrality(g, k=200, normalized=True, seed=7)
    return {n: (pr[n], bt.get(n, 0.0)) for n in g.nodes}


def top_node(scores: dict[str, tuple[float, float]], prefix: str) -> str | None:
    """The highest-PageRank node whose key starts with ``prefix`` (e.g. ``facility:``)."""
    cands = [(-v[0], -v[1], k) for k, v in scores.items() if k.startswith(prefix)]
    return min(cands)[2] if cands else None
