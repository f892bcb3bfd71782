from tests.analytics.worlds import day, tuned

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


def _ring_doctor(world):
    """DR1 at H1: four patients each get 8 x 60 units of D1 in ~105 days (about 4x), all at PH1."""
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    doc = world.prescriber("DR1", "H1")
    core = [world.patient(f"X{i}") for i in range(4)]
    for pid in core:
        for m in range(8):
            world.settle(pid, "PH1", day(m * 15), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 60}])
    return doc, core


def test_prescriber_with_excess_patients_at_one_pharmacy_is_a_ring(world):
    world.drug("D1", max_daily=1.0)
    _peers(world)
    _doc, patients = _ring_doctor(world)
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


def test_milder_excess_patient_of_a_ring_joins_it_but_a_chronic_patient_does_not(world):
    """Once a ring is found, its prescriber's patient with a sustained 1.5-2x surplus filled at
    the ring's pharmacy joins; a chronic patient of the same prescriber refilling a little early
    at the same pharmacy (about 1.1x) stays out."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    doc, core = _ring_doctor(world)
    milder = world.patient("M1")  # 6 x 40 units over 105 days: about 1.8x what can be taken
    for m in range(6):
        world.settle(milder, "PH1", day(m * 21), prescriber_id=doc, kind="pharmacy",
                     lines=[{"drug_code": "D1", "quantity": 40}])
    chronic = world.patient("C1")  # 30 units every 27 days: about 1.05x
    for m in range(5):
        world.settle(chronic, "PH1", day(m * 27), prescriber_id=doc, kind="pharmacy",
                     lines=[{"drug_code": "D1", "quantity": 30}])
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    patients = rings[0].members_of("patient")
    assert milder in patients and chronic not in patients
    assert sorted(set(patients) - {milder}) == sorted(core)
    off = DetectionSettings.from_dict({"over_prescription": {"attach_min_ratio": 2.0}})
    assert milder not in detect_over_prescription(world.con(), off)[0].members_of("patient")


def _rare_excess_elsewhere(world, drug="D1"):
    for j in range(40):  # excess is rare among the drug's other prescribers
        pid = world.patient(f"R{drug}{j}")
        for m in range(4):
            world.settle(pid, f"PX{j % 3}", day(m * 30), prescriber_id=f"DOC{j % 4}", kind="pharmacy",
                         lines=[{"drug_code": drug, "quantity": 30}])


def _clinic(world, drugs=("D1", "D1", "D1")):
    """A clinic's three doctors each over-supply their own patients (6, 3 and 3 of them)
    with ``drugs[i]``; the clinic dispenses, so no pharmacy ties them."""
    _peers(world)
    for drug in sorted(set(drugs)):
        _rare_excess_elsewhere(world, drug)
    world.facility("C1", "clinic")
    docs = [world.prescriber(f"DR{i}", "C1") for i in range(3)]
    counts = {docs[0]: 6, docs[1]: 3, docs[2]: 3}
    excess = []
    for (doc, n), drug in zip(counts.items(), drugs):
        for i in range(n):
            pid = world.patient(f"X{doc}{i}")
            excess.append(pid)
            for m in range(8):
                world.settle(pid, "C1", day(m * 15), prescriber_id=doc, kind="outpatient",
                             lines=[{"drug_code": drug, "quantity": 60}])
        for i in range(2 if doc == docs[0] else 1):  # each doctor's ordinary patients
            pid = world.patient(f"O{doc}{i}")
            for m in range(4):
                world.settle(pid, "C1", day(m * 30), prescriber_id=doc, kind="outpatient",
                             lines=[{"drug_code": drug, "quantity": 30}])
    return docs, excess


def test_a_clinics_doctors_pushing_the_same_drug_are_one_ring(world):
    """Each doctor is unusual on D1 by themselves; the clinic they share and the drug they
    push make them one ring (join_same_practice_drug); without it each is a ring alone."""
    from dataclasses import replace

    world.drug("D1", max_daily=1.0)
    docs, excess = _clinic(world)
    settings = DetectionSettings()
    rings = detect_over_prescription(world.con(), settings)
    assert len(rings) == 1
    assert sorted(rings[0].members_of("prescriber")) == sorted(docs)
    assert sorted(rings[0].members_of("patient")) == sorted(excess)
    assert rings[0].members_of("facility") == []  # the practice is not a pharmacy member
    off = replace(settings, over_prescription=replace(settings.over_prescription, join_same_practice_drug=False))
    apart = detect_over_prescription(world.con(), off)
    assert sorted(r.members_of("prescriber")[0] for r in apart if len(r.members_of("prescriber")) == 1) == sorted(docs)
    practice = replace(off, over_prescription=replace(off.over_prescription, join_practice=True))
    rings = detect_over_prescription(world.con(), practice)  # any colleagues, the older and wider join
    assert len(rings) == 1 and sorted(rings[0].members_of("prescriber")) == sorted(docs)


def test_colleagues_pushing_different_drugs_stay_apart(world):
    """Same clinic, but each doctor over-supplies a different drug: three rings, not one."""
    for drug in ("D1", "D2", "D3"):
        world.drug(drug, max_daily=1.0)
    docs, _ = _clinic(world, drugs=("D1", "D2", "D3"))
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert sorted(p for r in rings for p in r.members_of("prescriber")) == sorted(docs)
    assert all(len(r.members_of("prescriber")) == 1 for r in rings)


def test_doctor_whose_patients_got_a_little_too_much_of_different_drugs_founds_nothing(world):
    """Hard negative: three patients of one doctor, each over-supplied on a different
    drug (doctor shopping, multi-morbidity) — no single pushed drug, no ring."""
    for code in ("D1", "D2", "D3"):
        world.drug(code, max_daily=1.0)
    _peers(world)
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    doc = world.prescriber("DR1", "H1")
    for i, code in enumerate(("D1", "D2", "D3")):
        pid = world.patient(f"X{i}")
        for m in range(4):
            world.settle(pid, "PH1", day(m * 15), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": code, "quantity": 60}])
        for other in ("D1", "D2", "D3"):
            if other != code:  # the same patients' other drugs, taken as prescribed
                for m in range(3):
                    world.settle(pid, "PH1", day(m * 30, 15), prescriber_id=doc, kind="pharmacy",
                                 lines=[{"drug_code": other, "quantity": 30}])
    for j in range(12):  # plenty of the doctor's patients on each drug are ordinary
        pid = world.patient(f"N{j}")
        for m in range(3):
            world.settle(pid, "PH1", day(m * 30), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": ("D1", "D2", "D3")[j % 3], "quantity": 30}])
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def _colleagues_two_patients_each(world, excess_each: int):
    """Three doctors of one hospital, each with ``excess_each`` over-supplied patients among
    four on D1, all the surplus filled at PH1: no doctor stands out alone."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    _rare_excess_elsewhere(world)
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    docs = [world.prescriber(f"DR{i}", "H1") for i in range(3)]
    excess = []
    for doc in docs:
        for i in range(4):
            pid = world.patient(f"X{doc}{i}")
            over = i < excess_each
            excess += [pid] if over else []
            for m in range(8 if over else 4):
                world.settle(pid, "PH1" if over else f"PX{i % 3}", day(m * (15 if over else 30)), prescriber_id=doc,
                             kind="pharmacy", lines=[{"drug_code": "D1", "quantity": 60 if over else 30}])
    return docs, excess


def test_colleagues_unusual_only_together_are_a_ring_without_a_founder(world):
    """Two excess patients of four is a 1-in-40 chance for one doctor (no founder), but
    three colleagues doing it around one pharmacy is far below ``founderless_max_chance``."""
    docs, excess = _colleagues_two_patients_each(world, 2)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("prescriber")) == sorted(docs)
    assert sorted(rings[0].members_of("patient")) == sorted(excess)
    assert rings[0].members_of("facility") == ["PH1"]
    assert detect_over_prescription(world.con(), tuned("over_prescription", founderless_max_chance=0.0)) == []


def test_colleagues_with_one_excess_patient_each_found_nothing(world):
    """Hard negative: one over-supplied patient per doctor at a shared pharmacy is chance."""
    _colleagues_two_patients_each(world, 1)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_chance_of_so_many_weighs_count_and_rate_together():
    from ringscope.analytics.detectors.over_prescription import chance_of_so_many, group_chance

    assert chance_of_so_many(3, 3, 0.09) < 0.001
    assert chance_of_so_many(2, 2, 0.55) > 0.3
    assert chance_of_so_many(1, 10, 0.5) > 0.99
    assert chance_of_so_many(0, 5, 0.2) == 1.0
    # two mildly odd colleagues plus a clear one make a very unlikely group
    unusual = {"A": (0.005, 4, 5, 0.1), "B": (0.05, 2, 4, 0.1), "C": (0.05, 2, 4, 0.1)}
    assert group_chance(["A", "B", "C"], unusual) < group_chance(["A"], unusual)


def _busy_doctor_with_one_oversupplied_drug(world):
    """Four multi-morbid patients: a little too much of D1, and six other drugs as prescribed."""
    world.drug("D1", max_daily=1.0)
    others = [f"O{k}" for k in range(6)]
    for code in others:
        world.drug(code, max_daily=1.0)
    _peers(world)
    for j in range(40):  # excess on D1 is rare among its other prescribers
        pid = world.patient(f"R{j}")
        for m in range(4):
            world.settle(pid, f"PX{j % 3}", day(m * 30), prescriber_id=f"DOC{j % 4}", kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 30}])
    world.facility("H1", "hospital")
    world.facility("PH1", "pharmacy")
    doc = world.prescriber("DR1", "H1")
    for i in range(4):
        pid = world.patient(f"X{i}")
        for m in range(4):
            world.settle(pid, "PH1", day(m * 15), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 60}])
        for k, code in enumerate(others):
            for m in range(4):
                world.settle(pid, "PH1", day(m * 30, 11 + k), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": code, "quantity": 30}])


def test_surplus_that_is_a_small_part_of_the_care_is_not_a_ring(world):
    """Hard negative: the surplus is 4 of 28 fills the doctor wrote for each patient."""
    _busy_doctor_with_one_oversupplied_drug(world)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_min_excess_share_zero_switches_the_care_share_test_off(world):
    from dataclasses import replace

    _busy_doctor_with_one_oversupplied_drug(world)
    settings = DetectionSettings()
    settings = replace(settings, over_prescription=replace(settings.over_prescription, min_excess_share=0.0))
    rings = detect_over_prescription(world.con(), settings)
    assert len(rings) == 1 and rings[0].members_of("prescriber") == ["DR1"]
    share = next(e for e in rings[0].evidence if e.kind == "surplus_share")
    assert share.value < 0.33


def test_doctor_shopper_joins_no_ring_of_a_doctor_who_wrote_little_of_their_supply(world):
    """A patient collecting D1 from four doctors is linked only to the one who wrote most of it."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    doc, core = _ring_doctor(world)
    shopper = world.patient("S1")
    world.facility("H9", "hospital")
    others = [world.prescriber(f"DS{k}", "H9") for k in range(3)]
    for m in range(8):
        who = doc if m == 0 else others[m % 3]
        world.settle(shopper, "PX0", day(m * 12, 15), prescriber_id=who, kind="pharmacy",
                     lines=[{"drug_code": "D1", "quantity": 60}])
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1 and rings[0].members_of("prescriber") == ["DR1"]
    assert sorted(rings[0].members_of("patient")) == sorted(core)


def _taken_over(world, movers: int):
    """DR1's ring fills at PH1.  DR2's six patients fill at PH2, until ``movers`` of them
    fill their last prescription at PH1 (too few fills for PH1 to be DR2's pharmacy)."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    _ring_doctor(world)
    world.facility("H3", "hospital")
    world.facility("PH2", "pharmacy")
    doc = world.prescriber("DR2", "H3")
    patients = [world.patient(f"Y{i}") for i in range(6)]
    for i, pid in enumerate(patients):
        for m in range(8):
            pharmacy = "PH1" if (i < movers and m == 7) else "PH2"
            world.settle(pid, pharmacy, day(m * 15), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 60}])


def test_patients_moved_to_another_rings_pharmacy_join_its_ring(world):
    _taken_over(world, movers=2)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert rings[0].members_of("prescriber") == ["DR1", "DR2"]
    assert rings[0].members_of("facility") == ["PH1", "PH2"]
    assert len(rings[0].members_of("patient")) == 10


def test_one_patient_changing_pharmacy_joins_nothing(world):
    _taken_over(world, movers=1)
    assert len(detect_over_prescription(world.con(), DetectionSettings())) == 2


def test_moved_patient_join_can_be_turned_off(world):
    _taken_over(world, movers=2)
    assert len(detect_over_prescription(world.con(), tuned("over_prescription", join_share=0.0))) == 2
