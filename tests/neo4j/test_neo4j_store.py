"""Neo4jStore against the real server: parity with the embedded store,
idempotent reloads, incremental drops, injection-looking ids, and errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from ringscope.graph.config import Neo4jConfig, StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.graph.neo4j.store import Neo4jStore, connect
from ringscope.graph.store import NodeRef, StoreUnavailable
from ringscope.ingest.mapping import HeaderMapping
from tests.drops import minimal_drop
from tests.neo4j.neo4j_drops import INJECTION_ID, injection_drop, sized_drop, update_drop

pytestmark = pytest.mark.neo4j


def _embedded(workspace: Path) -> DuckDBStore:
    return DuckDBStore(StoreConfig(workspace=workspace))


def test_minimal_drop_same_graph_as_embedded(neo4j_store, workspace, tmp_path):
    neo4j_store.ingest_drop(minimal_drop(tmp_path / "d1"), HeaderMapping())
    neo4j_store.relational().close()
    neo4j_store._con = None  # hand the catalogue file to the embedded store
    duck = _embedded(workspace)
    try:
        assert neo4j_store.counts() == duck.counts()
        for label, node_id in (("Patient", "P001"), ("Settlement", "S001"), ("Pharmacy", "F01"), ("Drug", "D01")):
            assert neo4j_store.get_node(label, node_id) == duck.get_node(label, node_id)
        assert neo4j_store.search("P0") == duck.search("P0")
        assert neo4j_store.search("大药") == duck.search("大药")
        start = NodeRef("Patient", "P001")
        for hops, limit in ((1, 200), (2, 200), (3, 4)):
            assert neo4j_store.neighbourhood(start, hops, limit) == duck.neighbourhood(start, hops, limit)
        refs = [NodeRef("Patient", "P001"), NodeRef("Card", "C001")]
        assert neo4j_store.subgraph(refs, ["Settlement"]) == duck.subgraph(refs, ["Settlement"])
        path = neo4j_store.shortest_path(NodeRef("Patient", "P001"), NodeRef("Patient", "P002"))
        duck_path = duck.shortest_path(NodeRef("Patient", "P001"), NodeRef("Patient", "P002"))
        assert path is not None and duck_path is not None and len(path.edges) == len(duck_path.edges)
        assert neo4j_store.get_node("Patient", "nobody") is None
    finally:
        duck.close()


def test_reload_is_idempotent(neo4j_store, tmp_path):
    neo4j_store.ingest_drop(sized_drop(tmp_path / "d1", 60), HeaderMapping())
    first = neo4j_store.counts()
    again = neo4j_store.sync()
    assert again.mode == "none" and again.drops == []
    assert neo4j_store.counts() == first
    # Forget that the drop was projected and load it again: MERGE keeps one copy.
    neo4j_store.driver.execute_query("MATCH (d:_RingScopeDrop) DELETE d")
    report = neo4j_store.sync()
    assert report.mode == "merge" and report.rel_rows > 0
    assert neo4j_store.counts() == first


def test_incremental_drop_matches_embedded(neo4j_store, workspace, tmp_path):
    neo4j_store.ingest_drop(sized_drop(tmp_path / "d1", 40), HeaderMapping())
    report = neo4j_store.ingest_drop(update_drop(tmp_path / "d2"), HeaderMapping())
    assert report.rejected == 0
    neo4j_store.relational().close()
    neo4j_store._con = None
    duck = _embedded(workspace)
    try:
        assert neo4j_store.counts() == duck.counts()
        for ref in (NodeRef("Patient", "P000000"), NodeRef("Card", "C000001"), NodeRef("Pharmacy", "F03"),
                    NodeRef("Prescriber", "R01"), NodeRef("Employer", "E01")):
            assert neo4j_store.neighbourhood(ref, 1, 500) == duck.neighbourhood(ref, 1, 500)
        assert neo4j_store.get_node("Institution", "F03") is None
    finally:
        duck.close()


def test_injection_looking_ids_are_plain_data(neo4j_store, tmp_path):
    report = neo4j_store.ingest_drop(injection_drop(tmp_path / "d1"), HeaderMapping())
    assert report.rejected == 0
    counts = neo4j_store.counts()
    assert counts["Patient"] == 2 and counts["Card"] == 2 and counts["Settlement"] == 2
    node = neo4j_store.get_node("Patient", INJECTION_ID)
    assert node is not None and node.id == INJECTION_ID
    assert "pwned" not in neo4j_store.get_node("Patient", "P2").props
    assert [n.id for n in neo4j_store.search("x'}")] == [INJECTION_ID]
    hood = neo4j_store.neighbourhood(NodeRef("Patient", INJECTION_ID), hops=3)
    assert NodeRef("Institution", "F'})-[:X]->(m) //").key in hood.node_keys()
    assert neo4j_store.get_node("Nope`) DETACH DELETE n //", "x") is None
    assert neo4j_store.search("x", labels=["Patient`) DETACH DELETE n //"]) == []
    assert neo4j_store.counts() == counts


def test_unreachable_server_is_one_line_naming_the_uri(workspace):
    uri = "bolt://127.0.0.1:1"
    with pytest.raises(StoreUnavailable) as info:
        Neo4jStore(StoreConfig(workspace=workspace, kind="neo4j", neo4j=Neo4jConfig(uri=uri, password="whatever1")))
    message = str(info.value)
    assert uri in message and "\n" not in message
    assert info.value.__suppress_context__  # raised `from None`: no chained traceback


def test_wrong_password_is_a_clear_error(neo4j_config, neo4j_lock, workspace):
    wrong = Neo4jConfig(uri=neo4j_config.uri, user=neo4j_config.user, password="definitely-not-it", database=neo4j_config.database)
    with pytest.raises(StoreUnavailable, match="wrong password") as info:
        connect(wrong)
    assert neo4j_config.uri in str(info.value) and "\n" not in str(info.value)
    assert "definitely-not-it" not in str(info.value)
