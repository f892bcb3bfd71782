"""Car shuttles no pair test can see (a few villagers riding two at a time), and what the
group test and the routine explanation must not report: chronic-care shifts of new, elderly
patients of one county with one diagnosis, and a village's regulars at their hospital; and
a hospital's one clerk, shared by two shuttles, does not make one take over the other."""
import random
from datetime import date

from ringscope.analytics.detectors.car_shuttle import detect_car_shuttle
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.test_car_shuttle import TOWN, VILLAGE, _admit, _bus, _hospital, _villagers
from tests.analytics.worlds import tuned

TUESDAY = 2  # day 0 of the hand-built worlds (1 March 2026) is a Sunday


def _two_at_a_time(world, weeks=16, seed=3):
    """Four villagers, two of them on each weekly Tuesday bus, chosen anew each week."""
    h = _hospital(world)
    villagers = _villagers(world, "V", 4)
    rng = random.Random(seed)
    for week in range(weeks):
        for pid in rng.sample(villagers, 2):
            _admit(world, pid, h, start=TUESDAY + 7 * week, stay=4, fund=3500.0, self_share=0.3)
    return villagers


def test_small_shuttle_riding_two_at_a_time_is_found(world):
    """No villager shares enough trips with any one other to pass the pair test, but the
    four arrive in pairs every week: far more often than their own admissions predict."""
    villagers = _two_at_a_time(world)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("patient")) == sorted(villagers)
    assert detect_car_shuttle(world.con(), tuned("car_shuttle", group_test=False)) == []


def _shift(world, prefix, weekdays, weeks, attendance, diagnosis, seed):
    """A chronic-care shift: new patients of one county, elderly, one diagnosis, day cases on
    the ward's fixed weekdays, each attending nearly every session."""
    h = _hospital(world)
    patients = _villagers(world, prefix, 6)
    rng = random.Random(seed)
    for week in range(weeks):
        for wd in weekdays:
            for pid in patients:
                if rng.random() < attendance:
                    _admit(world, pid, h, start=7 * week + wd, stay=0, fund=450.0, self_share=0.2,
                           diagnosis=diagnosis)
    return patients


def test_rehabilitation_shift_twice_a_week_is_explained_by_its_routine(world):
    """Tuesday and Friday rehabilitation after a stroke: every indication of a bus shows
    (one county, one diagnosis, elderly, no earlier care, short stays, many readmissions),
    but each patient keeps the ward's weekly timetable, which a villager on a bus never does."""
    _shift(world, "R", weekdays=(2, 5), weeks=12, attendance=0.95, diagnosis="I69.3", seed=5)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", course_min_admissions=10_000))) == 1


def test_physiotherapy_on_monday_and_thursday_with_missed_sessions_is_explained(world):
    """Monday and Thursday physiotherapy, a session missed now and then: the intervals are
    3 and 4 (no single interval), yet each patient attends nearly every session of the
    timetable.  (Dialysis three times a week never leaves separate trips at all.)"""
    _shift(world, "P", weekdays=(1, 4), weeks=14, attendance=0.9, diagnosis="M54.5", seed=8)
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", course_min_admissions=10_000))) == 1


def test_a_villages_regulars_on_the_hospitals_admission_day_are_not_a_group(world):
    """Twelve elderly villagers of one county, each admitted by the same doctor on the township
    hospital's Tuesday admission day on their own schedule: they meet often, as often as their
    own admissions predict, so the group test finds nothing."""
    world.facility("T1", "hospital", region=VILLAGE)
    rng = random.Random(11)
    for i in range(30):  # the hospital's one-off patients, mostly on its Tuesday admission day
        pid = world.patient(f"Z{i}", region=TOWN, birth_date=date(1950 + i, 1, 1))
        start = 7 * rng.randrange(20) + (TUESDAY if rng.random() < 0.7 else rng.randrange(7))
        _admit(world, pid, "T1", start=start, stay=6, fund=3000.0, self_share=0.3, diagnosis=f"K{i % 20:02d}")
    regulars = _villagers(world, "Q", 12)
    for pid in regulars:
        for week in sorted(rng.sample(range(20), rng.randint(2, 5))):
            _admit(world, pid, "T1", start=TUESDAY + 7 * week, stay=5, fund=3200.0, self_share=0.3,
                   diagnosis=rng.choice(("I10", "E11.9", "J44.1", "M17.9")), prescriber_id="D1")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    loose = tuned("car_shuttle", max_chance_partners=1e6)
    assert detect_car_shuttle(world.con(), loose) != []


def test_a_shuttle_moving_to_a_hospital_whose_one_clerk_settles_another_shuttle_is_not_taken_over(world):
    """A's villagers go on to H1, where B runs; H1 has one clerk, who settles both, but A's
    villagers are admitted there by their own doctor: a shared clerk says nothing."""
    h1, h2 = _hospital(world, "H1"), _hospital(world, "H2")
    b, a = _villagers(world, "B", 5), _villagers(world, "A", 5)
    _bus(world, b, h1, trips=(0, 17, 41, 66), self_share=0.0, prescriber_id="D1", operator_id="OP1")
    _bus(world, a, h2, trips=(5, 26), self_share=0.0, prescriber_id="D3", operator_id="OP2")
    _bus(world, a[:3], h1, trips=(50, 71), self_share=0.0, prescriber_id="D8", operator_id="OP1")
    rings = detect_car_shuttle(world.con(), tuned("car_shuttle", join_same_operation=False))
    patients = sorted(sorted(r.members_of("patient")) for r in rings)
    assert sorted(b) in patients
    assert not any(set(a) & set(p) and set(b) & set(p) for p in patients)
