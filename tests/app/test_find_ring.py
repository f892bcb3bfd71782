"""Finding one ring (for a referral): the ring book first, else rings.json; provenance kept."""
from __future__ import annotations

from decimal import Decimal

import pytest

from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.ring_identity import assign_ids
from ringscope.app.config import load_config
from ringscope.app.errors import UserError
from ringscope.app.ring_source import find_ring
from ringscope.graph import ring_book
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.mapping import HeaderMapping
from tests.export.case_drop import referral_drop, ring_object, write_rings_json


@pytest.fixture
def workspace_store(tmp_path):
    cfg = load_config(workspace=tmp_path / "ws", env={})
    store = DuckDBStore(cfg.store)
    store.ingest_drop(referral_drop(tmp_path / "drop"), HeaderMapping())
    yield cfg, store
    store.close()


def test_rings_json_when_no_ring_book(workspace_store):
    cfg, store = workspace_store
    write_rings_json(cfg.workspace / "rings.json")
    ring = find_ring(cfg.workspace, store.relational(), "R-000001")
    assert ring.run_id == "RUN-TEST-1" and ring.source.startswith("rings.json")
    assert ring.reported_fund_loss == Decimal("18604.33")
    with pytest.raises(UserError, match="not found"):
        find_ring(cfg.workspace, store.relational(), "R-999999")


def test_ring_book_is_preferred_and_names_its_run_and_drops(workspace_store):
    cfg, store = workspace_store
    item = ring_object()
    ring = Ring(scheme=item["scheme"], members=[Member(m["type"], m["id"], m["role"]) for m in item["members"]],
                settlement_ids=item["settlement_ids"], claim_ids=item["claim_ids"],
                evidence=[Evidence(e["kind"], e["text"], e["text_zh"]) for e in item["evidence"]],
                fund_loss=Decimal("18628.33"), score=0.9)
    run_id = ring_book.record_run(store.relational(), [ring], settings_hash="test", assign=assign_ids)
    write_rings_json(cfg.workspace / "rings.json", (ring.ring_id,))  # a stale file must not win
    found = find_ring(cfg.workspace, store.relational(), ring.ring_id)
    assert found.source == "ring book" and found.run_id == run_id
    drop_ids = [r[0] for r in store.relational().execute("SELECT drop_id FROM ingest_drops").fetchall()]
    assert found.run_info["drop_ids"] == sorted(drop_ids)
    assert set(found.settlement_ids) == set(item["settlement_ids"])
    assert {m.id for m in found.members} == {m["id"] for m in item["members"]}
