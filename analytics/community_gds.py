"""The community step inside Neo4j Graph Data Science, behind the same seam as igraph.

When the store is Neo4j and ``[detection] engine = "gds"``, detectors still
build their weighted edge lists in SQL (on the DuckDB catalogue), but
components and Leiden run in the database.  For each call:

1. The edge list is reduced exactly as :class:`IgraphEngine` reduces it:
   node keys sorted and numbered ``0..n-1``, parallel edges (either
   direction) summed into one weight, self-loops dropped but their nodes
   kept (igraph keeps them as single-node groups, so GDS must see them too).
2. It is projected with the Cypher-aggregation ``gds.graph.project`` as an
   **undirected** graph (GDS Leiden refuses directed ones) with a ``weight``
   relationship property.  The integer ids are plain values, not stored
   nodes: the projection is independent of the stored graph, and ``nodeId``
   in the stream results is that integer again.  Nodes without an edge are
   projected as ``(s, null)`` rows.  ``readConcurrency`` 1 and no progress
   logging: these graphs are small and the fixed cost of a call is what
   counts (about 160 -> 95 ms per call measured on the 2-core machine).
   The projected node and relationship counts are checked.
3. ``gds.wcc.stream`` or ``gds.leiden.stream`` streams the groups back.
   Leiden: modularity objective with resolution ``gamma``, the weights, a
   fixed ``randomSeed``, ``concurrency`` 1 (the seed only repeats
   single-threaded), ``theta`` 0.01 (igraph's ``beta``), ``maxLevels`` 50 and
   ``tolerance`` 1e-7 (GDS's 10 and 1e-4 gave the same partitions on every
   graph measured), ``includeIntermediateCommunities`` off.  GDS Leiden
   fails (NullPointerException) on a graph without relationships: such a
   graph is answered here, each node alone, as igraph answers it.
4. The projection (a uuid name, passed as a parameter like every value) is
   dropped in ``finally``, also when the algorithm failed.

Modularity of a proposed split is computed in-process (it needs only the
edge list and the groups), so the "keep the split?" decision is the same
function for both engines; GDS's own modularity agrees with it to 1e-12.

Components are deterministic and identical to igraph's.  Leiden is not the
same implementation: on 84 detector link-graph components split with Leiden
on purpose (two generated drops), 70 partitions were identical, 11 had a
lower modularity than igraph's (by up to 0.035; GDS stopped after one level
with a node that could still move) and 2 a slightly higher one.  On clearly
separated communities they agree.  Re-running GDS Leiden seeded with its
own result (``seedProperty``) does not help in 2.13: seeded runs report a
modularity that does not match their partition and fail when nothing moves.  Measured parity: docs/neo4j.md,
``tests/neo4j/test_gds_engine.py``, ``benchmarks/community_engines.py``.

Queries are constant, parameterised strings run through
``driver.execute_query`` (no data in Cypher).  Requires GDS 2.4 or later
(Cypher-aggregation projection; tested with 2.13.9 on Neo4j 5.26.19).
"""
from __future__ import annotations

import uuid
from typing import Any, Callable, Protocol

from ringscope.analytics.community import IgraphEngine, WeightedEdges, _canonical

_PROJECT = (
    "UNWIND $rows AS r "
    "WITH gds.graph.project($graph, r.s, r.t, {relationshipProperties: {weight: r.w}}, "
    "{undirectedRelationshipTypes: ['*'], readConcurrency: 1, logProgress: false}) AS g "
    "RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships"
)
_WCC = (
    "CALL gds.wcc.stream($graph, {concurrency: 1, logProgress: false}) "
    "YIELD nodeId, componentId RETURN nodeId, componentId AS groupId"
)
_LEIDEN = (
    "CALL gds.leiden.stream($graph, {relationshipWeightProperty: 'weight', gamma: $gamma, "
    "theta: $theta, randomSeed: $seed, maxLevels: $max_levels, tolerance: $tolerance, "
    "includeIntermediateCommunities: false, concurrency: 1, logProgress: false}) "
    "YIELD nodeId, communityId RETURN nodeId, communityId AS groupId"
)
_DROP = "CALL gds.graph.drop($graph, false) YIELD graphName RETURN graphName"

#: Leiden settings beside resolution and seed (GDS defaults: theta 0.01,
#: maxLevels 10, tolerance 1e-4).  theta is igraph's ``beta`` (0.01 there too).
LEIDEN_THETA = 0.01
LEIDEN_MAX_LEVELS = 50
LEIDEN_TOLERANCE = 1e-7


class GdsError(RuntimeError):
    """GDS answered something the engine cannot use (a projection of the wrong size)."""


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

    def _groups(
        self, edges: WeightedEdges, algorithm: Callable[[str], list], *, needs_edges: bool
    ) -> list[list[str]]:
        """Project ``edges``, let ``algorithm(graph_name)`` return ``(nodeId, groupId)`` records, drop."""
        if not len(edges):
            return []
        names = sorted(set(edges.sources) | set(edges.targets))
        index = {n: i for i, n in enumerate(names)}
        summed: dict[tuple[int, int], float] = {}
        for s, t, w in zip(edges.sources, edges.targets, edges.weights):
            a, b = sorted((index[s], index[t]))
            if a != b:
                summed[(a, b)] = summed.get((a, b), 0.0) + float(w)
        if not summed and needs_edges:
            return _canonical([[n] for n in names])  # GDS Leiden fails without relationships
        linked = {i for pair in summed for i in pair}
        rows: list[dict[str, int | float | None]] = [{"s": a, "t": b, "w": w} for (a, b), w in sorted(summed.items())]
        rows += [{"s": i, "t": None, "w": None} for i in range(len(names)) if i not in linked]
        graph = f"ringscope_{uuid.uuid4().hex}"
        try:
            shape = self._run(_PROJECT, graph=graph, rows=rows)
            nodes, rels = (shape[0]["nodes"], shape[0]["relationships"]) if shape else (0, 0)
            if nodes != len(names) or rels != 2 * len(summed):
                raise GdsError(f"GDS projected {nodes} nodes / {rels} relationships, "
                               f"expected {len(names)} / {2 * len(summed)}")
            result = algorithm(graph)
        finally:
            try:
                self._run(_DROP, graph=graph)
            except Exception:  # never hide the algorithm's own error; a lost projection is freed at restart
                pass
        groups: dict[int, list[str]] = {}
        for record in result:
            groups.setdefault(int(record["groupId"]), []).append(names[int(record["nodeId"])])
        if sum(len(g) for g in groups.values()) != len(names):
            raise GdsError(f"GDS returned {sum(len(g) for g in groups.values())} nodes, expected {len(names)}")
        return _canonical(list(groups.values()))

    def components(self, edges: WeightedEdges) -> list[list[str]]:
        return self._groups(edges, lambda graph: self._run(_WCC, graph=graph), needs_edges=False)

    def leiden(self, edges: WeightedEdges, resolution: float, seed: int) -> list[list[str]]:
        params = dict(gamma=float(resolution), seed=int(seed), theta=LEIDEN_THETA,
                      max_levels=LEIDEN_MAX_LEVELS, tolerance=LEIDEN_TOLERANCE)
        return self._groups(edges, lambda graph: self._run(_LEIDEN, graph=graph, **params), needs_edges=True)

    def modularity(self, edges: WeightedEdges, groups: list[list[str]]) -> float:
        return self._local.modularity(edges, groups)


class _WithGraphDatabase(Protocol):
    """What this module needs of a ``graph.store.Store`` (analytics does not import graph)."""

    def graph_database(self) -> Any: ...


def engine_for_store(store: _WithGraphDatabase, name: str) -> IgraphEngine | GdsEngine:
    """The community engine a run asked for: ``igraph`` (default) or ``gds`` (a store with a graph database)."""
    if name in ("", "igraph"):
        return IgraphEngine()
    if name == "gds":
        graph = store.graph_database()
        if graph is None:
            raise ValueError("engine 'gds' needs the Neo4j store (--store neo4j); the embedded store uses 'igraph'")
        return GdsEngine(graph.driver, graph.database)
    raise ValueError(f"unknown community engine {name!r} (use 'igraph' or 'gds')")
