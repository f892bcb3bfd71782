from decimal import Decimal

from ringscope.analytics.evaluation import DetectedRing, TrueRing, Truth, evaluate, jaccard_on_types, match_rings


def _true(rid, scheme, members, loss="100"):
    return TrueRing(rid, scheme, set(members), Decimal(loss))


def _det(rid, scheme, members, loss="100"):
    return DetectedRing(rid, scheme, set(members), Decimal(loss))


def test_only_types_the_true_ring_lists_count():
    t = _true("T1", "trace_resale", {"patient:P1", "patient:P2", "facility:F1"})
    d = _det("D1", "trace_resale", {"patient:P1", "patient:P2", "facility:F1", "card:C1", "card:C2", "card:C3"})
    assert jaccard_on_types(t, d) == 1.0


def test_half_overlap_matches_and_less_does_not():
    t = _true("T1", "maternity", {"employer:E1", "patient:A", "patient:B", "patient:C"})
    assert len(match_rings([t], [_det("D1", "maternity", {"employer:E1", "patient:A"})])) == 1  # 2/4
    assert match_rings([t], [_det("D1", "maternity", {"employer:E1", "patient:X", "patient:Y"})]) == []  # 1/6


def test_scheme_must_agree_unless_mixed():
    t = _true("T1", "car_shuttle", {"facility:H", "patient:A"})
    assert match_rings([t], [_det("D1", "maternity", {"facility:H", "patient:A"})]) == []
    assert len(match_rings([t], [_det("D1", "mixed", {"facility:H", "patient:A"})])) == 1


def test_each_true_ring_matches_at_most_one_detected_ring():
    t = _true("T1", "borrowed_cards", {"card:1", "card:2", "card:3", "card:4"})
    d1 = _det("D1", "borrowed_cards", {"card:1", "card:2", "card:3"})
    d2 = _det("D2", "borrowed_cards", {"card:1", "card:2", "card:3", "card:4"})
    report = evaluate(Truth([t], set()), [d1, d2])
    row = report["per_scheme"]["borrowed_cards"]
    assert report["matched"] == 1 and report["matches"][0]["detected_ring"] == "D2"
    assert row["precision"] == 0.5 and row["recall"] == 1.0 and abs(row["f1"] - 2 / 3) < 1e-3


def test_hard_negative_share_and_fund_loss_error():
    t = _true("T1", "maternity", {"employer:E1", "patient:A"}, loss="200")
    good = _det("D1", "maternity", {"employer:E1", "patient:A"}, loss="150")
    alarm = _det("D2", "maternity", {"employer:E9", "patient:H1", "patient:H2"})
    report = evaluate(Truth([t], {"patient:H1", "patient:H2"}), [good, alarm])
    assert report["hard_negative_rings"] == 1 and report["hard_negative_share"] == 0.5
    assert report["per_scheme"]["maternity"]["fund_loss_error"] == 0.25


def test_agreement_f1_between_two_runs():
    from decimal import Decimal

    from ringscope.analytics.evaluation import agreement_f1
    from ringscope.analytics.ring import Member, Ring

    def ring(scheme, *ids):
        return Ring(scheme=scheme, members=[Member("patient", i, "patient") for i in ids], fund_loss=Decimal("0"))

    a = [ring("car_shuttle", "P1", "P2", "P3"), ring("car_shuttle", "P7", "P8"), ring("maternity", "P4")]
    b = [ring("car_shuttle", "P1", "P2", "P3", "P9"), ring("maternity", "P4")]
    out = agreement_f1(a, b)
    assert out["maternity"] == (1.0, 1, 1)
    f1, n_ref, n_other = out["car_shuttle"]
    assert (n_ref, n_other) == (2, 1) and abs(f1 - 2 * 1.0 * 0.5 / 1.5) < 1e-9
    assert agreement_f1([], []) == {}
