from decimal import Decimal

from ringscope.analytics.detectors.trace_resale import detect_trace_resale
from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day


def _resale_world(world):
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    world.drug("D1")
    world.patient("K1")  # the collector
    n = 0
    for seller in ("P1", "P2", "P3"):
        world.patient(seller)
        for _ in range(2):
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


def test_refund_and_repurchase_by_the_same_card_is_not_resale(world):
    """Look-alike: a pharmacy takes boxes back (refund) and the same card buys them again days
    later; the box never reached a second person.  Counted as resale only if the same-holder
    explanation is switched off."""
    world.facility("PH2", "pharmacy")
    world.drug("D1")
    world.patient("P4")
    for k in range(6):
        code = f"8{k:019d}"
        world.settle("P4", "PH2", day(3 * k), lines=[{"drug_code": "D1", "quantity": 10, "trace_code": code}])
        world.settle("P4", "PH2", day(3 * k + 2), lines=[{"drug_code": "D1", "quantity": 10, "trace_code": code}])
    assert detect_trace_resale(world.con(), DetectionSettings()) == []
    off = DetectionSettings.from_dict({"trace_resale": {"same_holder_is_not_resale": False}})
    assert len(detect_trace_resale(world.con(), off)) == 1


def test_hospital_transfer_recording_the_patients_own_boxes_is_not_resale(world):
    """Look-alike: inpatients transferred from H1 to H2 bring their boxes, which H2 records
    again under the same patient (a second card of theirs)."""
    world.facility("H1", "hospital")
    world.facility("H2", "hospital")
    world.drug("D1")
    for i in range(3):
        pid = world.patient(f"T{i}")
        world.t["cards"].append({"card_id": f"C{pid}-2", "patient_id": pid})
        for k in range(2):
            code = f"7{i}{k:018d}"
            world.settle(pid, "H1", day(10 * i + k), kind="inpatient",
                         lines=[{"drug_code": "D1", "quantity": 28, "trace_code": code}])
            world.settle(pid, "H2", day(10 * i + k + 3), kind="inpatient", card_id=f"C{pid}-2",
                         lines=[{"drug_code": "D1", "quantity": 28, "trace_code": code}])
    assert detect_trace_resale(world.con(), DetectionSettings()) == []
    off = DetectionSettings.from_dict({"trace_resale": {"same_holder_is_not_resale": False}})
    assert len(detect_trace_resale(world.con(), off)) == 1


def test_resale_without_collector_cards_recorded_is_still_a_ring(world):
    """The resale settlements carry no patient id (only the card): the box still reached a
    second person's card, and the ring stands."""
    _resale_world(world)
    for row in world.t["settlements"]:
        if row["card_id"] == "CK1":
            row["patient_id"] = None
    assert len(detect_trace_resale(world.con(), DetectionSettings())) == 1
