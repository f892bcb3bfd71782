"""Triage survives re-detection; the ring source reads rings.json."""
from __future__ import annotations

import json

import duckdb
import pytest

from ringscope.app import ring_source, triage


def test_triage_defaults_sets_and_survives_reopen(tmp_path):
    path = tmp_path / "cat.duckdb"
    con = duckdb.connect(str(path))
    assert triage.get_triage(con, "R-000001").status == "new"
    triage.set_triage(con, "R-000001", "investigating", assignee="li", notes="查药房", updated_by="li")
    triage.set_triage(con, "R-000001", "confirmed", assignee="li", notes="已核实", updated_by="wang")
    con.close()
    con = duckdb.connect(str(path))  # a new detection run / new session
    got = triage.get_triage(con, "R-000001")
    assert (got.status, got.assignee, got.notes, got.updated_by) == ("confirmed", "li", "已核实", "wang")
    assert [h.status for h in triage.triage_history(con, "R-000001")] == ["investigating", "confirmed"]
    both = triage.all_triage(con, ["R-000001", "R-000002"])
    assert both["R-000002"].status == "new"
    with pytest.raises(triage.TriageError):
        triage.set_triage(con, "R-000001", "closed")


def test_rings_json_is_read_sorted_by_score(tmp_path):
    doc = {"contract": 1, "generated_at": "2026-11-24T10:00:00+08:00", "rings": [
        {"ring_id": "R-2", "scheme": "borrowed_cards", "score": 0.5, "members": [{"type": "card", "id": "C1"}],
         "fund_loss": 10, "settlement_ids": ["S1"], "evidence": [{"kind": "k", "text": "en", "text_zh": "中"}]},
        {"ring_id": "R-1", "scheme": "trace_resale", "score": 0.9, "members": [], "fund_loss": 5.5,
         "settlement_ids": [], "extra": True},
    ]}
    (tmp_path / "rings.json").write_text(json.dumps(doc), encoding="utf-8")
    rs = ring_source.load_rings(tmp_path, None)
    assert [r.ring_id for r in rs.rings] == ["R-1", "R-2"]
    r2 = rs.get("R-2")
    assert r2 is not None and r2.members[0].role == "member" and r2.evidence[0].in_language("zh") == "中"
    assert ring_source.load_rings(tmp_path / "empty", None).rings == ()
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ring_source.RingSourceError, match="bad.json"):
        ring_source.load_rings(tmp_path, None, {"rings_file": str(tmp_path / "bad.json")})
