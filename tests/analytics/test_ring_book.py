import duckdb

from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.ring_identity import assign_ids
from ringscope.graph import ring_book


def _ring(scheme, ids, score=0.5):
    return Ring(scheme, [Member("card", i, "borrowed") for i in ids], settlement_ids=[f"S{i}" for i in ids],
                evidence=[Evidence("card_pool", "text", "文本")], score=score)


def test_ids_survive_growth_and_new_rings_get_new_ids():
    con = duckdb.connect()
    first = [_ring("borrowed_cards", ["1", "2", "3", "4"]), _ring("maternity", ["9"])]
    run1 = ring_book.record_run(con, first, "h1", assign=assign_ids)
    ids1 = {r.fingerprint: r.ring_id for r in first}
    assert sorted(ids1.values()) == ["R-000001", "R-000002"]
    grown = _ring("borrowed_cards", ["1", "2", "3", "4", "5"])  # Jaccard 0.8: same ring
    other_scheme = _ring("car_shuttle", ["9"])  # same members, other scheme: new ring
    run2 = ring_book.record_run(con, [grown, other_scheme], "h1", assign=assign_ids)
    assert run2 != run1
    assert grown.ring_id == ids1[first[0].fingerprint]
    assert other_scheme.ring_id == "R-000003"
    latest = ring_book.latest_rings(con)
    assert {r["ring_id"] for r in latest} == {grown.ring_id, "R-000003"}
    got = ring_book.get_ring(con, grown.ring_id)
    assert got is not None
    assert got["settlement_ids"] == [f"S{i}" for i in "12345"] and got["evidence"][0]["text_zh"] == "文本"
    dissolved = ring_book.get_ring(con, "R-000002")
    assert dissolved is not None and dissolved["run_id"] == run1  # a dissolved ring is still found


def test_same_data_gives_same_ids_in_a_fresh_book():
    rings_a = [_ring("borrowed_cards", ["7", "8", "9"]), _ring("borrowed_cards", ["1", "2", "3"])]
    rings_b = [_ring("borrowed_cards", ["1", "2", "3"]), _ring("borrowed_cards", ["7", "8", "9"])]
    for rings in (rings_a, rings_b):
        ring_book.record_run(duckdb.connect(), rings, "h", assign=assign_ids)
    assert {r.fingerprint: r.ring_id for r in rings_a} == {r.fingerprint: r.ring_id for r in rings_b}


def test_assign_ids_is_one_to_one():
    prev = {"R-000001": ("borrowed_cards", frozenset({"card:1", "card:2"}))}
    a, b = _ring("borrowed_cards", ["1", "2"]), _ring("borrowed_cards", ["1", "2", "3"])
    ids, jac, nxt = assign_ids([b, a], prev, 2)
    assert ids == ["R-000002", "R-000001"] and jac[1] == 1.0 and nxt == 3


def test_a_ring_that_more_than_doubles_keeps_its_id():
    prev = {"R-000001": ("car_shuttle", frozenset({"patient:1", "patient:2", "patient:3"}))}
    grown = Ring("car_shuttle", [Member("patient", str(i)) for i in range(1, 9)])  # Jaccard 3/8, containment 1
    ids, jac, _ = assign_ids([grown], prev, 2)
    assert ids == ["R-000001"] and jac[0] == 3 / 8
    stranger = Ring("car_shuttle", [Member("patient", str(i)) for i in range(3, 12)])  # shares 1 of 3
    assert assign_ids([stranger], prev, 2)[0] == ["R-000002"]
