"""The adjacency kept beside the catalogue: same answers as the graph, rebuilt when a drop arrives."""
from __future__ import annotations

from ringscope.graph import adjacency
from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.graph.store import NodeRef
from ringscope.ingest.mapping import HeaderMapping
from tests.drops import minimal_drop, write_table


def test_path_follows_the_graph_and_a_new_drop_rebuilds(tmp_path):
    store = DuckDBStore(StoreConfig(workspace=tmp_path / "ws"))
    try:
        store.ingest_drop(minimal_drop(tmp_path / "drop"), HeaderMapping())
        path = store.shortest_path(NodeRef("Card", "C001"), NodeRef("Card", "C002"))
        assert path is not None and len(path.edges) == 4  # card - settlement - drug or box - settlement - card
        assert {e.type for e in path.edges} in ({"USED_IN", "DISPENSED"}, {"USED_IN", "INCLUDES"})
        first = sorted(p.name for p in (tmp_path / "ws" / "adjacency").iterdir())
        # a new drop: both cards presented from one device; the adjacency is rebuilt, the old build removed
        folder = tmp_path / "drop2"
        folder.mkdir()
        write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                            "fund_paid", "self_paid", "kind", "device_id"], [
            ["S201", "C001", "F01", "2026-03-05T09:00:00", "10.00", "7.00", "3.00", "pharmacy", "DEV9"],
            ["S202", "C002", "F01", "2026-03-05T09:05:00", "10.00", "7.00", "3.00", "pharmacy", "DEV9"],
        ])
        store.ingest_drop(folder, HeaderMapping())
        path = store.shortest_path(NodeRef("Card", "C001"), NodeRef("Device", "DEV9"))
        assert path is not None and len(path.edges) == 2
        second = sorted(p.name for p in (tmp_path / "ws" / "adjacency").iterdir())
        assert second != first and len(second) == 1
        assert store.shortest_path(NodeRef("Card", "C001"), NodeRef("Card", "C002"), max_hops=1) is None
    finally:
        store.close()


def test_bidirectional_search_on_a_chain():
    import numpy as np

    # 0 - 1 - 2 - 3 - 4, plus a hub 5 joined to 0 only
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5)]
    src = np.array([a for a, b in pairs] + [b for a, b in pairs])
    dst = np.array([b for a, b in pairs] + [a for a, b in pairs])
    order = np.argsort(src, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=6))])
    adj = adjacency.Adjacency(None, indptr, dst[order].astype(np.int32), np.zeros(len(src), np.int8),  # type: ignore[arg-type]
                              np.ones(len(src), bool))
    assert adjacency.shortest_path(adj, 5, 4) == [5, 0, 1, 2, 3, 4]
    assert adjacency.shortest_path(adj, 5, 4, max_hops=4) is None


def test_ringscope_ingest_builds_the_path_adjacency(tmp_path):
    """The adjacency is built at the end of `ringscope ingest`, so the first path question does not build it."""
    import subprocess
    import sys


    workspace = tmp_path / "ws"
    res = subprocess.run([sys.executable, "-m", "ringscope.app.cli", "ingest", str(minimal_drop(tmp_path / "drop")),
                          "-w", str(workspace)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    store = DuckDBStore(StoreConfig(workspace=workspace))
    try:
        version = adjacency.catalogue_version(store.con)
        assert (workspace / "adjacency" / version / "indptr.npy").exists()
        assert store.prepare_paths() is False  # already current: nothing to build
    finally:
        store.close()
