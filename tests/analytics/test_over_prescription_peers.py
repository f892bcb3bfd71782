"""over_prescription: rings joined by the patients they hand over, and baselines set by ordinary peers.

Hand-built worlds: a ring that took over another ring's patients is one ring (a single shared
patient or honest doctors sharing patients are not); a drug written mostly by rings keeps the
clinical bar (one vote per practice) while a drug whose listed maximum is off for everyone
moves it; a mild ring is judged against ordinary prescribers, not against the other rings.
"""
from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day, high_dose_practices, honest_practices, pushing_ring, repeat_fills

_writes = repeat_fills


def _ring(world, docs, practice, pharmacy, prefix, **kw):
    """A ring pushing D1 (tests/analytics/worlds.py::pushing_ring), 4 patients unless told."""
    return pushing_ring(world, docs, practice, pharmacy, prefix, **{"patients": 4, **kw})


def _by_prescribers(rings):
    return sorted(rings, key=lambda r: r.members_of("prescriber"))


def _handover(world, shared: int, b_drug: str = "D1"):
    """Ring B (DRB at HB, PHB, pushing ``b_drug``) takes over ``shared`` of ring A's patients
    from day 75: DRB writes them its surplus drug from then on, filled at PHB.  DRA (at HA,
    PHA, pushing D1) keeps his others."""
    for drug in sorted({"D1", b_drug}):
        world.drug(drug, max_daily=1.0)
        honest_practices(world, drug, tag="" if drug == "D1" else drug)
    first = _ring(world, ["DRB"], "HB", "PHB", "B", drug=b_drug)
    world.facility("HA", "hospital")
    world.facility("PHA", "pharmacy")
    world.prescriber("DRA", "HA")
    taken = [world.patient(f"A{i}") for i in range(4)]
    for i, pid in enumerate(taken):
        _writes(world, "DRA", pid, "PHA", "D1", 60, 15, 6)
        if i < shared:
            _writes(world, "DRB", pid, "PHB", b_drug, 60, 15, 3, start=90)
        else:
            _writes(world, "DRA", pid, "PHA", "D1", 60, 15, 3, start=90)
    return first, taken


def test_a_ring_that_took_over_another_rings_patients_is_one_ring(world):
    """Three of DRA's over-supplied patients go on getting the same surplus from DRB at DRB's
    pharmacy: the same people tie the two doctors (no place in common does)."""
    first, taken = _handover(world, shared=3)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert rings[0].members_of("prescriber") == ["DRA", "DRB"]
    assert sorted(rings[0].members_of("facility")) == ["PHA", "PHB"]
    assert sorted(rings[0].members_of("patient")) == sorted(first + taken)


def test_a_ring_that_took_over_patients_and_writes_them_its_own_drug_is_one_ring(world):
    """DRB pushes another drug than DRA and writes it for the three patients it took over:
    the same over-supplied people are the tie, whatever drug each ring pushes."""
    first, taken = _handover(world, shared=3, b_drug="D2")
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert [r.members_of("prescriber") for r in rings] == [["DRA", "DRB"]]
    assert sorted(rings[0].members_of("patient")) == sorted(first + taken)


def test_one_patient_seen_by_two_rings_does_not_join_them(world):
    """Look-alike: a single patient also gets the drug from the other ring's doctor (a patient
    shopping around): one person passing is no handover, the rings stay two."""
    _handover(world, shared=1)
    rings = _by_prescribers(detect_over_prescription(world.con(), DetectionSettings()))
    assert [r.members_of("prescriber") for r in rings] == [["DRA"], ["DRB"]]


def test_honest_doctors_sharing_patients_on_time_are_no_ring(world):
    """Look-alike: two doctors of different practices share five chronic patients (a patient
    moves to a new doctor, the old one still writes now and then), everything on time: shared
    patients without surplus tie nobody and nothing is reported."""
    world.drug("D1", max_daily=1.0)
    honest_practices(world, "D1")
    for h in ("HC", "HD"):
        world.facility(h, "hospital")
    world.prescriber("DRC", "HC")
    world.prescriber("DRD", "HD")
    for i in range(5):
        pid = world.patient(f"S{i}")
        _writes(world, "DRC", pid, f"PX{i % 3}", "D1", 30, 30, 3)
        _writes(world, "DRD", pid, f"PX{(i + 1) % 3}", "D1", 30, 30, 3, start=90)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_a_rare_drug_written_mostly_by_rings_keeps_the_clinical_bar(world):
    """Seven of the nine prescribers of a rare drug are the doctors of two rings (four at one
    practice, three at another, about 3x the maximum); two practices' doctors write it on time.
    One vote per practice: the rings cannot lift the drug's bar, both rings are found."""
    world.drug("D1", max_daily=1.0)
    honest_practices(world, "D1", practices=2)
    first = _ring(world, ["R1", "R2", "R3", "R4"], "HR1", "PR1", "X", patients=8, quantity=45)
    second = _ring(world, ["S1", "S2", "S3"], "HR2", "PR2", "Y", patients=6, quantity=45)
    honest_practices(world, "D2", practices=3, tag="Z")  # five practices in all write drugs
    world.drug("D2", max_daily=1.0)
    rings = _by_prescribers(detect_over_prescription(world.con(), DetectionSettings()))
    assert [r.members_of("prescriber") for r in rings] == [["R1", "R2", "R3", "R4"], ["S1", "S2", "S3"]]
    assert sorted(rings[0].members_of("patient")) == sorted(first)
    assert sorted(rings[1].members_of("patient")) == sorted(second)


def test_a_drug_whose_listed_maximum_is_off_for_everyone_moves_the_bar(world):
    """Look-alike: doctors of six practices all give about 2.2x the listed maximum, each
    doctor's patients filling at their own usual pharmacy: that is the drug's usual dose (its
    listed maximum is off), one vote per practice moves the bar and nothing is reported."""
    world.drug("D1", max_daily=1.0)
    high_dose_practices(world, "D1", tag="")
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_a_mild_ring_is_judged_against_ordinary_prescribers_not_other_rings(world):
    """Three strong rings (two doctors each, 4x) write most of D1; a mild ring (two doctors,
    about 2.2x, refilling a little early, its patients also on an ordinary drug) is compared
    with the five ordinary prescribers of D1, not with the other rings: its early refills and
    its share of over-supplied patients stand out, and it is reported with the three."""
    world.drug("D1", max_daily=1.0)
    world.drug("D2", max_daily=1.0)
    honest_practices(world, "D1")
    honest_practices(world, "D2", tag="B")
    for k in range(3):
        _ring(world, [f"S{k}a", f"S{k}b"], f"HS{k}", f"PS{k}", f"Y{k}", patients=6)
    mild = _ring(world, ["M1", "M2"], "HM", "PM", "M", patients=6, quantity=44, every=20, fills=7)
    for i, pid in enumerate(mild):
        _writes(world, ("M1", "M2")[i % 2], pid, "PM", "D2", 30, 30, 5, start=5)
    rings = _by_prescribers(detect_over_prescription(world.con(), DetectionSettings()))
    assert [r.members_of("prescriber") for r in rings] == [["M1", "M2"], ["S0a", "S0b"], ["S1a", "S1b"],
                                                           ["S2a", "S2b"]]
    assert sorted(rings[0].members_of("patient")) == sorted(mild)


def test_after_a_handover_the_new_prescribers_fills_count_as_the_rings_surplus(world):
    """Focus (the share of what the ring's prescribers wrote for its patients that was surplus
    of its main drugs) counts the surplus whichever ring prescriber wrote it: here everything
    written was D1 surplus, before or after the handover, so focus is complete."""
    from ringscope.analytics.detectors.base import temp_tables
    from ringscope.analytics.detectors.over_prescription.groups import measured_group_facts, prepare, prescriber_groups
    from ringscope.analytics.detectors.over_prescription.supply import TEMP

    _handover(world, shared=3)
    con, settings = world.con(), DetectionSettings()
    with temp_tables(con, *TEMP):
        prepare(con, settings)
        groups, _edges = prescriber_groups(con, settings, None)
        ring = [g for g in groups if "prescriber:DRA" in g]
        facts = measured_group_facts(con, settings.over_prescription, ring)
    assert "prescriber:DRB" in ring[0]
    assert facts[0].focus == 1.0


def _colleagues(world, per_doctor: int, surplus_units: int, refill_days: int):
    """Three doctors of practice H1, each with one patient on D1 at ``surplus_units`` every
    ``refill_days`` days (and ``per_doctor - 1`` on time), filled in turn at PA and PB: no
    doctor's own flow to one pharmacy repeats on three days, the practice's does."""
    world.drug("D1", max_daily=1.0)
    honest_practices(world, "D1")
    world.facility("H1", "hospital")
    for ph in ("PA", "PB"):
        world.facility(ph, "pharmacy")
    surplus = []
    for d in range(3):
        doc = world.prescriber(f"DR{d}", "H1")
        for p in range(per_doctor):
            pid = world.patient(f"X{d}{p}")
            units, every = (surplus_units, refill_days) if p == 0 else (30, 30)
            for m in range(4):
                world.settle(pid, ("PA", "PB")[m % 2], day(d + m * every), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": "D1", "quantity": units}])
            if p == 0:
                surplus.append(pid)
    return surplus


def test_colleagues_whose_surplus_reaches_the_same_pharmacies_together_are_a_ring(world):
    """Three colleagues, one over-supplied patient each (4x), the practice's surplus filled
    again and again at PA and PB: together it repeats, and the three are one ring."""
    surplus = _colleagues(world, per_doctor=1, surplus_units=60, refill_days=15)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert rings[0].members_of("prescriber") == ["DR0", "DR1", "DR2"]
    assert sorted(rings[0].members_of("facility")) == ["PA", "PB"]
    assert sorted(rings[0].members_of("patient")) == sorted(surplus)


def test_colleagues_with_one_slightly_over_supplied_patient_among_many_are_no_ring(world):
    """Look-alike: the same practice and pharmacies, but each doctor has ten patients on D1 and
    one of them gets about 1.6x, refilled on time: the practice's repeated flow makes them a
    candidate, the indications (a likely count, no concentration, no early refill) do not."""
    _colleagues(world, per_doctor=10, surplus_units=48, refill_days=30)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []
