"""Tips linked to rings through what they name and its neighbourhood; the nearest structure otherwise."""
from __future__ import annotations

import json

from ringscope.app.ring_source import load_rings
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.linking import drg_case_index, link_tip, ring_index
from ringscope.app.tips.matching import Match
from ringscope.app.tips.service import add_tip_file, relink
from tests.drops import VALID_ID
from tests.tips.conftest import write_tip


def _links(tip_env, matches, cases=None):
    cfg, ctx, store = tip_env
    rings = load_rings(cfg.workspace, store.relational(), cfg.app)
    return link_tip(store, matches, ring_index(rings.rings), cases or {}, ctx.settings)


def test_a_member_named_links_its_ring_at_distance_zero(tip_env):
    links = _links(tip_env, [Match("Patient", "P001", "id")])
    assert ("ring", "R-000001", "member", 0) in {(item.target_kind, item.target_id, item.relation, item.distance) for item in links}


def test_a_neighbour_links_the_ring_through_the_graph(tip_env):
    """Card C001 is no member, but its holder P001 is: one hop."""
    links = _links(tip_env, [Match("Card", "C001", "id")])
    ring1 = [item for item in links if item.target_id == "R-000001"]
    assert ring1 and ring1[0].relation == "neighbourhood" and ring1[0].distance == 1


def test_entities_in_no_ring_get_the_nearest_ring_beyond_reach(tip_env):
    """P006 shares a phone with P005, who holds card C005 of R-000004: three hops, beyond link_hops=2."""
    links = _links(tip_env, [Match("Patient", "P006", "name")])
    assert [(item.target_id, item.relation, item.distance) for item in links] == [("R-000004", "nearest", 3)]


def test_shared_identifier_when_no_ring_is_within_reach(tip_env):
    from dataclasses import replace

    cfg, ctx, store = tip_env
    rings = load_rings(cfg.workspace, store.relational(), cfg.app)
    near = replace(ctx.settings, nearest_max_hops=2)
    links = link_tip(store, [Match("Patient", "P006", "name")], ring_index(rings.rings), {}, near)
    assert [(item.target_kind, item.target_id, item.distance) for item in links] == [("shared_identifier", "Phone:13900000009", 1)]


def test_an_isolated_entity_links_to_nothing(tip_env):
    assert _links(tip_env, [Match("Patient", "P008", "address")]) == []


def test_drg_cases_link_through_their_facility(tip_env):
    cfg, _ctx, _store = tip_env
    doc = json.loads((cfg.workspace / "rings.json").read_text(encoding="utf-8"))
    doc["drg_cases"] = [{"case_id": "DRG-0001", "violation": "up_coding", "facility_id": "F03", "patient_id": "P008",
                         "settlement_ids": ["S008"], "fund_loss": 10.0, "score": 0.9, "evidence": []}]
    (cfg.workspace / "rings.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    cases = drg_case_index(cfg.workspace, cfg.app)
    links = _links(tip_env, [Match("Patient", "P008", "address")], cases)
    assert ("drg_case", "DRG-0001", 0) in {(item.target_kind, item.target_id, item.distance) for item in links}


def test_tip_from_file_links_a_ring_and_is_stored_with_its_links(tip_env, tmp_path):
    _cfg, ctx, store = tip_env
    path = write_tip(tmp_path / "tip.json", [("id_number", VALID_ID), ("facility", "仁和大药房")])
    [added] = add_tip_file(ctx, store, path, "li")
    assert added.tip_id == "T-000001"
    stored = tip_store.tip_links(store.relational(), added.tip_id)
    assert ("ring", "R-000001", 0) in {(item.target_kind, item.target_id, item.distance) for item in stored}
    assert [t.tip_id for t, _ in tip_store.tips_of_ring(store.relational(), "R-000001")] == ["T-000001"]
    again = add_tip_file(ctx, store, path, "li")  # the same tip filed twice is not stored twice
    assert again[0].duplicate and again[0].tip_id == "T-000001"
    assert len(tip_store.list_tips(store.relational())) == 1


def test_relink_keeps_verified_links(tip_env, tmp_path):
    from ringscope.app.tips.service import set_status

    _cfg, ctx, store = tip_env
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("patient", "P001")]), "li")
    set_status(ctx, store.relational(), added.tip_id, "verified", "li", rings_led_to=["R-000001"])
    links = relink(ctx, store, added.tip_id, "li")
    stored = tip_store.tip_links(store.relational(), added.tip_id)
    assert any(item.target_id == "R-000001" and item.verified for item in stored)
    assert len([item for item in stored if item.target_id == "R-000001"]) == 1 and links


def test_a_verified_tip_on_a_confirmed_drg_case_earns_from_the_case_loss(tip_env, tmp_path):
    from decimal import Decimal

    from ringscope.app.tips.service import set_status
    from ringscope.app.triage import set_triage

    cfg, ctx, store = tip_env
    doc = json.loads((cfg.workspace / "rings.json").read_text(encoding="utf-8"))
    doc["drg_cases"] = [{"case_id": "DRG-0001", "violation": "up_coding", "facility_id": "F03", "patient_id": "P008",
                         "settlement_ids": ["S008"], "fund_loss": 50000.0, "score": 0.9, "evidence": []}]
    (cfg.workspace / "rings.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("patient", "P008")]), "li")
    set_triage(store.relational().cursor(), "DRG-0001", "confirmed", updated_by="zhao")
    _tip, est = set_status(ctx, store.relational(), added.tip_id, "verified", "li")
    assert est.rings == ("DRG-0001",) and est.amount == Decimal("2200.00")  # 10,000×6% + 40,000×4%


def test_confirmed_matches_are_audited_and_relink_uses_only_them(tip_env, tmp_path):
    from ringscope.app import audit
    from ringscope.app.tips.service import confirm_matches

    cfg, ctx, store = tip_env
    con = store.relational()
    # the phone 13900000009 is shared by P005 (who holds R-000004's card C005), P006 and P007
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("phone", "13900000009")]), "li")
    [entity] = tip_store.tip_entities(con, added.tip_id)
    assert {m["id"] for m in entity.matches} == {"P005", "P006", "P007"}
    assert any(x.target_id == "R-000004" and x.relation == "neighbourhood" for x in tip_store.tip_links(con, added.tip_id))
    confirm_matches(ctx, con, added.tip_id, entity.seq, ["Patient:P007"], "li")
    links = relink(ctx, store, added.tip_id, "li")
    assert [(x.target_id, x.relation) for x in links] == [("R-000004", "nearest")]  # P007 alone is 3 hops away
    assert [e["details"]["confirmed"] for e in audit.read_events(cfg.workspace, action="tip_matches")] == \
        [["Patient:P007"]]
