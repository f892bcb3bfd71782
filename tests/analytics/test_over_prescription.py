from ringscope.analytics.detectors.over_prescription import (
    chance_of_so_many,
    detect_over_prescription,
    group_chance,
)
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day


def _peers(world):
    """Ordinary prescribers: on-time refills, spread over pharmacies."""
    world.facility("H2", "hospital")
    for k in range(3):
        world.facility(f"PX{k}", "pharmacy")
    _ordinary_prescribers(world, "D1", "")


def _ordinary_prescribers(world, drug: str, tag: str):
    """Four prescribers at H2 whose three patients each refill ``drug`` on time at the PX pharmacies."""
    for d in range(4):
        doc = world.prescriber(f"DOC{tag}{d}", "H2")
        for p in range(3):
            pid = world.patient(f"Q{tag}{d}{p}")
            for m in range(4):
                world.settle(pid, f"PX{(p + m) % 3}", day(m * 30), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": drug, "quantity": 30}])


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
    """With the candidate bar at twice the baseline, a further patient of the ring's prescriber
    with a sustained 1.5-2x surplus filled at the ring's pharmacy joins; a chronic patient of
    the same prescriber refilling a little early at the same pharmacy (about 1.1x) stays out."""
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
    strict = DetectionSettings.from_dict({"over_prescription": {"min_supply_ratio": 2.0}})
    rings = detect_over_prescription(world.con(), strict)
    assert len(rings) == 1
    patients = rings[0].members_of("patient")
    assert milder in patients and chronic not in patients
    assert sorted(set(patients) - {milder}) == sorted(core)
    off = DetectionSettings.from_dict({"over_prescription": {"min_supply_ratio": 2.0, "attach_min_ratio": 2.0}})
    assert milder not in detect_over_prescription(world.con(), off)[0].members_of("patient")


def _rare_excess_elsewhere(world, drug="D1"):
    for j in range(40):  # excess is rare among the drug's other prescribers
        pid = world.patient(f"R{drug}{j}")
        for m in range(4):
            world.settle(pid, f"PX{j % 3}", day(m * 30), prescriber_id=f"DOC{j % 4}", kind="pharmacy",
                         lines=[{"drug_code": drug, "quantity": 30}])


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


def test_colleagues_splitting_a_scheme_through_one_pharmacy_are_a_ring_without_a_founder(world):
    """No doctor has the three patients a ring needs, and none needs to be unusual alone: the
    repeated flow of their surplus to one pharmacy ties them, the combined indications decide."""
    docs, excess = _colleagues_two_patients_each(world, 2)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("prescriber")) == sorted(docs)
    assert sorted(rings[0].members_of("patient")) == sorted(excess)
    assert rings[0].members_of("facility") == ["PH1"]


def test_chance_of_so_many_weighs_count_and_rate_together():
    assert chance_of_so_many(3, 3, 0.09) < 0.001
    assert chance_of_so_many(2, 2, 0.55) > 0.3
    views = {"A": (4, 5, 0.1), "B": (2, 4, 0.1), "C": (0, 40, 0.1)}
    assert group_chance(["A", "B"], views) < group_chance(["A"], views)
    assert group_chance(["A", "B", "C"], views) > group_chance(["A", "B"], views)


def _long_prescriptions_at_a_health_centre(world):
    """Chronic patients of a community health centre: 90-day long prescriptions (declared days
    cover the units), collected every month from their family doctor (one of three GPs)."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    world.facility("CHC", "community_health_center")
    gps = [world.prescriber(f"GP{i}", "CHC") for i in range(3)]
    for i in range(6):
        pid = world.patient(f"L{i}")
        for m in range(6):
            world.settle(pid, "CHC", day(m * 30), prescriber_id=gps[i % 3],
                         lines=[{"drug_code": "D1", "quantity": 90, "days_supply": 90}])


def test_long_chronic_prescriptions_at_a_health_centre_are_not_a_ring(world):
    """Hard negative: three times what can be taken, but every prescription states its 90 days
    openly, the surplus stays in the practice's own dispensary with all its GPs: explained.
    Without the long-prescription explanation the same data would be a ring."""
    _long_prescriptions_at_a_health_centre(world)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []
    unexplained = DetectionSettings.from_dict({"over_prescription": {"long_prescription_weight": 0.0}})
    assert detect_over_prescription(world.con(), unexplained) != []


def test_dtp_pharmacy_filling_a_rare_drug_for_the_city_is_not_a_ring(world):
    """Hard negative: a costly rare drug that one specialist (DTP) pharmacy fills for the whole
    city; five hospital doctors send their patients there, who collect a few boxes ahead.  The
    concentration is the drug's market, no doctor stands out among the drug's prescribers."""
    world.drug("D1", max_daily=1.0, price=1.0)
    world.drug("R1", max_daily=1.0, price=300.0)
    _peers(world)
    world.facility("DTP", "pharmacy", region="110105")
    for d in range(5):
        world.facility(f"HH{d}", "hospital", region=f"11010{d + 1}")
        doc = world.prescriber(f"ONC{d}", f"HH{d}")
        for i in range(3):
            pid = world.patient(f"K{d}{i}")
            for m in range(5):
                world.settle(pid, "DTP", day(m * 28), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": "R1", "quantity": 21}, {"drug_code": "R1", "quantity": 21}])
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_palliative_patients_who_died_soon_after_are_not_a_ring(world):
    """Look-alike: end-of-life patients of one doctor get doses far above the usual maximum,
    refilled early at the pharmacy next to the hospice, and die within weeks of the last fill.
    Without the palliative explanation the same data would be a ring."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    _doc, patients = _ring_doctor(world)
    for row in world.t["patients"]:
        if row["patient_id"] in patients:
            row["death_date"] = day(120).date()
    assert detect_over_prescription(world.con(), DetectionSettings()) == []
    unexplained = DetectionSettings.from_dict({"over_prescription": {"palliative_weight": 0.0}})
    assert len(detect_over_prescription(world.con(), unexplained)) == 1


def test_surplus_dispensed_by_the_clinic_itself_is_still_a_ring(world):
    """No pharmacy at all: a clinic's two doctors dispense the surplus of one drug themselves.
    The practice's own dispensary ties them; no pharmacy member is required."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    _rare_excess_elsewhere(world)
    world.facility("C1", "clinic")
    docs = [world.prescriber(f"DR{i}", "C1") for i in range(2)]
    excess = []
    for d, doc in enumerate(docs):
        for i in range(3):
            pid = world.patient(f"X{d}{i}")
            excess.append(pid)
            for m in range(8):
                world.settle(pid, "C1", day(m * 15), prescriber_id=doc,
                             lines=[{"drug_code": "D1", "quantity": 60}])
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("prescriber")) == docs
    assert sorted(rings[0].members_of("patient")) == sorted(excess)
    assert rings[0].members_of("facility") == []


def _pushing_doctor(world, doc, practice, drug, pharmacies, prefix):
    """`doc` at `practice`: four patients each get 8 x 60 units of `drug` in ~105 days (about 4x),
    filled in turn at `pharmacies`."""
    if practice not in {f["facility_id"] for f in world.t["facilities"]}:
        world.facility(practice, "hospital")
    world.prescriber(doc, practice)
    patients = [world.patient(f"{prefix}{i}") for i in range(4)]
    for i, pid in enumerate(patients):
        for m in range(8):
            world.settle(pid, pharmacies[(i + m) % len(pharmacies)], day(m * 15), prescriber_id=doc, kind="pharmacy",
                         lines=[{"drug_code": drug, "quantity": 60}])
    return patients


def test_two_rings_sharing_one_pharmacy_are_two_rings(world):
    """Two practices push different drugs, each through its own pharmacy and one busy pharmacy
    they share: a single pharmacy in common ties nobody, so two rings are reported, and the
    shared pharmacy is a member of both."""
    world.drug("D1", max_daily=1.0)
    world.drug("D2", max_daily=1.0)
    _peers(world)
    _ordinary_prescribers(world, "D2", "B")  # ordinary prescribers of D2 too: D2 has its own baseline
    for ph in ("PHA", "PHB", "PHS"):
        world.facility(ph, "pharmacy")
    first = _pushing_doctor(world, "DRA", "HA", "D1", ["PHA", "PHS"], "A")
    second = _pushing_doctor(world, "DRB", "HB", "D2", ["PHB", "PHS"], "B")
    rings = sorted(detect_over_prescription(world.con(), DetectionSettings()), key=lambda r: r.members_of("prescriber"))
    assert [r.members_of("prescriber") for r in rings] == [["DRA"], ["DRB"]]
    assert sorted(rings[0].members_of("facility")) == ["PHA", "PHS"]
    assert sorted(rings[1].members_of("facility")) == ["PHB", "PHS"]
    assert sorted(rings[0].members_of("patient")) == sorted(first)
    assert sorted(rings[1].members_of("patient")) == sorted(second)


def test_honest_doctor_whose_patients_fill_at_a_rings_pharmacy_is_not_pulled_in(world):
    """A doctor at another practice has two patients with a sustained 2x surplus who fill at the
    ring's pharmacy (a repeated flow, but two patients are individual care): the pharmacy
    they share with the ring does not make the doctor or the patients ring members."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    _doc, core = _ring_doctor(world)
    world.facility("H4", "hospital")
    honest = world.prescriber("HON", "H4")
    for i in range(2):
        pid = world.patient(f"HP{i}")
        for m in range(4):
            world.settle(pid, "PH1" if m < 3 else "PX0", day(m * 30), prescriber_id=honest, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 60}])
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert rings[0].members_of("prescriber") == ["DR1"]
    assert sorted(rings[0].members_of("patient")) == sorted(core)


def test_two_doctors_of_one_hospital_with_their_own_pharmacies_are_two_rings(world):
    """One hospital alone ties nobody (a large one has hundreds of doctors): two of its doctors
    each pushing a drug through their own pharmacy are two rings; colleagues are one ring only
    when their surplus also reaches a pharmacy in common."""
    world.drug("D1", max_daily=1.0)
    _peers(world)
    for ph in ("PHA", "PHB"):
        world.facility(ph, "pharmacy")
    _pushing_doctor(world, "DRA", "HBIG", "D1", ["PHA"], "A")
    _pushing_doctor(world, "DRB", "HBIG", "D1", ["PHB"], "B")
    rings = sorted(detect_over_prescription(world.con(), DetectionSettings()), key=lambda r: r.members_of("prescriber"))
    assert [r.members_of("prescriber") for r in rings] == [["DRA"], ["DRB"]]
