from tests.analytics.worlds import day

from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.settings import DetectionSettings


def _peers(world):
    """Ordinary prescribers: on-time refills, spread over pharmacies."""
    world.facility("H2", "hospital")
    for k in range(3):
        world.facility(f"PX{k}", "pharmacy")
    for d in range(4):
        doc = world.prescriber(f"DOC{d}", "H2")
        for p in range(3):
            pid = world.patient(f"Q{d}{p}")
            for m in range(4):
                world.settle(pid, f"PX{(p + m) % 3}", day(m * 30), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": "D1", "quantity": 30}])


def test_prescriber_with_excess_patients_at_one_pharmacy_is_a_ring(world):
    world.drug("D1", max_daily=1.0)
    _peers(world)
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    doc = world.prescriber("DR1", "H1")
    patients = [world.patient(f"X{i}") for i in range(4)]
    for pid in patients:
        for m in range(8):  # 8 x 60 units in ~105 days: about 4 times what can be taken
            world.settle(pid, "PH1", day(m * 15), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 60}])
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    ring = rings[0]
    assert ring.members_of("prescriber") == ["DR1"]
    assert ring.members_of("facility") == ["PH1"]
    assert sorted(ring.members_of("patient")) == sorted(patients)
    assert len(ring.settlement_ids) == 32
    assert ring.evidence[0].kind == "excess_supply"


def test_chronic_patient_with_large_legitimate_supplies_is_not_a_ring(world):
    """Hard negative: 90-day fills refilled a little early, several pharmacies."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    world.facility("H1", "hospital")
    doc = world.prescriber("DR1", "H1")
    for i in range(4):
        pid = world.patient(f"CH{i}")
        for m in range(3):
            world.settle(pid, f"PX{(i + m) % 3}", day(m * 80), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 90}])
    assert detect_over_prescription(world.con(), DetectionSettings()) == []
