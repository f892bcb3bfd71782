"""over_prescription at scale: what grows with the population must not make or hide rings.

Hand-built worlds for two effects of a large population: a pushed drug written by more rings
than ordinary practices (the rings would set the drug's norm and hide a milder ring), and a
large practice whose doctors each have one over-supplied patient filling at the pharmacy
next door (their number grows with the practice, not with any scheme).
"""
from ringscope.analytics.detectors.over_prescription import detect_over_prescription
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import day, high_dose_practices, honest_practices, pushing_ring, repeat_fills

_writes = repeat_fills


def _ring(world, docs, practice, pharmacy, prefix, **kw):
    """A ring pushing D1 (tests/analytics/worlds.py::pushing_ring), 6 patients unless told."""
    return pushing_ring(world, docs, practice, pharmacy, prefix, **{"patients": 6, **kw})


def _mild_ring(world):
    """Two doctors give six patients about 2.2x the maximum of D1, a little early, at PM;
    their patients also get an ordinary drug on time."""
    mild = _ring(world, ["M1", "M2"], "HM", "PM", "M", quantity=44, every=20, fills=7)
    for i, pid in enumerate(mild):
        _writes(world, ("M1", "M2")[i % 2], pid, "PM", "D2", 30, 30, 5, start=5)
    return mild


def test_a_mild_ring_is_found_where_rings_write_most_of_the_drug(world):
    """Six strong rings (4x) and a mild one (2.2x) write D1; only two ordinary practices do.
    Every practice voting, the drug's lower quartile is the mild ring's own dose and hides it;
    the rings do not vote (suspects are left out of the baseline), so the clinical maximum
    stands and the mild ring is reported with the six."""
    world.drug("D1", max_daily=1.0)
    world.drug("D2", max_daily=1.0)
    honest_practices(world, "D1", practices=2)
    honest_practices(world, "D2", tag="B")
    for k in range(6):
        _ring(world, [f"S{k}a", f"S{k}b"], f"HS{k}", f"PS{k}", f"Y{k}")
    mild = _mild_ring(world)
    rings = sorted(detect_over_prescription(world.con(), DetectionSettings()), key=lambda r: r.members_of("prescriber"))
    assert [r.members_of("prescriber") for r in rings] == [["M1", "M2"]] + [[f"S{k}a", f"S{k}b"] for k in range(6)]
    assert sorted(rings[0].members_of("patient")) == sorted(mild)


def test_a_dose_every_practice_gives_still_moves_the_bar_beside_rings(world):
    """Look-alike: six ordinary practices all give about 2.2x the listed maximum of D1 (the
    listed maximum is off), while three rings push it at 5x.  The ordinary practices are not
    suspects and keep voting: the bar moves to their dose, only the rings are reported."""
    world.drug("D1", max_daily=1.0)
    high_dose_practices(world, "D1", tag="")
    for k in range(3):
        _ring(world, [f"S{k}a"], f"HS{k}", f"PS{k}", f"Y{k}", quantity=75)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert sorted(r.members_of("prescriber") for r in rings) == [["S0a"], ["S1a"], ["S2a"]]


def _large_practice(world, doctors: int, ring_patients: int = 1):
    """``doctors`` doctors of H1; each has two patients on D1 on time (pharmacies around the
    city) and one over-supplied steadily (2.4x, refilled every 25 days) who always fills at PN,
    the pharmacy next door.  The first doctor has ``ring_patients`` such patients."""
    world.drug("D1", max_daily=1.0)
    honest_practices(world, "D1")
    world.facility("H1", "hospital")
    world.facility("PN", "pharmacy")
    surplus = []
    for d in range(doctors):
        doc = world.prescriber(f"DR{d}", "H1")
        for p in range(2):
            _writes(world, doc, world.patient(f"O{d}{p}"), f"PX{(d + p) % 3}", "D1", 30, 30, 4)
        for p in range(ring_patients if d == 0 else 1):
            pid = world.patient(f"X{d}{p}")
            _writes(world, doc, pid, "PN", "D1", 60, 25, 6, start=d)
            surplus.append(pid)
    return surplus


def test_many_colleagues_with_one_over_supplied_patient_each_are_no_ring(world):
    """Look-alike: eight doctors of a large practice, each with one patient over-supplied at
    the pharmacy next door.  Each doctor's surplus is one patient at one place (individual
    care); together they share the practice and PN, but no doctor repeats the surplus, so
    nothing is reported (``core_min_repeats``)."""
    _large_practice(world, doctors=8)
    assert detect_over_prescription(world.con(), DetectionSettings()) == []


def test_a_doctor_who_repeats_the_surplus_makes_the_colleagues_a_ring(world):
    """The same practice, but the first doctor over-supplies four patients at PN: the scheme's
    core repeats over patients, and the colleagues whose single patients fill at PN with it
    are one ring."""
    surplus = _large_practice(world, doctors=3, ring_patients=4)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert [r.members_of("prescriber") for r in rings] == [["DR0", "DR1", "DR2"]]
    assert rings[0].members_of("facility") == ["PN"]
    assert sorted(rings[0].members_of("patient")) == sorted(surplus)


def _clinic_ring_and_colleague(world):
    """DRR at clinic HC dispenses D1 at 4x to five patients itself; its colleague DRC gives two
    patients of its own a surplus of the chronic drug D3 (stock-ups before a trip), also
    dispensed at HC on several days."""
    for drug in ("D1", "D3"):
        world.drug(drug, max_daily=1.0)
        honest_practices(world, drug, tag="" if drug == "D1" else drug)
    world.facility("HC", "clinic")
    world.prescriber("DRR", "HC")
    world.prescriber("DRC", "HC")
    ring = [world.patient(f"R{i}") for i in range(5)]
    for pid in ring:
        for m in range(8):
            world.settle(pid, "HC", day(m * 15), prescriber_id="DRR", lines=[{"drug_code": "D1", "quantity": 60}])
    for i in range(2):
        pid = world.patient(f"C{i}")
        for m in range(4):
            world.settle(pid, "HC", day(i + m * 12), prescriber_id="DRC", lines=[{"drug_code": "D3", "quantity": 40}])
    return ring


def test_a_colleague_dispensing_another_drugs_surplus_at_the_practice_stays_out(world):
    """Look-alike: DRC's two over-supplied patients get their drug at the same clinic as the
    ring's, but it is another drug: colleagues are tied at their practice by dispensing the
    surplus of the same drug there (a ring pushes its drugs through all its doctors), so the
    ring is DRR and its patients alone."""
    ring = _clinic_ring_and_colleague(world)
    rings = detect_over_prescription(world.con(), DetectionSettings())
    assert [r.members_of("prescriber") for r in rings] == [["DRR"]]
    assert sorted(rings[0].members_of("patient")) == sorted(ring)
