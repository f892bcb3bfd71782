"""The community step inside Neo4j Graph Data Science, behind the same seam as igraph.

When the store is Neo4j and ``[detection] engine = "gds"``, detectors still
build their weighted edge lists in SQL, but components and Leiden run in the
database: each edge list is projected with the Cypher aggregation
``gds.graph.project`` (integer node ids, undirected, ``weight`` property),
then ``gds.wcc.stream`` / ``gds.leiden.stream`` (Traag et al. 2019; fixed
``randomSeed``, ``concurrency`` 1 so results repeat) stream the groups back,
and the projection is dropped.  Modularity of a proposed split is computed
in-process (it needs only the edge list and the groups).

This mirrors the GDS Python client's thin-facade style: parameterised
queries through ``driver.execute_query``, no string-built Cypher with data.
Requires GDS 2.x with Cypher-aggregation projection (2.4 or later).
"""
from __future__ import annotations

import uuid
from typing import Any

from ringscope.analytics.community import IgraphEngine, WeightedEdges, _canonical

_PROJECT = (
    "UNWIND $rows AS r "
    "WITH gds.graph.project($graph, r.s, r.t, {relationshipProperties: {weight: r.w}}, "
    "{undirectedRelationshipTypes: ['*']}) AS g "
    "RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships"
)
_WCC = "CALL gds.wcc.stream($graph, {concurrency: 1}) YIELD nodeId, componentId RETURN nodeId, componentId"
_LEIDEN = (
    "CALL gds.leiden.stream($graph, {relationshipWeightProperty: 'weight', gamma: $gamma, randomSeed: $seed, "
    "concurrency: 1}) YIELD nodeId, communityId RETURN nodeId, communityId"
)
_DROP = "CALL gds.graph.drop($graph, false) YIELD graphName RETURN graphName"


class GdsEngine:
    """Components and Leiden run by Neo4j GDS on a projected edge list."""

    name = "gds"

    def __init__(self, driver: Any, database: str = "neo4j") -> None:
        self.driver = driver
        self.database = database
        self._local = IgraphEngine()

    def _run(self, statement: str, **params: Any) -> list:
        records, _, _ = self.driver.execute_query(statement, params, database_=self.database)
        return records

    def _groups(self, edges: WeightedEdges, statement: str, key: str, **params: Any) -> list[list[str]]:
        if not len(edges):
            return []
        names = sorted(set(edges.sources) | set(edges.targets))
        index = {n: i for i, n in enumerate(names)}
        summed: dict[tuple[int, int], float] = {}
        for s, t, w in zip(edges.sources, edges.targets, edges.weights):
            a, b = sorted((index[s], index[t]))
            if a != b:
                summed[(a, b)] = summed.get((a, b), 0.0) + float(w)
        if not summed:
            return []
        graph = f"ringscope_{uuid.uuid4().hex[:12]}"
        rows = [{"s": a, "t": b, "w": w} for (a, b), w in sorted(summed.items())]
        try:
            self._run(_PROJECT, graph=graph, rows=rows)
            result = self._run(statement, graph=graph, **params)
        finally:
            self._run(_DROP, graph=graph)
        groups: dict[int, list[str]] = {}
        for record in result:
            groups.setdefault(int(record[key]), []).append(names[int(record["nodeId"])])
        return _canonical(list(groups.values()))

    def components(self, edges: WeightedEdges) -> list[list[str]]:
        return self._groups(edges, _WCC, "componentId")

    def leiden(self, edges: WeightedEdges, resolution: float, seed: int) -> list[list[str]]:
        return self._groups(edges, _LEIDEN, "communityId", gamma=float(resolution), seed=int(seed))

    def modularity(self, edges: WeightedEdges, groups: list[list[str]]) -> float:
        return self._local.modularity(edges, groups)


def engine_for_store(store: Any, name: str) -> Any:
    """The community engine a run asked for: ``igraph`` (default) or ``gds`` (Neo4j store only)."""
    if name in ("", "igraph"):
        return IgraphEngine()
    if name == "gds":
        driver = getattr(store, "driver", None)
        if driver is None:
            raise ValueError("engine 'gds' needs the Neo4j store (--store neo4j); the embedded store uses 'igraph'")
        return GdsEngine(driver, getattr(store, "database", "neo4j"))
    raise ValueError(f"unknown community engine {name!r} (use 'igraph' or 'gds')")
