from tests.analytics.worlds import day

from ringscope.analytics.detectors.borrowed_cards import detect_borrowed_cards
from ringscope.analytics.settings import DetectionSettings


def _background(world, facility, n=8):
    """Local patients who visit the facility alone: the facility's baseline."""
    for i in range(n):
        pid = world.patient(f"L{facility}{i}", region="440101")
        world.settle(pid, facility, day(i * 3, 8, 0), operator_id="OPX")


def test_pool_of_far_cards_settled_together_is_a_ring(world):
    world.facility("F1", "pharmacy", region="440101")
    _background(world, "F1")
    cards = []
    for i in range(5):
        cards.append(world.patient(f"B{i}", region="230204", address=f"village {i}"))
    for d in (0, 7, 15):  # three batches, minutes apart, same operator
        for i, pid in enumerate(cards):
            world.settle(pid, "F1", day(d, 14, 2 * i), operator_id="OP1", kind="pharmacy")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == [f"CB{i}" for i in range(5)]
    assert "far_from_home" in {e.kind for e in rings[0].evidence}
    assert len(rings[0].settlement_ids) == 15


def test_family_sharing_a_phone_is_not_a_ring(world):
    """Hard negative: a family's cards presented from one phone, at home, often together."""
    world.facility("F1", "clinic", region="440101")
    _background(world, "F1")
    family = [world.patient(f"M{i}", region="440101", address="same flat", phone="13800000000") for i in range(4)]
    for d in (0, 7, 15, 30):
        for i, pid in enumerate(family):
            world.settle(pid, "F1", day(d, 9, i), device_id="DV1", operator_id="OP2")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []


def test_chain_pharmacies_sharing_staff_is_not_a_ring(world):
    """Hard negative: one pharmacist settles local regulars at two branches of a chain."""
    world.facility("PA", "pharmacy", region="440101", chain_id="CH1")
    world.facility("PB", "pharmacy", region="440101", chain_id="CH1")
    regulars = [world.patient(f"R{i}", region="440101") for i in range(6)]
    for d in range(0, 60, 10):
        for i, pid in enumerate(regulars):
            world.settle(pid, "PA" if i % 2 else "PB", day(d, 10, 3 * i), operator_id="OPCHAIN", kind="pharmacy")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []


def test_screening_day_once_is_not_a_ring(world):
    """Hard negative: many far cards together on one day only (no repetition)."""
    world.facility("F1", "hospital", region="440101")
    _background(world, "F1")
    for i in range(10):
        pid = world.patient(f"S{i}", region="230204")
        world.settle(pid, "F1", day(3, 9, i), operator_id="OP1")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
