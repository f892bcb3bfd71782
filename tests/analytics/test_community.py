import pytest

from ringscope.analytics.community import IgraphEngine, WeightedEdges, find_groups
from ringscope.analytics.community_gds import engine_for_store
from ringscope.analytics.link_analysis import centrality, top_node


def _two_cliques_joined():
    rows = []
    for group in ("a", "b"):
        nodes = [f"{group}{i}" for i in range(6)]
        rows += [(x, y, 3.0) for i, x in enumerate(nodes) for y in nodes[i + 1:]]
    rows.append(("a0", "b0", 1.0))
    return WeightedEdges.from_rows(rows)


def test_components_then_leiden_split_only_when_clear():
    edges = _two_cliques_joined()
    assert len(find_groups(edges, split_above=100)) == 1
    split = find_groups(edges, split_above=5, seed=1)
    assert [sorted(g)[0][0] for g in split] == ["a", "b"]
    # a single clique has no community structure: kept whole even when large
    clique = WeightedEdges.from_rows([(f"n{i}", f"n{j}", 1.0) for i in range(8) for j in range(i + 1, 8)])
    assert len(find_groups(clique, split_above=3, min_modularity=0.3)) == 1


def test_groups_are_deterministic():
    edges = _two_cliques_joined()
    assert find_groups(edges, split_above=5, seed=7) == find_groups(edges, split_above=5, seed=7)
    assert IgraphEngine().components(WeightedEdges()) == []


def test_link_analysis_ranks_the_hub():
    scores = centrality([("facility:F", f"patient:{i}", 2.0) for i in range(5)] + [("patient:0", "patient:1", 1.0)])
    assert top_node(scores, "facility:") == "facility:F"


def test_engine_choice(duck):
    assert engine_for_store(duck, "igraph").name == "igraph"
    with pytest.raises(ValueError, match="Neo4j store"):
        engine_for_store(duck, "gds")  # the embedded store has no graph database
    with pytest.raises(ValueError):
        engine_for_store(duck, "spark")
