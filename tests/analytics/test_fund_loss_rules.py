"""A detected ring's fund loss follows the contract (section 3): every transaction the scheme
made, not only those with direct evidence, each once; a hand-built ring whose loss is
known by hand, per scheme rule.

over_prescription: the fills the ring's prescribers wrote for its patients at its places, of
a drug the patient is over-supplied with, or of a drug the ring over-supplies unless the
patient's own measured supply of it fits the days with no prescription over its declared
days (then the patient takes it as prescribed: ordinary care).
"""
from __future__ import annotations

from decimal import Decimal

from ringscope.analytics.detectors.borrowed_cards import detect_borrowed_cards
from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.fund_loss import fund_loss_of
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day


def _ordinary_prescribers(world) -> None:
    """Four prescribers at H2 whose patients refill D1 on time at the PX pharmacies."""
    world.facility("H2", "hospital")
    for k in range(3):
        world.facility(f"PX{k}", "pharmacy")
    for d in range(4):
        doc = world.prescriber(f"DOC{d}", "H2")
        for p in range(3):
            pid = world.patient(f"Q{d}{p}")
            for m in range(4):
                world.settle(pid, f"PX{(p + m) % 3}", day(m * 30), fund=40.0, prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": "D1", "quantity": 30}])


def _fill(world, pid: str, at: int, drug: str, quantity: int, fund: float, days_supply: int | None = None) -> str:
    line = {"drug_code": drug, "quantity": quantity}
    if days_supply is not None:
        line["days_supply"] = days_supply
    return world.settle(pid, "PH1", day(at), fund=fund, prescriber_id="DR1", kind="pharmacy", lines=[line])


def test_over_prescription_ring_loss_counts_the_schemes_fills_of_its_drugs(world):
    """DR1's four patients each get 8 x 60 units of D1 every 15 days at PH1 (4x what can be
    taken): 32 fills of 100.00.  D2 is the ring's drug too (X0 gets 4 x 60 every 15 days:
    4 x 50.00).  X1's one fill of D2 (7.00) cannot be measured on its own: it counts.  X3's
    three monthly D2 fills (3 x 3.00) look on time, but one declares 10 days for 30 units:
    a prescription over its days, so they count.  X2 takes D2 as prescribed (30 units every
    30 days, 4 x 0.50): ordinary care, left out.  Loss by hand: 3200 + 200 + 7 + 9 = 3416.00."""
    world.drug("D1", max_daily=1.0)
    world.drug("D2", max_daily=1.0)
    _ordinary_prescribers(world)
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    world.prescriber("DR1", "H1")
    core = [world.patient(f"X{i}") for i in range(4)]
    counted = [_fill(world, pid, m * 15, "D1", 60, 100.0) for pid in core for m in range(8)]
    counted += [_fill(world, "X0", m * 15, "D2", 60, 50.0, days_supply=None) for m in range(4)]
    counted.append(_fill(world, "X1", 20, "D2", 30, 7.0))
    counted += [_fill(world, "X3", m * 30, "D2", 30, 3.0, days_supply=10 if m == 1 else None) for m in range(3)]
    ordinary = [_fill(world, "X2", m * 30, "D2", 30, 0.5) for m in range(4)]
    con = world.con()
    rings = detect_over_prescription(con, DetectionSettings())
    assert len(rings) == 1
    ring = rings[0]
    assert sorted(ring.members_of("patient")) == core
    assert not set(ordinary) & set(ring.settlement_ids)
    assert sorted(ring.settlement_ids) == sorted(counted)
    assert fund_loss_of(con, ring.settlement_ids) == Decimal("3416.00")


def test_borrowed_cards_loss_leaves_out_two_holders_meeting_once_on_their_own_phones(world):
    """Five far cards come in three batches at pharmacy F1 (15 x 100.00).  Once, two holders
    are settled five minutes apart at hospital F2, each on their own phone (300.00 and
    500.00): the gang never works there, a single co-occurrence is two people's own care.
    Once, the gang's phone presents two of the cards at clinic F3 (2 x 70.00): a session
    away from its usual place is still the gang's.  Loss by hand: 1500 + 140 = 1640.00."""
    for fid, kind in (("F1", "pharmacy"), ("F2", "hospital"), ("F3", "clinic")):
        world.facility(fid, kind, region="440101")
    for i in range(8):  # F1's own local customers
        world.settle(world.patient(f"L{i}", region="440101"), "F1", day(i * 3, 8, 0), operator_id="OPX")
    cards = [world.patient(f"B{i}", region="230204", address=f"village {i}") for i in range(5)]
    counted = [world.settle(pid, "F1", day(d, 14, 2 * i), operator_id="OP1", kind="pharmacy")
               for d in (0, 7, 15) for i, pid in enumerate(cards)]
    own_care = [world.settle("B0", "F2", day(40, 9, 0), fund=300.0, device_id="PHONE-B0", operator_id="OPZ"),
                world.settle("B1", "F2", day(40, 9, 5), fund=500.0, device_id="PHONE-B1", operator_id="OPZ")]
    counted += [world.settle("B2", "F3", day(50, 11, 0), fund=70.0, device_id="GANG1"),
                world.settle("B3", "F3", day(50, 11, 2), fund=70.0, device_id="GANG1")]
    con = world.con()
    rings = detect_borrowed_cards(con, DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == [f"CB{i}" for i in range(5)]
    assert not set(own_care) & set(rings[0].settlement_ids)
    assert sorted(rings[0].settlement_ids) == sorted(counted)
    assert fund_loss_of(con, rings[0].settlement_ids) == Decimal("1640.00")
