from datetime import timedelta

from tests.analytics.worlds import day, tuned

from ringscope.analytics.detectors.car_shuttle import detect_car_shuttle
from ringscope.analytics.settings import DetectionSettings


def _admit(world, pid, facility, start, stay, fund, self_share, diagnosis="I63.9"):
    total = round(fund / (1 - self_share), 2) if self_share < 1 else fund
    return world.settle(pid, facility, day(start + stay, 16), fund=fund, total=total,
                        self_paid=round(total - fund, 2), kind="inpatient",
                        admitted_on=(day(start)).date(), discharged_on=(day(start) + timedelta(days=stay)).date(),
                        diagnosis_code=diagnosis)


def _baseline(world, facility, n=12):
    for i in range(n):
        pid = world.patient(f"Z{facility}{i}", region="510101")
        _admit(world, pid, facility, start=i * 5, stay=8, fund=3000.0, self_share=0.3, diagnosis=f"K{i}")


def test_cohort_with_waived_fees_repeatedly_admitted_is_a_ring(world):
    world.facility("H1", "hospital", region="510101")
    _baseline(world, "H1")
    villagers = [world.patient(f"V{i}", region="510121") for i in range(6)]
    for trip in (0, 20, 41):
        for i, pid in enumerate(villagers):
            _admit(world, pid, "H1", start=trip + (i % 2), stay=4, fund=3500.0, self_share=0.0)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    ring = rings[0]
    assert ring.members_of("facility") == ["H1"]
    assert sorted(ring.members_of("patient")) == sorted(villagers)
    kinds = {e.kind for e in ring.evidence}
    assert {"co_admission", "fee_waiver"} <= kinds
    assert len(ring.settlement_ids) == 18


def test_three_villagers_bussed_again_and_again_are_a_ring_but_two_are_not(world):
    """min_patients (3): the repetition and the waiver make a shuttle, not the head count."""
    world.facility("H1", "hospital", region="510101")
    _baseline(world, "H1")
    villagers = [world.patient(f"V{i}", region="510121") for i in range(3)]
    for trip in (0, 14, 30, 45, 61):
        for pid in villagers:
            _admit(world, pid, "H1", start=trip, stay=4, fund=3500.0, self_share=0.0)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1 and sorted(rings[0].members_of("patient")) == sorted(villagers)
    assert detect_car_shuttle(world.con(), tuned("car_shuttle", min_patients=4)) == []


def test_a_couple_admitted_together_with_waived_fees_is_not_a_ring(world):
    """Hard negative: two people (a couple on medical assistance) are below min_patients."""
    world.facility("H1", "hospital", region="510101")
    _baseline(world, "H1")
    couple = [world.patient(f"C{i}", region="510121", address="lane 3") for i in range(2)]
    for trip in (0, 14, 30, 45, 61):
        for pid in couple:
            _admit(world, pid, "H1", start=trip, stay=4, fund=3500.0, self_share=0.0)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def test_nursing_home_admitted_together_but_paying_normally_is_not_a_ring(world):
    world.facility("H1", "hospital", region="510101")
    _baseline(world, "H1")
    residents = [world.patient(f"N{i}", region="510101", address="sunset home") for i in range(6)]
    for trip in (0, 20, 41):
        for pid in residents:
            _admit(world, pid, "H1", start=trip, stay=8, fund=3000.0, self_share=0.3)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def test_outbreak_admitted_once_is_not_a_ring_even_when_fees_are_waived(world):
    world.facility("H1", "hospital", region="510101")
    _baseline(world, "H1")
    for i in range(10):
        pid = world.patient(f"O{i}", region="510121")
        _admit(world, pid, "H1", start=3, stay=3, fund=2000.0, self_share=0.0, diagnosis="A09.0")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def _two_busloads(world):
    world.facility("H1", "hospital", region="510101")
    _baseline(world, "H1")
    first = [world.patient(f"V{i}", region="510121") for i in range(5)]
    second = [world.patient(f"W{i}", region="510121") for i in range(5)]
    for trip in (0, 20, 41):  # the bus runs two sets of villagers on different days
        for pid in first:
            _admit(world, pid, "H1", start=trip, stay=4, fund=3500.0, self_share=0.0)
        for pid in second:
            _admit(world, pid, "H1", start=trip + 10, stay=4, fund=3500.0, self_share=0.0)
    return first, second


def test_cohorts_brought_to_the_same_institution_are_one_ring_when_asked(world):
    from dataclasses import replace

    first, second = _two_busloads(world)
    settings = DetectionSettings()
    settings = replace(settings, car_shuttle=replace(settings.car_shuttle, merge_same_institution=True))
    rings = detect_car_shuttle(world.con(), settings)
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(first + second)
    assert len(rings[0].settlement_ids) == 30


def test_cohort_groups_stay_apart_by_default(world):
    _two_busloads(world)
    assert len(detect_car_shuttle(world.con(), DetectionSettings())) == 2


def _takeover(world, movers: int):
    """Shuttle B runs to H1 all along; shuttle A runs to H2, then ``movers`` of A's
    villagers are brought, on trips of their own, to H1."""
    world.facility("H1", "hospital", region="510101")
    world.facility("H2", "hospital", region="510101")
    _baseline(world, "H1")
    _baseline(world, "H2")
    b = [world.patient(f"B{i}", region="510121") for i in range(5)]
    a = [world.patient(f"A{i}", region="510121") for i in range(5)]
    for trip in (0, 20, 41, 62):
        for pid in b:
            _admit(world, pid, "H1", start=trip, stay=4, fund=3500.0, self_share=0.0)
    for trip in (5, 26):
        for pid in a:
            _admit(world, pid, "H2", start=trip, stay=4, fund=3500.0, self_share=0.0)
    for trip in (50, 71):
        for pid in a[:movers]:
            _admit(world, pid, "H1", start=trip, stay=4, fund=3500.0, self_share=0.0)
    return a, b


def test_villagers_moved_to_another_shuttles_hospital_join_its_ring(world):
    a, b = _takeover(world, movers=3)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(a + b)
    assert rings[0].members_of("facility") == ["H1", "H2"]


def test_one_villager_changing_hospital_does_not_join_two_shuttles(world):
    _takeover(world, movers=1)
    assert len(detect_car_shuttle(world.con(), DetectionSettings())) == 2


def test_moved_villager_join_can_be_turned_off(world):
    _takeover(world, movers=3)
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", join_share=0.0))) == 2
