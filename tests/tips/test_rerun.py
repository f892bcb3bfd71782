"""A focused re-run of the detectors on the neighbourhood of what a tip names."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ringscope.app import audit
from ringscope.app.errors import UserError
from ringscope.app.tips.rerun import focused_rerun
from ringscope.app.tips.service import add_tip_file
from tests.tips.conftest import write_tip

# One re-scanned box is enough here: the tiny drop has a single resold box (S001 -> S002), at the
# pharmacy that sold it (a returned box would explain it, so it weighs at most half a box).
LOW = {"trace_resale": {"min_ring_evidence": 0.1, "spread_days": 1}}


def test_rerun_finds_the_resale_around_the_named_pharmacy_without_touching_the_workspace(tip_env, tmp_path):
    cfg, ctx, store = tip_env
    cfg = replace(cfg, detection=LOW)
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("facility", "仁和大药房")]), "li")
    before = store.relational().execute("SELECT count(*) FROM settlements").fetchall()[0][0]
    result = focused_rerun(cfg, ctx, store, added.tip_id, "li")
    assert result.settlements == 2  # S001 and S002, the pharmacy's and its neighbours' settlements
    schemes = {r["scheme"] for r in result.rings}
    assert "trace_resale" in schemes
    resale = next(r for r in result.rings if r["scheme"] == "trace_resale")
    assert resale["ring_id"].startswith("T-000001-F") and {"type": "facility", "id": "F01"} in \
        [{"type": m["type"], "id": m["id"]} for m in resale["members"]]
    doc = json.loads(result.path.read_text(encoding="utf-8"))
    assert doc["focused_on_tip"] == "T-000001" and len(doc["rings"]) == len(result.rings)
    assert store.relational().execute("SELECT count(*) FROM settlements").fetchall()[0][0] == before
    [event] = audit.read_events(cfg.workspace, action="tip_rerun")
    assert event["details"]["settlements"] == 2


def test_rerun_refuses_a_neighbourhood_over_the_cap(tip_env, tmp_path):
    cfg, ctx, store = tip_env
    ctx = replace(ctx, settings=replace(ctx.settings, rerun_max_settlements=1))
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("facility", "仁和大药房")]), "li")
    with pytest.raises(UserError, match="holds 2 settlements, more than .* rerun_max_settlements"):
        focused_rerun(cfg, ctx, store, added.tip_id, "li")


def test_rerun_needs_a_matched_entity(tip_env, tmp_path):
    cfg, ctx, store = tip_env
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("name", "无此人")]), "li")
    with pytest.raises(UserError, match="names nothing found in the store"):
        focused_rerun(cfg, ctx, store, added.tip_id, "li")
