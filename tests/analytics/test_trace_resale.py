from decimal import Decimal

from tests.analytics.worlds import day

from ringscope.analytics.detectors.trace_resale import detect_trace_resale
from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.settings import DetectionSettings


def _resale_world(world):
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    world.drug("D1")
    world.patient("K1")  # the collector
    n = 0
    for seller in ("P1", "P2", "P3"):
        world.patient(seller)
        for k in range(2):
            n += 1
            code = f"{n:020d}"
            world.settle(seller, "H1", day(n), fund=50.0, lines=[{"drug_code": "D1", "quantity": 28, "trace_code": code}])
            world.settle("K1", "PH1", day(n + 10), fund=40.0, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 28, "trace_code": code}])
    return world


def test_sellers_and_reselling_pharmacy_form_one_ring(world):
    con = _resale_world(world).con()
    rings = detect_trace_resale(con, DetectionSettings())
    assert len(rings) == 1
    ring = rings[0]
    assert ring.scheme == "trace_resale"
    assert set(ring.members_of("patient")) == {"P1", "P2", "P3"}
    assert ring.members_of("facility") == ["PH1"]
    assert ring.members_of("card") == ["CK1"]
    assert {e.kind for e in ring.evidence} >= {"duplicate_trace_code", "resale_chain"}
    assert all(e.text and e.text_zh for e in ring.evidence)
    # 6 purchases + 6 resales, each once
    assert len(ring.settlement_ids) == 12
    attach_fund_loss(con, rings)
    assert ring.fund_loss == Decimal("540.00")


def test_same_card_same_day_correction_is_not_resale(world):
    world.facility("PH2", "pharmacy")
    world.drug("D1")
    world.patient("P4")
    for k in range(6):
        code = f"9{k:019d}"
        world.settle("P4", "PH2", day(k, 9), lines=[{"drug_code": "D1", "quantity": 10, "trace_code": code}])
        world.settle("P4", "PH2", day(k, 11), lines=[{"drug_code": "D1", "quantity": 10, "trace_code": code}])
    assert detect_trace_resale(world.con(), DetectionSettings()) == []


def test_one_stray_box_is_not_a_ring(world):
    world.facility("H1")
    world.facility("PH1", "pharmacy")
    world.drug("D1")
    world.patient("P1")
    world.patient("K1")
    code = "1" * 20
    world.settle("P1", "H1", day(0), lines=[{"drug_code": "D1", "quantity": 28, "trace_code": code}])
    world.settle("K1", "PH1", day(5), lines=[{"drug_code": "D1", "quantity": 28, "trace_code": code}])
    assert detect_trace_resale(world.con(), DetectionSettings()) == []
