from decimal import Decimal

from ringscope.analytics.detectors.trace_resale import detect_trace_resale
from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day, tuned


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


def _box(n: int) -> list[dict]:
    return [{"drug_code": "D1", "quantity": 28, "trace_code": f"5{n:019d}"}]


def _small_spread_ring(world, seller_home=None):
    """Three sellers, one box each, bought at their own pharmacies and settled again by
    strangers at one pharmacy on three days months apart: few boxes per seller, none repeats."""
    world.drug("D1")
    world.facility("PH9", "pharmacy")
    for i in range(3):
        seller, buyer = world.patient(f"S{i}"), world.patient(f"B{i}")
        home = seller_home or world.facility(f"PH{i}", "pharmacy")
        world.settle(seller, home, day(40 * i), kind="pharmacy", lines=_box(i))
        world.settle(buyer, "PH9", day(40 * i + 30 + 7 * i), kind="pharmacy", lines=_box(i))
    return world


def test_small_ring_spread_thin_over_months_is_reported(world):
    """Three one-box sellers feeding one pharmacy on three days: no seller has two boxes (the
    old per-seller gate missed such rings), but together they are a pattern."""
    rings = detect_trace_resale(_small_spread_ring(world).con(), DetectionSettings())
    assert len(rings) == 1
    assert set(rings[0].members_of("patient")) == {"S0", "S1", "S2"}
    assert rings[0].members_of("facility") == ["PH9"]


def test_one_sellers_batch_resold_on_one_day_is_not_yet_a_ring(world):
    """One seller's three boxes settled again together, once: a single event, not yet the
    repetition organised resale shows (it counts half until boxes come back on a second day)."""
    world.drug("D1")
    world.facility("PH1", "pharmacy")
    world.facility("PH2", "pharmacy")
    world.patient("S0")
    world.patient("B0")
    for n in range(3):
        world.settle("S0", "PH1", day(0), kind="pharmacy", lines=_box(n))
        world.settle("B0", "PH2", day(9), kind="pharmacy", lines=_box(n))
    assert detect_trace_resale(world.con(), DetectionSettings()) == []


def test_one_seller_many_buyers_at_several_pharmacies_is_a_ring(world):
    """A third simulator's shape: one seller, each box settled again by a different stranger
    at one of three pharmacies, long after purchase."""
    world.drug("D1")
    world.facility("H1")
    world.patient("S0")
    for n in range(4):
        buyer, shop = world.patient(f"B{n}"), world.facility(f"PX{n % 3}", "pharmacy") if n < 3 else "PX0"
        world.settle("S0", "H1", day(n), lines=_box(n))
        world.settle(buyer, shop, day(100 + 20 * n), kind="pharmacy", lines=_box(n))
    [ring] = detect_trace_resale(world.con(), DetectionSettings())
    assert ring.members_of("patient") == ["S0"]
    assert sorted(ring.members_of("facility")) == ["PX0", "PX1", "PX2"]


def _returns(world, customers: int, resold_at: str = "PH1"):
    """``customers`` people each buy a box at PH1 and return it; it is sold to another
    customer at ``resold_at`` a few days later, one box per customer over the year."""
    world.drug("D1")
    world.facility("PH1", "pharmacy")
    if resold_at != "PH1":
        world.facility(resold_at, "pharmacy")
    for i in range(customers):
        world.patient(f"R{i}")
        world.patient(f"N{i}")
        world.settle(f"R{i}", "PH1", day(7 * i), kind="pharmacy", lines=_box(i))
        world.settle(f"N{i}", resold_at, day(7 * i + 2), kind="pharmacy", lines=_box(i))
    return world


def test_a_busy_pharmacys_returned_boxes_sold_again_are_not_a_ring(world):
    """Look-alike: forty customers over the year return a box each to the pharmacy where they
    bought it, and it is sold again there.  However many, returns add less than one box."""
    assert detect_trace_resale(_returns(world, 40).con(), DetectionSettings()) == []


def test_the_same_boxes_sold_on_by_another_pharmacy_are_a_ring(world):
    """What the returned-box explanation turns away: the same five boxes, bought at PH1 and
    settled again by strangers at an unrelated pharmacy, are a buy-back network."""
    [ring] = detect_trace_resale(_returns(world, 5, resold_at="PH7").con(), DetectionSettings())
    assert ring.members_of("facility") == ["PH7"]


def test_a_repeat_seller_at_the_pharmacy_of_purchase_is_a_ring(world):
    """The returned-box explanation stops when one customer's boxes keep coming back: a
    pharmacy buying back from its own customers."""
    world.drug("D1")
    world.facility("PH1", "pharmacy")
    for s in range(2):
        world.patient(f"R{s}")
        for k in range(2):
            n = 2 * s + k
            world.patient(f"N{n}")
            world.settle(f"R{s}", "PH1", day(30 * n), kind="pharmacy", lines=_box(n))
            world.settle(f"N{n}", "PH1", day(30 * n + 5), kind="pharmacy", lines=_box(n))
    [ring] = detect_trace_resale(world.con(), DetectionSettings())
    assert sorted(ring.members_of("patient")) == ["R0", "R1"]


def test_stock_moved_between_branches_of_a_chain_is_not_a_ring(world):
    """Look-alike: returned boxes moved from one branch to another of the same chain and sold
    there.  The same movements between unrelated pharmacies are a ring."""
    _small_spread_ring(world)
    for row in world.t["facilities"]:
        row["chain_id"] = "CHAIN1"
    assert detect_trace_resale(world.con(), DetectionSettings()) == []
    for row in world.t["facilities"]:
        row["chain_id"] = row["facility_id"]
    assert len(detect_trace_resale(world.con(), DetectionSettings())) == 1


def test_a_family_sharing_its_boxes_is_not_a_ring(world):
    """Look-alike: a mother buys her boxes at the hospital, her daughter (same address) has
    some of them recorded again at her own pharmacy, month after month.  Reported only
    if the household explanation is switched off."""
    world.drug("D1")
    world.facility("H1")
    world.facility("PH1", "pharmacy")
    world.patient("M0", address="幸福路1号3单元201")
    world.patient("D0", address="幸福路1号3单元201")
    for n in range(4):
        world.settle("M0", "H1", day(30 * n), lines=_box(n))
        world.settle("D0", "PH1", day(30 * n + 10), kind="pharmacy", lines=_box(n))
    assert detect_trace_resale(world.con(), DetectionSettings()) == []
    off = tuned("trace_resale", household_is_not_resale=False)
    assert len(detect_trace_resale(world.con(), off)) == 1


def test_two_sellers_boxes_resold_in_one_basket_are_a_ring(world):
    """Repetition across places: boxes bought by two people at two pharmacies, settled again
    together by a stranger elsewhere (a collector's batch) come from two occasions."""
    world.drug("D1")
    world.facility("PH9", "pharmacy")
    world.patient("B0")
    for i in range(2):
        world.patient(f"S{i}")
        world.settle(f"S{i}", world.facility(f"PH{i}", "pharmacy"), day(i), kind="pharmacy", lines=_box(i))
    world.settle("B0", "PH9", day(60), kind="pharmacy", lines=_box(0) + [dict(_box(1)[0])])
    [ring] = detect_trace_resale(world.con(), DetectionSettings())
    assert sorted(ring.members_of("patient")) == ["S0", "S1"]
