"""The graph step on Spark: connected components in Spark SQL, Leiden per component with igraph.

Components: iterated minimum-label propagation, as splink does it
(``splink/internals/connected_components.py``; GraphFrames is not used):
every node starts labelled with its own key, each round takes the smallest
label among itself and its neighbours, and the rounds stop when no label
changes.  A round is one join and one aggregation, so it runs on any number
of executors; the number of rounds is bounded by the longest shortest path
inside a component (rings are small-diameter graphs: a handful of rounds).

Small graphs stay on the driver: the detectors hand the engine an edge list
they have already fetched, so below ``[spark] driver_graph_edges`` edges
(default 2,000,000, docs/scale.md) igraph splits it there — the embedded
engine's own call — instead of shipping it back to the executors for a
dozen jobs of a second each.

Leiden: components above ``split_above`` nodes are split inside
``applyInPandas`` grouped by component, one component per task (a ring
candidate fits one executor by far), with the same igraph call, seed and
edge order as the embedded engine (:class:`IgraphEngine`), so both engines
return the same groups.  Modularity of a split is computed the same way.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ringscope.analytics.community import IgraphEngine, WeightedEdges, _canonical

MAX_ROUNDS = 200
"""Label propagation stops with an error past this many rounds (a chain this long is no ring)."""


class SparkCommunityEngine:
    """Components and Leiden on a Spark session (``[detection] engine`` under ``--engine spark``)."""

    name = "spark"

    def __init__(self, spark: Any, driver_graph_edges: int = 0) -> None:
        self.spark = spark
        self._local = IgraphEngine()
        self.rounds: list[int] = []
        self.driver_graph_edges = driver_graph_edges
        """Graphs with fewer edges are split by igraph on the driver, where the detector already holds them."""

    def _on_driver(self, edges: WeightedEdges) -> bool:
        return len(edges) < self.driver_graph_edges

    def _edges(self, edges: WeightedEdges) -> Any:
        frame = pd.DataFrame({"i": range(len(edges)), "src": edges.sources, "dst": edges.targets,
                              "w": [float(w) for w in edges.weights]})
        return self.spark.createDataFrame(frame, schema="i long, src string, dst string, w double")

    def labels(self, edges: WeightedEdges) -> Any:
        """DataFrame ``(node, comp)``: every node with the smallest node key of its component."""
        self._edges(edges).createOrReplaceTempView("_rs_cc_edges")
        links = self.spark.sql(
            "SELECT src AS a, dst AS b FROM _rs_cc_edges WHERE src <> dst "
            "UNION SELECT dst AS a, src AS b FROM _rs_cc_edges WHERE src <> dst").localCheckpoint(eager=True)
        links.createOrReplaceTempView("_rs_cc_links")
        label = self.spark.sql("SELECT src AS node, src AS comp FROM _rs_cc_edges UNION "
                               "SELECT dst AS node, dst AS comp FROM _rs_cc_edges").localCheckpoint(eager=True)
        for rounds in range(1, MAX_ROUNDS + 1):
            label.createOrReplaceTempView("_rs_cc_label")
            # one job per round: the new labels are checkpointed (the iteration's lineage would
            # otherwise grow with every round) and count their own changes in the same pass
            step = self.spark.sql("""
                SELECT l.node, least(l.comp, coalesce(min(n.comp), l.comp)) AS comp,
                       least(l.comp, coalesce(min(n.comp), l.comp)) <> l.comp AS moved
                FROM _rs_cc_label l
                LEFT JOIN _rs_cc_links k ON k.a = l.node
                LEFT JOIN _rs_cc_label n ON n.node = k.b
                GROUP BY l.node, l.comp""").localCheckpoint(eager=True)
            changed = step.where("moved").limit(1).count()
            label.unpersist()
            label = step.select("node", "comp")
            if changed == 0:
                self.rounds.append(rounds)
                return label
        raise RuntimeError(f"connected components did not settle in {MAX_ROUNDS} rounds")

    def components(self, edges: WeightedEdges) -> list[list[str]]:
        if not len(edges):
            return []
        if self._on_driver(edges):
            return self._local.components(edges)
        groups: dict[str, list[str]] = {}
        for node, comp in self.labels(edges).collect():
            groups.setdefault(comp, []).append(node)
        return _canonical(list(groups.values()))

    def leiden(self, edges: WeightedEdges, resolution: float, seed: int) -> list[list[str]]:
        if not len(edges):
            return []
        if self._on_driver(edges):
            return self._local.leiden(edges, resolution, seed)
        self.labels(edges).createOrReplaceTempView("_rs_cc_comp")
        tagged = self.spark.sql("SELECT c.comp, e.i, e.src, e.dst, e.w FROM _rs_cc_edges e "
                                "JOIN _rs_cc_comp c ON c.node = e.src")

        def split(frame: pd.DataFrame) -> pd.DataFrame:
            frame = frame.sort_values("i")  # the embedded engine's edge order: same graph, same Leiden walk
            part = WeightedEdges(list(frame["src"]), list(frame["dst"]), list(frame["w"]))
            rows = [(frame["comp"].iloc[0], k, node)
                    for k, grp in enumerate(IgraphEngine().leiden(part, resolution, seed)) for node in grp]
            return pd.DataFrame(rows, columns=["comp", "part", "node"])

        result = tagged.groupBy("comp").applyInPandas(split, schema="comp string, part long, node string")
        groups: dict[tuple[str, int], list[str]] = {}
        for comp, part, node in result.collect():
            groups.setdefault((comp, part), []).append(node)
        return _canonical(list(groups.values()))

    def modularity(self, edges: WeightedEdges, groups: list[list[str]]) -> float:
        return self._local.modularity(edges, groups)
