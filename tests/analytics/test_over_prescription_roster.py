"""over_prescription: a treatment roster at a hospital explains a surplus-like rhythm.

Dialysis or chemotherapy sessions are given at the hospital every few days by whichever
colleague is on shift: counted as take-home supply they look like a surplus written again
and again, but the drug is written in turn by a roster of the practice's doctors and given
there.  A scheme's patient has one doctor (two after a handover).
"""
from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day, honest_practices


def _sessions(world, doctors_on_shift: int):
    """Four patients get D1 at hospital HD every 4 days (10 units, about 2.5x the listed daily
    maximum over the span), written by the ``doctors_on_shift`` doctors of HD in turn, a
    doctor on shift for a week of sessions (seven), once in the span."""
    world.drug("D1", max_daily=1.0, price=80.0)
    world.drug("D2", max_daily=1.0)
    honest_practices(world, "D1")
    for h in range(5):  # a second, cheaper drug: D1's daily cost ranks high
        pid = world.patient(f"W{h}")
        for m in range(3):
            world.settle(pid, f"PX{m % 3}", day(m * 30), prescriber_id=f"DOC{h}", kind="pharmacy",
                         lines=[{"drug_code": "D2", "quantity": 30}])
    world.facility("HD", "hospital")
    docs = [world.prescriber(f"DS{i}", "HD") for i in range(doctors_on_shift)]
    patients = [world.patient(f"S{i}") for i in range(4)]
    for i, pid in enumerate(patients):
        for m in range(28):
            world.settle(pid, "HD", day(m * 4), prescriber_id=docs[(i + m // 7) % len(docs)], kind="outpatient",
                         lines=[{"drug_code": "D1", "quantity": 10}])
    return docs, patients


def test_sessions_given_at_the_hospital_by_doctors_on_shift_are_not_a_ring(world):
    """Look-alike: four doctors of the hospital take turns; the roster explains it."""
    _sessions(world, doctors_on_shift=4)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_the_same_rhythm_from_one_doctor_is_still_a_ring(world):
    """Positive: the same surplus written by one doctor and dispensed at his practice is no
    roster: the explanation does not apply and the ring is reported."""
    docs, patients = _sessions(world, doctors_on_shift=1)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert [r.members_of("prescriber") for r in rings] == [docs]
    assert sorted(rings[0].members_of("patient")) == sorted(patients)


def test_without_the_roster_explanation_the_sessions_would_be_reported(world):
    """The look-alike is fraud-shaped on its indications: with the roster weight at 0 it is
    reported, so the first test shows the explanation at work, not an easy world."""
    _sessions(world, doctors_on_shift=4)
    off = DetectionSettings.from_dict({"over_prescription": {"roster_weight": 0.0}})
    assert len(detect_over_prescription(world.con(), off)) == 1


def _rotating_clinic(world):
    """Four patients of a hepatitis clinic get 90 units of D1 every 20 days (about 4.5x the
    listed maximum), written two fills at a time by the clinic's four doctors in turn and
    filled at the pharmacies near the hospital, also in turn."""
    world.drug("D1", max_daily=1.0, price=80.0)
    honest_practices(world, "D1")
    world.facility("HC", "hospital")
    for ph in ("PA", "PB", "PC"):
        world.facility(ph, "pharmacy")
    docs = [world.prescriber(f"DC{i}", "HC") for i in range(4)]
    for i in range(4):
        pid = world.patient(f"C{i}")
        for m in range(8):
            world.settle(pid, ("PA", "PB", "PC")[(i + m) % 3], day(m * 20), prescriber_id=docs[(i + m // 2) % 4],
                         kind="pharmacy", lines=[{"drug_code": "D1", "quantity": 90}])


def test_a_clinic_whose_doctors_write_in_turn_is_a_roster_wherever_it_is_filled(world):
    """Look-alike: the patients of a clinic rotate between its doctors (no doctor is theirs);
    filled at pharmacies rather than at the hospital, the rotation still explains it."""
    _rotating_clinic(world)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []
    off = DetectionSettings.from_dict({"over_prescription": {"roster_weight": 0.0}})
    assert len(detect_over_prescription(world.con(), off)) == 1
