"""over_prescription: a ring merged from two practices, whose patients see its doctors in turn.

Hand-built worlds: a ring absorbed by another keeps its own practice and its own pushed drug,
and the merged ring's patients pass between the two practices' doctors, once or twice each.
Across practices those passing over-supplied patients tie the doctors (nobody stands in for a
doctor of another practice); inside one practice a colleague standing in once is no tie, and
patients passing without surplus tie nobody.  Each doctor of the merged ring pushes one or two
drugs of their own: the ring's focus is measured per prescriber, while a practice's doctors
who give a little too much of many chronic drugs keep a low focus.
"""
from ringscope.analytics.detectors.base import temp_tables
from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.detectors.over_prescription.groups import measured_group_facts, prepare, prescriber_groups
from ringscope.analytics.detectors.over_prescription.supply import TEMP
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day, honest_practices


def _writes(world, doc, pid, place, drug, quantity, every, fills, start=0):
    for m in range(fills):
        world.settle(pid, place, day(start + m * every), prescriber_id=doc, kind="pharmacy",
                     lines=[{"drug_code": drug, "quantity": quantity}])


def _half(world, doc, practice, pharmacy, prefix, drugs=("D1",), patients=4):
    """``doc`` at ``practice`` pushes ``drugs`` (4x, every 15 days) to ``patients`` patients at ``pharmacy``."""
    world.facility(practice, "hospital")
    world.facility(pharmacy, "pharmacy")
    world.prescriber(doc, practice)
    out = [world.patient(f"{prefix}{i}") for i in range(patients)]
    for pid in out:
        for k, drug in enumerate(drugs):
            _writes(world, doc, pid, pharmacy, drug, 60, 15, 8, start=k)
    return out


def _visits(world, doc, place, patients, drug="D1", start=50):
    """Each of ``patients`` gets one fill of ``drug`` from ``doc`` (a visit to another doctor)."""
    for i, pid in enumerate(patients):
        _writes(world, doc, pid, place, drug, 60, 15, 1, start=start + i)


def _drugs(world, *codes):
    for code in codes:
        world.drug(code, max_daily=1.0)
        honest_practices(world, code, tag="" if code == "D1" else code)


def test_patients_passing_once_between_two_practices_doctors_make_one_ring(world):
    """DRA (HA, PHA) and DRB (HB, PHB) each over-supply four patients with D1; three of DRA's
    patients also get D1 once from DRB: the same over-supplied people pass between the two
    practices' surplus flows, one ring (each doctor writing a shared patient twice is not
    needed across practices)."""
    _drugs(world, "D1")
    first = _half(world, "DRA", "HA", "PHA", "A")
    second = _half(world, "DRB", "HB", "PHB", "B")
    _visits(world, "DRB", "PHB", first[:3])
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert [r.members_of("prescriber") for r in rings] == [["DRA", "DRB"]]
    assert sorted(rings[0].members_of("patient")) == sorted(first + second)


def test_a_colleague_standing_in_once_does_not_join_two_rings_of_one_practice(world):
    """Look-alike: DRA and DRB work at the same hospital, each with a ring of their own filling
    at their own pharmacy; DRB stands in once for three of DRA's patients (a shift, a holiday).
    Colleagues cover for each other: one fill each is no handover, the rings stay two."""
    _drugs(world, "D1")
    world.facility("HB", "hospital")
    _half(world, "DRA", "H", "PHA", "A")
    _half(world, "DRB", "H", "PHB", "B")
    first = [f"A{i}" for i in range(3)]
    _visits(world, "DRB", "PHB", first)
    rings = sorted(detect_over_prescription(world.con(), DetectionSettings()), key=lambda r: r.members_of("prescriber"))
    assert [r.members_of("prescriber") for r in rings] == [["DRA"], ["DRB"]]


def test_on_time_patients_passing_between_two_practices_tie_nobody(world):
    """Look-alike: DRA and DRB each run a ring; three of DRA's other patients, on time with D1,
    see DRB once.  Patients without surplus passing between doctors tie nobody: two rings."""
    _drugs(world, "D1")
    _half(world, "DRA", "HA", "PHA", "A")
    _half(world, "DRB", "HB", "PHB", "B")
    calm = [world.patient(f"C{i}") for i in range(3)]
    for pid in calm:
        _writes(world, "DRA", pid, "PHA", "D1", 30, 30, 5)
    _visits(world, "DRB", "PHB", calm, start=130)
    rings = sorted(detect_over_prescription(world.con(), DetectionSettings()), key=lambda r: r.members_of("prescriber"))
    assert [r.members_of("prescriber") for r in rings] == [["DRA"], ["DRB"]]


def _focus_of(world, doc):
    con, settings = world.con(), DetectionSettings()
    with temp_tables(con, *TEMP):
        prepare(con, settings)
        groups, _edges = prescriber_groups(con, settings, None)
        group = [g for g in groups if f"prescriber:{doc}" in g]
        facts = measured_group_facts(con, settings.over_prescription, group)
    return group[0], facts[0].focus


def test_a_merged_rings_doctors_each_pushing_their_own_drugs_keep_full_focus(world):
    """DRA pushes D1 and D2, DRB (another practice) pushes D3; three of DRA's patients also get
    D1 once from DRB.  Everything the ring wrote for its patients was surplus of its doctors'
    own main drugs: focus is complete (three drugs over the group would cut it to 2/3)."""
    _drugs(world, "D1", "D2", "D3")
    first = _half(world, "DRA", "HA", "PHA", "A", drugs=("D1", "D2"))
    _half(world, "DRB", "HB", "PHB", "B", drugs=("D3",))
    _visits(world, "DRB", "PHB", first[:3])
    group, focus = _focus_of(world, "DRA")
    assert "prescriber:DRB" in group
    assert focus > 0.95


def test_a_doctor_giving_a_little_too_much_of_many_drugs_keeps_a_low_focus(world):
    """Look-alike: one doctor's multi-morbid patients get four chronic drugs, each a little
    over (about 1.9x), all at the pharmacy next door: measured per prescriber, the two main
    drugs are still only half of what was written (focus is no sign here)."""
    _drugs(world, "D1", "D2", "D3", "D4")
    world.facility("HM", "hospital")
    world.facility("PM", "pharmacy")
    world.prescriber("DM", "HM")
    for i in range(5):
        pid = world.patient(f"M{i}")
        for k, drug in enumerate(("D1", "D2", "D3", "D4")):
            _writes(world, "DM", pid, "PM", drug, 56, 30, 6, start=k)
    _group, focus = _focus_of(world, "DM")
    assert focus <= 0.55
