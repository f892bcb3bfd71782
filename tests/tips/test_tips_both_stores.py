"""The same tip links to the same rings whichever store holds the graph (tips live in the catalogue)."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

import pytest

from ringscope.app.config import load_config
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.service import TipContext, add_tip_file
from ringscope.graph.factory import open_store
from tests.drops import VALID_ID
from tests.stores import neo4j_test_lock, require_neo4j
from tests.tips.conftest import build_tip_workspace, write_tip

EXPECTED = {
    "T-000001": [("ring", "R-000001", "member", 0)],  # the seller, by ID number hash
    "T-000002": [("ring", "R-000001", "neighbourhood", 1)],  # card C001: its holder and its settlement are the ring's
    "T-000003": [("ring", "R-000004", "nearest", 3)],  # shares a phone with a borrowed card's holder
}


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_same_links_on_both_stores(kind, tmp_path, monkeypatch):
    monkeypatch.delenv("RINGSCOPE_TIP_KEY", raising=False)
    with neo4j_test_lock() if kind == "neo4j" else nullcontext():
        workspace = build_tip_workspace(tmp_path / "ws", tmp_path, kind)
        cfg = load_config(workspace=workspace, store=kind, env={})
        if kind == "neo4j":
            cfg = replace(cfg, store=replace(cfg.store, neo4j=require_neo4j()))
        ctx = TipContext.from_config(cfg)
        with open_store(cfg.store) as store:
            for name, entities in (("a", [("id_number", VALID_ID)]), ("b", [("card", "C001")]),
                                   ("c", [("name", "孙八")])):
                add_tip_file(ctx, store, write_tip(tmp_path / f"{name}.json", entities, text=f"tip {name}"), "li")
            got = {t.tip_id: [(x.target_kind, x.target_id, x.relation, x.distance)
                              for x in tip_store.tip_links(store.relational(), t.tip_id)]
                   for t in tip_store.list_tips(store.relational())}
    assert got == EXPECTED
