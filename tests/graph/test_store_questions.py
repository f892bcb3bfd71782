"""The store interface answers the same on both backends (parametrised)."""
from __future__ import annotations

from decimal import Decimal

from ringscope.graph.store import NodeRef
from ringscope.ingest.mapping import HeaderMapping
from tests.drops import minimal_drop, write_table


def loaded(store, tmp_path):
    folder = minimal_drop(tmp_path / "drop")
    # A device shared by both cards, and a second trace-code chain.
    write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                        "fund_paid", "self_paid", "kind", "device_id"], [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy", "DEV1"],
        ["S002", "C002", "F01", "2026-03-02T10:00:00", "98.00", "68.60", "29.40", "pharmacy", "DEV1"],
    ])
    store.ingest_drop(folder, HeaderMapping())
    return store


def test_counts(any_store, tmp_path):
    counts = loaded(any_store, tmp_path).counts()
    assert counts["Patient"] == 2 and counts["Card"] == 2 and counts["Settlement"] == 2
    assert counts["Pharmacy"] == 1 and counts["Institution"] == 1 and counts["TraceCode"] == 1
    assert counts["Device"] == 1 and counts["Phone"] == 1
    assert counts[":HOLDS"] == 2 and counts[":USED_IN"] == 2 and counts[":DISPENSED"] == 2
    assert counts[":VIA_DEVICE"] == 2 and counts[":AT"] == 2


def test_get_node_and_search(any_store, tmp_path):
    store = loaded(any_store, tmp_path)
    node = store.get_node("Patient", "P001")
    assert node is not None and node.caption == "张三"
    assert store.get_node("Patient", "P404") is None
    hits = store.search("张", labels=["Patient"])
    assert [(n.label, n.id) for n in hits] == [("Patient", "P001")]
    assert [(n.label, n.id) for n in store.search("C00", labels=["Card"])] == [("Card", "C001"), ("Card", "C002")]


def test_neighbourhood_hops_and_limit(any_store, tmp_path):
    store = loaded(any_store, tmp_path)
    one = store.neighbourhood(NodeRef("Card", "C001"), hops=1)
    assert one.node_keys() == {"Card:C001", "Patient:P001", "Settlement:S001"}
    two = store.neighbourhood(NodeRef("Card", "C001"), hops=2)
    assert {"Device:DEV1", "TraceCode:81234567890123456789", "Pharmacy:F01"} <= two.node_keys()
    limited = store.neighbourhood(NodeRef("Card", "C001"), hops=3, node_limit=4)
    assert len(limited.nodes) == 4 and limited.truncated
    assert store.neighbourhood(NodeRef("Card", "nope")).nodes == []


def test_shortest_path_through_shared_trace_code_or_device(any_store, tmp_path):
    store = loaded(any_store, tmp_path)
    path = store.shortest_path(NodeRef("Patient", "P001"), NodeRef("Patient", "P002"))
    assert path is not None
    # P001 -HOLDS- C001 -USED_IN- S001 -(shared)- S002 -USED_IN- C002 -HOLDS- P002, or via the phone/facility.
    assert len(path.edges) == len(path.nodes) - 1
    assert len(path.nodes) <= 7
    assert store.shortest_path(NodeRef("Patient", "P001"), NodeRef("Patient", "P404")) is None


def test_subgraph_is_induced_and_expands(any_store, tmp_path):
    store = loaded(any_store, tmp_path)
    sub = store.subgraph([NodeRef("Card", "C001"), NodeRef("Card", "C002")], expand_labels=["Settlement"])
    assert sub.node_keys() == {"Card:C001", "Card:C002", "Settlement:S001", "Settlement:S002"}
    assert {(e.source, e.type, e.target) for e in sub.edges} == {
        ("Card:C001", "USED_IN", "Settlement:S001"), ("Card:C002", "USED_IN", "Settlement:S002"),
    }


def test_injection_looking_ids_are_just_ids(any_store, tmp_path):
    store = loaded(any_store, tmp_path)
    evil = "x'}) DETACH DELETE n //"
    assert store.get_node("Patient", evil) is None
    assert store.search(evil) == []
    assert store.neighbourhood(NodeRef("Patient", evil)).nodes == []
    assert store.counts()["Patient"] == 2


def test_relational_has_the_contract_tables(any_store, tmp_path):
    """The tables detectors read and the graph explorers walk hold the same settlements.

    On Neo4j ``relational()`` is the workspace catalogue, so the catalogue
    sum alone would pass whatever the server holds: each settlement id must
    also be a Settlement node of the store's own graph.
    """
    store = loaded(any_store, tmp_path)
    con = store.relational()
    assert con.execute("SELECT sum(fund_paid) FROM settlements").fetchall()[0][0] == Decimal("137.20")
    ids = [row[0] for row in con.execute("SELECT settlement_id FROM settlements ORDER BY 1").fetchall()]
    assert ids == ["S001", "S002"]
    assert all(store.get_node("Settlement", sid) is not None for sid in ids)
    assert store.counts()["Settlement"] == len(ids)
