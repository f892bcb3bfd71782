"""Car shuttles at a hospital that admits only on the bus day: its calendar is the bus's own,
so the chance tests borrow the calendar its peers (same kind and level) keep; honest
look-alikes on such a hospital's admission day stay unreported (a rehabilitation day by its
timetable, regulars of a hospital whose one-off patients show a week of its own by that
calendar)."""
import random
from datetime import date

from ringscope.analytics.detectors.car_shuttle import detect_car_shuttle
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.test_car_shuttle import VILLAGE, _admit, _monday_regulars, _villagers
from tests.analytics.worlds import tuned

MONDAY = 1  # day 0 of the hand-built worlds (1 March 2026) is a Sunday
WEEKS = 26


def _peers(world, n=3, **level):
    """Township hospitals of the county admitting their ordinary one-off patients on any weekday."""
    rng = random.Random(99)
    for h in range(n):
        fid = world.facility(f"P{h}", "hospital", region=VILLAGE, **level)
        for i in range(20):
            pid = world.patient(f"O{h}-{i}", region=VILLAGE, birth_date=date(1950 + i, 1, 1))
            _admit(world, pid, fid, start=rng.randrange(7 * WEEKS), stay=6, fund=3000.0, self_share=0.3,
                   diagnosis=f"K{i:02d}")


def _monday_only_hospital(world, rng):
    """A township hospital admitting only on Mondays: one or two locals each Monday."""
    world.facility("M1", "hospital", region=VILLAGE, level="1")
    for week in range(WEEKS):
        for i in range(rng.choice((1, 2))):
            pid = world.patient(f"L{week}-{i}", region=VILLAGE, birth_date=date(1955 + (week + i) % 30, 1, 1))
            _admit(world, pid, "M1", start=MONDAY + 7 * week, stay=6, fund=3000.0, self_share=0.3,
                   diagnosis=f"K{(week + i) % 20:02d}")
    return "M1"


def _monday_bus(world, seed=4):
    """Sixteen villagers, two to twelve of them on the bus every Monday, seated anew each week:
    against the hospital's own calendar (Mondays only) each pair meets as often as chance says."""
    rng = random.Random(seed)
    _peers(world, level="1")
    hospital = _monday_only_hospital(world, rng)
    villagers = _villagers(world, "V", 16)
    for week in range(WEEKS):
        for pid in rng.sample(villagers, rng.randint(2, 12)):
            _admit(world, pid, hospital, start=MONDAY + 7 * week, stay=4, fund=3500.0, self_share=0.3)
    return villagers


def test_bus_at_a_hospital_admitting_only_on_its_bus_day_is_found(world):
    """Judged against the calendar of its peers, the villagers meet far beyond chance."""
    villagers = _monday_bus(world)
    rings = detect_car_shuttle(world.con(), DetectionSettings())
    assert [sorted(r.members_of("patient")) for r in rings] == [sorted(villagers)]
    assert detect_car_shuttle(world.con(), tuned("car_shuttle", own_calendar_min_share=0.0)) == []


def test_regulars_of_a_hospital_with_a_week_of_its_own_are_judged_by_its_calendar(world):
    """Sixteen honest frequent inpatients of a hospital admitting mostly on Mondays, each on
    their own (60 % of Mondays): its intake is mostly them, but its one-off patients also come
    on other weekdays, so the calendar is its own (the Monday crowd is no coincidence there),
    not its peers' (against which they would meet beyond chance)."""
    _peers(world)
    _monday_regulars(world, seed=1, diagnoses=("N18.5", "C50.9", "I50.9", "J44.1", "E11.9", "M51.2"))
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert detect_car_shuttle(world.con(), tuned("car_shuttle", ride_along_share=0.0)) != []


def test_weekly_rehabilitation_day_of_a_hospital_admitting_only_on_mondays_is_explained(world):
    """Elderly stroke patients of the county on the hospital's Monday rehabilitation day, each
    attending nearly every week: every indication of a bus shows, and with the peers' calendar
    their meetings are beyond chance, but each keeps the ward's weekly timetable."""
    rng = random.Random(5)
    _peers(world, level="1")
    hospital = _monday_only_hospital(world, rng)
    patients = _villagers(world, "W", 8)
    for week in range(WEEKS):
        for pid in patients:
            if rng.random() < 0.95:
                _admit(world, pid, hospital, start=MONDAY + 7 * week, stay=0, fund=450.0, self_share=0.2,
                       diagnosis="I69.3")
    assert detect_car_shuttle(world.con(), DetectionSettings()) == []
    assert len(detect_car_shuttle(world.con(), tuned("car_shuttle", course_min_admissions=10_000))) == 1
