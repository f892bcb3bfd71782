"""Car shuttles: the same villagers admitted together on repeated trips, judged on combined
indications against the institution's other inpatients, with explanations that clear
look-alikes (households, treatment courses, charity campaigns with a second round, busy
referral centres and their treatment cycles)."""
import random
from datetime import date, timedelta

from ringscope.analytics.detectors.base import temp_tables
from ringscope.analytics.detectors.car_shuttle import coordination, detect_car_shuttle
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import World, day, tuned

VILLAGE = "510121"  # the villagers' county
TOWN = "510101"  # where the hospital's ordinary inpatients live


def _admit(world, pid, facility, start, stay, fund, self_share, diagnosis="I63.9", **kw):
    total = round(fund / (1 - self_share), 2) if self_share < 1 else fund
    return world.settle(pid, facility, day(start + stay, 16), fund=fund, total=total,
                        self_paid=round(total - fund, 2), kind="inpatient",
                        admitted_on=(day(start)).date(), discharged_on=(day(start) + timedelta(days=stay)).date(),
                        diagnosis_code=diagnosis, **kw)


def _baseline(world, facility, n=40):
    """Ordinary inpatients: town residents of all ages, mixed diagnoses, 8-day stays, 30 % co-payment."""
    for i in range(n):
        pid = world.patient(f"Z{facility}{i}", region=TOWN, birth_date=date(1950 + (i * 7) % 50, 1, 1))
        _admit(world, pid, facility, start=i * 3, stay=8, fund=3000.0, self_share=0.3, diagnosis=f"K{i % 20:02d}")


def _villagers(world, prefix, n, region=VILLAGE, **kw):
    return [world.patient(f"{prefix}{i}", region=region, birth_date=date(1948, 1, 1), **kw) for i in range(n)]


def _bus(world, people, facility, trips, self_share=0.3, stay=4, diagnosis="I63.9", **kw):
    for trip in trips:
        for i, pid in enumerate(people):
            _admit(world, pid, facility, start=trip + (i % 2), stay=stay, fund=3500.0, self_share=self_share,
                   diagnosis=diagnosis, **kw)


def _hospital(world, fid="H1"):
    world.facility(fid, "hospital", region=TOWN)
    _baseline(world, fid)
    return fid


# --- shuttles are found --------------------------------------------------------------------

def test_shuttle_with_no_recorded_waiver_is_found(world):
    """Co-payments recorded as normal: coordination plus origin, diagnoses, stays and age suffice."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 6)
    _bus(world, villagers, h, trips=(2, 19, 37, 60), self_share=0.3)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    ring = rings[0]
    assert ring.members_of("facility") == [h]
    assert sorted(ring.members_of("patient")) == sorted(villagers)
    kinds = {e.kind for e in ring.evidence}
    assert "fee_waiver" not in kinds
    assert {"co_admission", "same_origin", "uniform_diagnosis"} <= kinds
    assert len(ring.settlement_ids) == 24


def test_waived_fees_show_as_evidence(world):
    h = _hospital(world)
    villagers = _villagers(world, "V", 6)
    _bus(world, villagers, h, trips=(2, 22, 43), self_share=0.0)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert "fee_waiver" in {e.kind for e in rings[0].evidence}


def test_requiring_the_waiver_drops_a_shuttle_without_one(world):
    h = _hospital(world)
    _bus(world, _villagers(world, "V", 6), h, trips=(2, 19, 37, 60), self_share=0.3)
    assert detect_car_shuttle(world.con(), tuned("car_shuttle", require_fee_waiver=True)) == []


def test_passengers_changing_every_trip_still_make_one_ring(world):
    """A bus seats four of eight villagers, different ones each trip: riders join the cohort."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 8)
    for k, trip in enumerate((2, 11, 27, 36, 55, 63, 84, 99)):
        _bus(world, [villagers[(k + j) % 8] for j in range(4)], h, trips=(trip,))
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(villagers)


def test_bus_on_a_fixed_weekday_is_not_a_treatment_routine(world):
    """A bus every other Saturday, villagers taking turns: the bus keeps a schedule, the
    villagers do not (each one's own intervals wander), so no treatment-course explanation."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 8)
    for k in range(8):  # day 6 is a Saturday; every 14 days
        riders = [villagers[(3 * k + j) % 8] for j in range(4 + k % 3)]
        for pid in riders:
            _admit(world, pid, h, start=6 + 14 * k, stay=4, fund=3500.0, self_share=0.3)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(villagers)
    assert not {e.kind for e in rings[0].evidence} & {"treatment_course"}


def test_saturday_bus_at_a_hospital_that_admits_little_else_is_found(world):
    """A township hospital admitting nobody but the Saturday bus: its weekdays are learnt from its
    one-off patients, so the villagers meeting every Saturday are not a coincidence of its calendar."""
    world.facility("T1", "hospital", region=VILLAGE)
    for i in range(12):  # a few ordinary one-off patients, any weekday
        pid = world.patient(f"Z{i}", region=VILLAGE, birth_date=date(1960 + i, 1, 1))
        _admit(world, pid, "T1", start=5 * i + 1, stay=6, fund=3000.0, self_share=0.3, diagnosis=f"K{i:02d}")
    villagers = _villagers(world, "V", 8)
    for k in range(20):  # every Saturday (day 6 is one); each half of the village skips every third week
        riders = (villagers[:4] if k % 3 != 2 else []) + (villagers[4:] if k % 3 != 0 else [])
        for pid in riders:
            _admit(world, pid, "T1", start=6 + 7 * k, stay=4, fund=3500.0, self_share=0.3)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(villagers)


def _monday_hospital(world, seed):
    """A township hospital admitting on Mondays: one or two ordinary patients each Monday
    (the crowd a bus hides in), now and then one on another weekday."""
    rng = random.Random(seed)
    world.facility("T2", "hospital", region=VILLAGE)
    for k in range(26):  # day 1 is a Monday
        extra = [rng.randint(1, 5)] if rng.random() < 0.4 else []
        for i, offset in enumerate([0] * rng.choice((1, 1, 2)) + extra):
            pid = world.patient(f"Z{k}-{i}", region=VILLAGE, birth_date=date(1955 + (k + i) % 30, 1, 1))
            _admit(world, pid, "T2", start=1 + 7 * k + offset, stay=6, fund=3000.0, self_share=0.3,
                   diagnosis=f"K{(k + i) % 20:02d}")
    return rng


def test_weekly_bus_of_frequent_riders_at_a_monday_hospital_is_found(world):
    """A bus most Mondays with five to twelve of sixteen villagers: each rides on about half
    the Mondays, so two of them meeting often is likely at a hospital that works mostly on
    Mondays; the union bound of the pair test (C(t, k) q^k) overstated that chance, the
    binomial tail (each further term bounded by a ratio) does not."""
    rng = _monday_hospital(world, seed=11)
    villagers = _villagers(world, "V", 16)
    for k in range(26):
        if rng.random() < 0.9:
            for pid in rng.sample(villagers, rng.randint(5, 12)):
                _admit(world, pid, "T2", start=1 + 7 * k, stay=4, fund=3500.0, self_share=0.3)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert [sorted(r.members_of("patient")) for r in rings] == [sorted(villagers)]


def _monday_regulars(world, seed, diagnoses):
    """Sixteen honest frequent inpatients of the Monday hospital, each coming on their own
    (60 % of Mondays), of any age and county, each with their own condition."""
    rng = _monday_hospital(world, seed)
    people = [world.patient(f"R{i}", region=rng.choice((TOWN, VILLAGE, "510122")),
                            birth_date=date(rng.randint(1940, 1990), 1, 1)) for i in range(16)]
    condition = {pid: rng.choice(diagnoses) for pid in people}
    for k in range(26):
        for pid in people:
            if rng.random() < 0.6:
                _admit(world, pid, "T2", start=1 + 7 * k, stay=rng.randint(2, 8), fund=3500.0, self_share=0.3,
                       diagnosis=condition[pid])


def test_honest_regulars_of_a_monday_hospital_are_not_a_ring(world):
    """Each comes on their own: meeting on Mondays is the hospital's calendar, not a bus."""
    _monday_regulars(world, seed=1, diagnoses=("N18.5", "C50.9", "I50.9", "J44.1", "E11.9", "M51.2"))
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def test_chance_pairs_of_monday_regulars_stay_below_a_cohort(world):
    """However often two regulars meet, chance pairs among sixteen independent riders do not
    give every member the ``min_links`` partners a cohort needs."""
    _monday_regulars(world, seed=10, diagnoses=("N18.5", "C50.9", "I50.9", "J44.1", "E11.9", "M51.2"))
    con = world.con()
    with temp_tables(con, *coordination.TEMP):
        assert len(coordination.coordinated_pairs(con, DetectionSettings().car_shuttle)) <= 2
    assert detect_car_shuttle(con, DetectionSettings()) == []


def _county_hospital(world):
    """A county hospital: every inpatient is from the county, one clerk settles every stay,
    and its chronic patients come back again and again (origin, settlers and readmissions
    cannot tell a busload from its ordinary intake)."""
    world.facility("K1", "hospital", region=VILLAGE)
    for i in range(30):
        pid = world.patient(f"Z{i}", region=VILLAGE, birth_date=date(1950 + (i * 7) % 50, 1, 1))
        for k in range(3):
            _admit(world, pid, "K1", start=i * 4 + 41 * k, stay=6, fund=3000.0, self_share=0.3,
                   diagnosis=f"K{i % 20:02d}", operator_id="clerk")
    return "K1"


def test_shuttle_at_a_county_hospital_whose_intake_is_all_local_is_found(world):
    """Fees charged as usual and ordinary stays: only uniform diagnoses and age speak against
    the hospital's own intake, and eight villagers on five trips carry the rest."""
    k1 = _county_hospital(world)
    villagers = _villagers(world, "V", 8)
    _bus(world, villagers, k1, trips=(3, 24, 50, 77, 101), self_share=0.3, stay=6, operator_id="clerk")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert [sorted(r.members_of("patient")) for r in rings] == [sorted(villagers)]
    assert {"uniform_diagnosis", "elderly"} <= {e.kind for e in rings[0].evidence}


def test_neighbours_sharing_a_ride_three_times_at_a_county_hospital_are_not_a_ring(world):
    """Five elderly neighbours admitted together three times for the same condition: too
    little coordination to stand in for the indications the county's data cannot show."""
    k1 = _county_hospital(world)
    _bus(world, _villagers(world, "V", 5), k1, trips=(3, 24, 50), self_share=0.3, stay=6, operator_id="clerk")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def test_a_shuttle_is_not_compared_with_its_own_villagers_other_stays(world):
    """A township hospital with few other inpatients, where the bus's villagers also stay alone
    on other days: those stays are the same villagers, not the hospital's other inpatients, so
    the baseline is the county's peers and the bus's origin, diagnoses and ages still show."""
    world.facility("T1", "hospital", region=VILLAGE)
    world.facility("T2", "hospital", region=VILLAGE)
    _baseline(world, "T2")
    for i in range(10):  # a few ordinary one-off patients
        pid = world.patient(f"Y{i}", region=TOWN, birth_date=date(1970 + i, 1, 1))
        _admit(world, pid, "T1", start=7 * i + 1, stay=8, fund=3000.0, self_share=0.3, diagnosis=f"K{i:02d}")
    villagers = _villagers(world, "V", 8)
    _bus(world, villagers, "T1", trips=(3, 24, 45, 66, 87, 108))
    for i, pid in enumerate(villagers):  # each also admitted alone, on days of no trip
        for j in range(3):
            _admit(world, pid, "T1", start=130 + 3 * i + 30 * j, stay=4, fund=3500.0, self_share=0.3)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(villagers)
    assert {"same_origin", "uniform_diagnosis"} <= {e.kind for e in rings[0].evidence}


def test_two_shuttles_meeting_by_chance_at_one_hospital_stay_apart(world):
    """Two villages' buses to one hospital fall on the same day three times; they bring other
    diagnoses and other doctors, so they are not one bus (billed alike, habit_share)."""
    h = _hospital(world)
    first = _villagers(world, "V", 5)
    second = _villagers(world, "W", 5)
    _bus(world, first, h, trips=(2, 16, 33, 47, 64), prescriber_id="D1", operator_id="O1")
    _bus(world, second, h, trips=(2, 24, 33, 47, 70), diagnosis="J44.1", prescriber_id="D2", operator_id="O2")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("patient")) for r in rings) == [sorted(first), sorted(second)]
    merged = detect_car_shuttle(world.con(), tuned("car_shuttle", habit_share=1.01, join_same_operation=False))
    assert len(merged) == 1


def test_two_buses_of_one_county_on_the_same_days_are_split_by_how_they_are_handled(world):
    """Two organisers of one county bring their villagers to one hospital on the very same
    days (a market day), but each to its own doctor with its own diagnoses: every pair across
    the buses is co-admitted on every trip, so only how they are handled tells them apart."""
    h = _hospital(world)
    first = _villagers(world, "V", 5)
    second = _villagers(world, "W", 5)
    trips = (2, 16, 33, 47, 64)
    _bus(world, first, h, trips=trips, prescriber_id="D1")
    _bus(world, second, h, trips=trips, diagnosis="M51.2", prescriber_id="D2")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("patient")) for r in rings) == [sorted(first), sorted(second)]


def test_two_buses_on_the_same_days_with_the_commonest_diagnosis_are_split_by_their_doctors(world):
    """Same county, same days, same (common) diagnosis, but each bus goes to its own doctor:
    handled alike means diagnoses *and* doctors (each where recorded), so two rings."""
    h = _hospital(world)
    first = _villagers(world, "V", 5)
    second = _villagers(world, "W", 5)
    trips = (2, 16, 33, 47, 64)
    _bus(world, first, h, trips=trips, prescriber_id="D1")
    _bus(world, second, h, trips=trips, prescriber_id="D2")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("patient")) for r in rings) == [sorted(first), sorted(second)]


def test_one_bus_seen_by_two_doctors_for_two_diagnoses_stays_one_ring(world):
    """Villagers of one bus are spread over two doctors and two diagnoses from trip to trip:
    their handling overlaps, so they stay one ring."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 6)
    for k, trip in enumerate((2, 19, 37, 60)):
        for i, pid in enumerate(villagers):
            _admit(world, pid, h, start=trip, stay=4, fund=3500.0, self_share=0.3,
                   diagnosis=("I63.9", "M51.2")[(i + k) % 2], prescriber_id=("D1", "D2")[(i + k // 2) % 2])
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert [sorted(r.members_of("patient")) for r in rings] == [sorted(villagers)]


def test_one_trip_riders_of_a_bus_admitted_by_a_rota_of_ward_doctors_join_it(world):
    """A ward admits the bus under a rota of five doctors, two of them on more shifts: each
    rota doctor is part of how the bus is handled, though the three on fewer shifts each take
    less than ``habit_share`` of its admissions; villagers riding once, admitted by them on
    the bus's days, came with the bus (a stray is rare against the rota's even share)."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 6)
    riders = _villagers(world, "R", 4)
    trips = (2, 19, 37, 60, 81)
    rota = ["D1"] * 8 + ["D2"] * 7 + ["D3"] * 5 + ["D4"] * 5 + ["D5"] * 5
    random.Random(3).shuffle(rota)
    for k, trip in enumerate(trips):
        for i, pid in enumerate(villagers):
            _admit(world, pid, h, start=trip + i % 2, stay=4, fund=3500.0, self_share=0.3,
                   prescriber_id=rota[6 * k + i])
    for pid, trip, doctor in zip(riders, trips[1:], ("D3", "D4", "D5", "D3")):
        _admit(world, pid, h, start=trip, stay=4, fund=3500.0, self_share=0.3, prescriber_id=doctor)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert [sorted(r.members_of("patient")) for r in rings] == [sorted(villagers + riders)]


def test_a_whole_busload_brought_back_is_not_a_campaign(world):
    """Everybody on the first trip and admitted twice, but the whole cohort came back:
    not a campaign whose second round brings back some (campaign_share of the intake)."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 6)
    _bus(world, villagers, h, trips=(2, 30), self_share=0.0)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1 and "campaign" not in {e.kind for e in rings[0].evidence}


def test_two_shuttles_at_one_hospital_are_split_by_who_travels_together(world):
    """Different villages on different days: two rings, though they share the institution."""
    h = _hospital(world)
    first = _villagers(world, "V", 5, region=VILLAGE)
    second = _villagers(world, "W", 5, region="510122")
    _bus(world, first, h, trips=(2, 22, 43))
    _bus(world, second, h, trips=(12, 32, 53), diagnosis="J44.1")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("patient")) for r in rings) == [sorted(first), sorted(second)]


def test_alternating_busloads_of_one_village_are_one_operation(world):
    """Same village, same diagnosis, same hospital, interleaved trips: one ring (join_same_operation)."""
    h = _hospital(world)
    first, second = _villagers(world, "V", 5), _villagers(world, "W", 5)
    _bus(world, first, h, trips=(2, 22, 43))
    _bus(world, second, h, trips=(12, 29, 57))
    assert len(detect_car_shuttle(world.con(), DetectionSettings())) == 1
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", join_same_operation=False))) == 2


NEIGHBOUR = "510122"  # a neighbouring county


def _two_buses(world, first_regions, second_regions):
    """Two busloads alternating at one hospital, same diagnosis, doctor and clerk; each
    villager's home county given per bus."""
    h = _hospital(world)
    first = [_villagers(world, f"V{i}", 1, region=r)[0] for i, r in enumerate(first_regions)]
    second = [_villagers(world, f"W{i}", 1, region=r)[0] for i, r in enumerate(second_regions)]
    _bus(world, first, h, trips=(2, 22, 43), prescriber_id="D1", operator_id="O1")
    _bus(world, second, h, trips=(12, 29, 57), prescriber_id="D1", operator_id="O1")
    return sorted(sorted(r.members_of("patient")) for r in detect_car_shuttle(world.con(), DetectionSettings()))


def test_alternating_busloads_recruited_in_two_counties_are_one_operation(world):
    """One organiser recruits in two counties; each busload is mostly of one county, so their
    commonest counties differ, but both draw on both (home regions of habit_share)."""
    rings = _two_buses(world, [VILLAGE] * 3 + [NEIGHBOUR] * 2, [NEIGHBOUR] * 3 + [VILLAGE] * 2)
    assert len(rings) == 1 and len(rings[0]) == 10


def test_alternating_busloads_of_two_counties_handled_alike_stay_apart(world):
    """Two organisers' villagers from two counties use one hospital's same doctor and clerk
    for the same diagnosis on alternating days: no shared home region, two rings."""
    rings = _two_buses(world, [VILLAGE] * 5, [NEIGHBOUR] * 5)
    assert len(rings) == 2 and [len(r) for r in rings] == [5, 5]


def test_alternating_busloads_where_no_home_region_is_recorded_are_one_operation(world):
    """An extract without the patients' regions: the home region cannot part the two busloads,
    so the same hospital, months, diagnosis, doctor and clerk make them one operation."""
    rings = _two_buses(world, [None] * 5, [None] * 5)
    assert len(rings) == 1 and len(rings[0]) == 10


def test_one_villager_from_the_other_county_does_not_make_one_operation(world):
    """One of six villagers of the second bus lives in the first bus's county (a relative
    who moved): below habit_share of the cohort, no shared home region, two rings."""
    rings = _two_buses(world, [VILLAGE] * 6, [NEIGHBOUR] * 5 + [VILLAGE])
    assert len(rings) == 2 and sorted(len(r) for r in rings) == [6, 6]


def test_three_villagers_bussed_again_and_again_are_a_ring_but_two_are_not(world):
    h = _hospital(world)
    villagers = _villagers(world, "V", 3)
    _bus(world, villagers, h, trips=(0, 14, 33, 45, 68), self_share=0.0)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1 and sorted(rings[0].members_of("patient")) == sorted(villagers)
    assert detect_car_shuttle(world.con(), tuned("car_shuttle", min_patients=4)) == []


def test_a_couple_admitted_together_with_waived_fees_is_not_a_ring(world):
    h = _hospital(world)
    couple = _villagers(world, "C", 2, address="lane 3")
    _bus(world, couple, h, trips=(0, 14, 33, 45, 68), self_share=0.0)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def _takeover(world, movers: int):
    """Shuttle B runs to H1 all along; shuttle A runs to H2, then ``movers`` of A's
    villagers are brought, on trips of their own, to H1."""
    h1, h2 = _hospital(world, "H1"), _hospital(world, "H2")
    b = _villagers(world, "B", 5)
    a = _villagers(world, "A", 5)
    _bus(world, b, h1, trips=(0, 17, 41, 66), self_share=0.0)
    _bus(world, a, h2, trips=(5, 26), self_share=0.0)
    _bus(world, a[:movers], h1, trips=(50, 71), self_share=0.0)
    return a, b


def test_villagers_moved_to_another_shuttles_hospital_join_its_ring(world):
    a, b = _takeover(world, movers=3)
    rings = detect_car_shuttle(world.con(), tuned("car_shuttle", join_same_operation=False))
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(a + b)
    assert rings[0].members_of("facility") == ["H1", "H2"]
    off = tuned("car_shuttle", join_same_operation=False, join_share=0.0)
    assert len(detect_car_shuttle(world.con(), off)) == 2


def test_villagers_moved_to_a_hospital_of_two_shuttles_handled_like_neither_join_neither(world):
    """A's villagers turn up at H1, where shuttles B and C both run, with a doctor and a
    diagnosis of neither: nothing says which (if any) took them over, so no ring absorbs them."""
    h1, h2 = _hospital(world, "H1"), _hospital(world, "H2")
    b, c, a = _villagers(world, "B", 5), _villagers(world, "C", 5, region="510122"), _villagers(world, "A", 5)
    _bus(world, b, h1, trips=(0, 17, 41, 66), self_share=0.0, prescriber_id="D1")
    _bus(world, c, h1, trips=(8, 29, 55, 80), self_share=0.0, diagnosis="J44.1", prescriber_id="D2")
    _bus(world, a, h2, trips=(5, 26), self_share=0.0, prescriber_id="D3")
    _bus(world, a[:3], h1, trips=(50, 71), self_share=0.0, diagnosis="E11.9", prescriber_id="D9")
    rings = detect_car_shuttle(world.con(), tuned("car_shuttle", join_same_operation=False))
    patients = sorted(sorted(r.members_of("patient")) for r in rings)
    assert sorted(b) in patients and sorted(c) in patients
    assert not any(set(a) & set(p) and (set(b) & set(p) or set(c) & set(p)) for p in patients)


def _own_contact(world, doctor_at_h1: str):
    """B runs to H1 (doctor D1); A to H2 (D3), then three of A's villagers to H1, admitted there
    by ``doctor_at_h1``.  Returns A's and B's villagers and the rings."""
    h1, h2 = _hospital(world, "H1"), _hospital(world, "H2")
    b, a = _villagers(world, "B", 5), _villagers(world, "A", 5)
    _bus(world, b, h1, trips=(0, 17, 41, 66), self_share=0.0, prescriber_id="D1")
    _bus(world, a, h2, trips=(5, 26), self_share=0.0, prescriber_id="D3")
    _bus(world, a[:3], h1, trips=(50, 71), self_share=0.0, prescriber_id=doctor_at_h1)
    rings = detect_car_shuttle(world.con(), tuned("car_shuttle", join_same_operation=False))
    return a, b, sorted(sorted(r.members_of("patient")) for r in rings)


def test_a_shuttle_bringing_its_villagers_to_a_second_hospital_is_not_taken_over_there(world):
    """A's villagers go on to H1, where B runs, admitted by A's own contact there (a doctor B
    never works with): two shuttles sharing a hospital, each handled by its own staff."""
    a, b, patients = _own_contact(world, doctor_at_h1="D8")
    assert sorted(b) in patients
    assert not any(set(a) & set(p) and set(b) & set(p) for p in patients)
    # admitted at H1 by B's doctor, the same villagers are B's takeover
    a, b, patients = _own_contact(World(), doctor_at_h1="D1")
    assert patients == [sorted(a + b)]


def test_one_villager_changing_hospital_does_not_join_two_shuttles(world):
    _takeover(world, movers=1)
    assert len(detect_car_shuttle(world.con(), DetectionSettings())) == 2


# --- look-alikes are not reported ------------------------------------------------------------

def test_outbreak_admitted_once_is_not_a_ring_even_when_fees_are_waived(world):
    """An outbreak admits people together once: one joint admission links nobody."""
    h = _hospital(world)
    _bus(world, _villagers(world, "O", 10), h, trips=(3,), self_share=0.0, diagnosis="A09.0")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def test_charity_campaign_with_different_patients_each_time_is_not_a_ring(world):
    """Cataract campaigns: many patients from one county, waived, one trip each."""
    h = _hospital(world)
    for k, trip in enumerate((5, 35, 65)):
        _bus(world, _villagers(world, f"K{k}-", 15), h, trips=(trip,), self_share=0.0, stay=2, diagnosis="H25.9")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []


def test_charity_campaign_with_a_second_eye_round_is_explained(world):
    """Cataract campaign: twenty villagers operated on over two days, fees covered, eight of
    them back six weeks later for the second eye.  Everybody came on the first trip, nobody
    more than twice, and the return is part of the intake: a campaign, not a shuttle."""
    h = _hospital(world)
    villagers = _villagers(world, "K", 20)
    for i, pid in enumerate(villagers):
        _admit(world, pid, h, start=5 + i % 2, stay=2, fund=3000.0, self_share=0.0, diagnosis="H25.9")
    for pid in villagers[:8]:
        _admit(world, pid, h, start=47, stay=2, fund=3000.0, self_share=0.0, diagnosis="H25.9")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", campaign_share=1.01))) == 1


def _treatment_cycles(world, cycle: int, cohorts: int = 3):
    """A referral centre's chemotherapy: cohorts of five patients from many counties start on
    the centre's Monday admission day and come back together every ``cycle`` days, four
    cycles, each patient with their own stay and normal co-payment."""
    h = _hospital(world, "RC")
    rng = random.Random(cycle)
    for c in range(cohorts):
        people = [world.patient(f"C{c}-{i}", region=TOWN, birth_date=date(rng.randint(1945, 1990), 1, 1))
                  for i in range(5)]
        for k in range(4):
            for pid in people:
                _admit(world, pid, h, start=1 + 7 * c + cycle * k, stay=rng.randint(1, 6), fund=6000.0,
                       self_share=0.3, diagnosis="Z51.1")


def test_referral_centre_treatment_cycles_are_explained_by_each_patients_course(world):
    """Few patients, few cycles, the same diagnosis and readmissions: without the course
    explanation this is reported; each patient keeps their own 21-day clock, so it is not."""
    _treatment_cycles(world, cycle=21)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", course_min_admissions=10_000))) >= 1


def _dialysis(world):
    h = _hospital(world)
    shift = _villagers(world, "D", 6)
    for week in range(12):  # every Tuesday morning, day ward
        for pid in shift:
            _admit(world, pid, h, start=7 * week + 1, stay=0, fund=400.0, self_share=0.1, diagnosis="N18.5")
    return shift


def test_dialysis_shift_is_explained_by_its_weekly_routine(world):
    """Same patients, same weekday every week, same diagnosis: a routine, not a bus."""
    _dialysis(world)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", course_min_admissions=10_000))) == 1


def test_care_home_residents_admitted_together_are_explained_by_their_address(world):
    """One address: a family or a care home travels together (household_share)."""
    h = _hospital(world)
    residents = _villagers(world, "N", 5, address="sunset home, 3 river road")
    _bus(world, residents, h, trips=(2, 19, 37, 60))
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", household_share=1.01))) == 1


def _referral_centre(world, per_day=30, days=120, seed=7):
    """A regional cardiac centre: many patients a day from every county, some readmitted."""
    rng = random.Random(seed)
    world.facility("RC", "hospital", region=TOWN)
    codes = ("I20.0", "I21.9", "I25.1", "I50.9", "I48.0")
    for i in range(per_day * days // 2):
        pid = world.patient(f"R{i}", region=f"5101{rng.randint(10, 40)}", birth_date=date(rng.randint(1935, 1990), 1, 1))
        for start in sorted(rng.sample(range(days), rng.choice((1, 1, 2, 3, 4)))):
            _admit(world, pid, "RC", start=start, stay=rng.randint(3, 12), fund=9000.0, self_share=0.25,
                   diagnosis=rng.choice(codes))


def test_busy_referral_centre_does_not_make_chance_cohorts(world):
    """Pairs meeting on two or three days at a hospital admitting ~30 a day are chance."""
    _referral_centre(world)
    con = world.con()
    assert detect_car_shuttle(con, DetectionSettings()) == []
    cfg = DetectionSettings().car_shuttle
    with temp_tables(con, *coordination.TEMP):
        assert len(coordination.coordinated_pairs(con, cfg)) <= 2
    loose = tuned("car_shuttle", max_chance_partners=1e9).car_shuttle
    with temp_tables(con, *coordination.TEMP):
        assert len(coordination.coordinated_pairs(con, loose)) > 50


def test_shuttle_inside_a_busy_referral_centre_is_found(world):
    _referral_centre(world)
    villagers = _villagers(world, "V", 8)
    _bus(world, villagers, "RC", trips=(3, 21, 48, 62, 95), stay=3, diagnosis="I25.1")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert set(villagers) <= set(rings[0].members_of("patient"))


def test_a_plan_that_pays_everything_is_not_a_waiver(world):
    """Villagers whose own stays elsewhere are free too (medical assistance): no fee_waiver evidence."""
    h = _hospital(world)
    world.facility("H9", "hospital", region=TOWN)
    villagers = _villagers(world, "V", 6)
    _bus(world, villagers, h, trips=(2, 19, 37, 60), self_share=0.0)
    for i, pid in enumerate(villagers):
        _admit(world, pid, "H9", start=90 + 3 * i, stay=6, fund=2000.0, self_share=0.0, diagnosis="J18.9")
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1  # still a shuttle: the same people, trip after trip, from one village
    assert "fee_waiver" not in {e.kind for e in rings[0].evidence}
