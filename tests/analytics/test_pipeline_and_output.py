import json

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.pipeline import provisional_ids, run_detection
from ringscope.analytics.rings_json import read_rings_json, rings_document, write_rings_json
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.test_trace_resale import _resale_world
from tests.analytics.worlds import make_con


def test_empty_store_gives_no_rings_and_no_error():
    result = run_detection(make_con(), DetectionSettings())
    assert result.rings == []
    assert set(result.timings) >= {"trace_resale", "borrowed_cards", "car_shuttle", "over_prescription", "maternity"}


def test_tiny_drop_folder_without_most_files(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id,gender\nP1,F\n", encoding="utf-8")
    (tmp_path / "cards.csv").write_text("card_id,patient_id\nC1,P1\n", encoding="utf-8")
    con = connect_drop(tmp_path)
    assert run_detection(con).rings == []


def test_output_is_stable_and_follows_the_contract(world, tmp_path):
    docs = []
    for _ in range(2):
        con = _resale_world(world).con()
        rings = provisional_ids(run_detection(con, DetectionSettings()).rings)
        docs.append(rings_document(rings, extra={"run_id": "x"}))
        world.__init__()
    for d in docs:
        d.pop("generated_at")
    assert docs[0] == docs[1]
    path = write_rings_json(tmp_path / "rings.json", provisional_ids(run_detection(_resale_world(world).con()).rings))
    doc = read_rings_json(path)
    assert doc["contract"] == 1 and doc["generated_at"].endswith("+08:00")
    ring = doc["rings"][0]
    for key in ("ring_id", "scheme", "score", "members", "fund_loss", "settlement_ids", "claim_ids", "evidence"):
        assert key in ring
    assert 0.0 <= ring["score"] <= 1.0
    assert ring["ring_id"] == "R-000001"
    assert all({"kind", "text", "text_zh"} <= set(e) for e in ring["evidence"])
    assert json.loads(path.read_text(encoding="utf-8")) == doc


def test_rings_sorted_by_score_then_id():
    from ringscope.analytics.ring import Member, Ring
    from ringscope.analytics.rings_json import sort_rings

    a = Ring("maternity", [Member("employer", "E1")], score=0.5, ring_id="R-000002")
    b = Ring("maternity", [Member("employer", "E2")], score=0.9, ring_id="R-000003")
    c = Ring("maternity", [Member("employer", "E3")], score=0.5, ring_id="R-000001")
    assert [r.ring_id for r in sort_rings([a, b, c])] == ["R-000003", "R-000001", "R-000002"]
