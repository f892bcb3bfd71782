"""The graph step on Spark SQL (min-label propagation + Leiden in applyInPandas) splits as igraph does.

The detectors' graphs are small enough to stay on the driver in the parity
drop (``[spark] driver_graph_edges``), so this test forces the Spark path with
a threshold of 0 on a hand-built graph: a long chain (several propagation
rounds), a lone pair, and two dense cliques joined by one edge (one component
above ``split_above`` that Leiden must split)."""
from __future__ import annotations

from ringscope.analytics.community import IgraphEngine, WeightedEdges, find_groups
from ringscope.analytics.spark.components import SparkCommunityEngine


def graph() -> WeightedEdges:
    rows = [(f"p:chain{i}", f"p:chain{i + 1}", 1.0) for i in range(6)]
    rows.append(("p:lone1", "p:lone2", 2.0))
    for side in ("a", "b"):
        members = [f"p:{side}{i}" for i in range(6)]
        rows += [(x, y, 3.0) for k, x in enumerate(members) for y in members[k + 1:]]
    rows.append(("p:a0", "p:b0", 0.5))
    return WeightedEdges.from_rows(rows)


def test_spark_components_and_leiden_match_igraph(spark):
    edges = graph()
    on_spark = SparkCommunityEngine(spark, driver_graph_edges=0)
    expected = find_groups(edges, IgraphEngine(), split_above=8, seed=42)
    got = find_groups(edges, on_spark, split_above=8, seed=42)
    assert got == expected
    assert sorted(len(g) for g in got) == [2, 6, 6, 7]  # the cliques were split, the chain kept whole
    assert on_spark.rounds and on_spark.rounds[0] >= 4  # the chain took several rounds of propagation


def test_small_graphs_stay_on_the_driver(spark):
    engine = SparkCommunityEngine(spark, driver_graph_edges=10_000)
    assert engine.components(graph()) == IgraphEngine().components(graph())
    assert engine.rounds == []  # no Spark job ran
