"""over_prescription: a small ring's newest patient, with too few fills to measure over time.

Hand-built worlds: a doctor over-supplies two patients with D1 at the pharmacy PL; a third
patient joined near the end of the data and has two fills, the refill long before the first
supply could be used, of the same drug at the same pharmacy: the ring's flow, counted with it
(three patients).  An on-time second fill, an early refill of another drug (a lost box) or
at another pharmacy is no part of the flow, and two patients stay under `min_patients`.
"""
from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day, honest_practices


def _fill(world, pid, place, at, drug, quantity):
    world.settle(pid, place, day(at), prescriber_id="DRL", kind="pharmacy",
                 lines=[{"drug_code": drug, "quantity": quantity}])


def _small_ring(world):
    """DRL (HL) over-supplies two patients with D1 (60 units every 15 days) at PL."""
    for drug in ("D1", "D2"):
        world.drug(drug, max_daily=1.0)
        honest_practices(world, drug, tag="" if drug == "D1" else drug)
    world.facility("HL", "hospital")
    for ph in ("PL", "PO"):
        world.facility(ph, "pharmacy")
    world.prescriber("DRL", "HL")
    ring = [world.patient(f"L{i}") for i in range(2)]
    for pid in ring:
        for m in range(8):
            _fill(world, pid, "PL", m * 15, "D1", 60)
    return ring


def _newcomer(world, second_after, drug="D1", place="PL"):
    """A third patient of DRL: 28 units, then 56 units ``second_after`` days later."""
    pid = world.patient("N0")
    _fill(world, pid, place, 150, drug, 28)
    _fill(world, pid, place, 150 + second_after, drug, 56)
    return pid


def test_a_small_rings_newest_patient_with_an_early_refill_counts_with_it(world):
    ring = _small_ring(world)
    late = _newcomer(world, second_after=4)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert [r.members_of("prescriber") for r in rings] == [["DRL"]]
    assert sorted(rings[0].members_of("patient")) == sorted([*ring, late])
    assert rings[0].members_of("facility") == ["PL"]


def test_a_newcomer_refilling_on_time_does_not_complete_the_ring(world):
    """Look-alike: the third patient's second fill comes when the first was used up."""
    _small_ring(world)
    _newcomer(world, second_after=27)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_an_early_refill_of_another_drug_does_not_complete_the_ring(world):
    """Look-alike: the early refill is of a drug DRL over-supplies to nobody (a lost box)."""
    _small_ring(world)
    _newcomer(world, second_after=4, drug="D2")
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_an_early_refill_at_another_pharmacy_does_not_complete_the_ring(world):
    """Look-alike: the early refill of D1 is filled where DRL's surplus does not flow."""
    _small_ring(world)
    _newcomer(world, second_after=4, place="PO")
    assert detect_over_prescription(world.con(), DetectionSettings()) == []
