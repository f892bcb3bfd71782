"""Car shuttle, step 4: the legitimate reasons a cohort travels together.

One household, a course of treatment, a one-off campaign, stays that fit earlier care:
each lowers the score instead of vetoing it, so a shuttle cannot hide behind one of them.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import pairwise
from statistics import median
from typing import NamedTuple

import duckdb

from ringscope.analytics.detectors.base import rows
from ringscope.analytics.detectors.car_shuttle.cohorts import TRIPS_CTE, Cohort
from ringscope.analytics.detectors.car_shuttle.indications import INDICATION_SQL, WEIGHT, Count, can_speak, shows
from ringscope.analytics.detectors.car_shuttle.operations import Visits
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings

# --- step 4: explanations -------------------------------------------------------------------

# Each cohort patient's admission days at the cohort's institutions (all of them, joint or not)
# and the days of their joint admissions with the cohort: the patient's own schedule there.
_SCHEDULE_SQL = """
WITH inst AS (SELECT DISTINCT grp, facility_id FROM _rs_cs_cohort),
joint AS (SELECT grp, patient_id, list(DISTINCT day ORDER BY day) AS days FROM _rs_cs_cohort GROUP BY ALL),
own AS (
    SELECT j.grp, j.patient_id, list(DISTINCT a.day ORDER BY a.day) AS days
    FROM joint j JOIN inst i USING (grp)
    JOIN _rs_cs_adm a ON a.patient_id = j.patient_id AND a.facility_id = i.facility_id
    GROUP BY ALL
)
SELECT o.grp, o.days, j.days FROM own o JOIN joint j USING (grp, patient_id) ORDER BY o.grp, o.patient_id
"""


# The intake of each cohort's trips at each of its institutions: the patients admitted there
# in their windows with one of the cohort's diagnosis groups, and how many of them came back
# (admitted there on days further apart than one trip): a campaign's second round brings
# back some, a bus all.
_INTAKE_SQL = TRIPS_CTE + """,
groups AS (
    SELECT DISTINCT c.grp, a.diagnosis_group FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id)
    WHERE a.diagnosis_group IS NOT NULL
), intake AS (
    SELECT DISTINCT t.grp, a.facility_id, a.patient_id FROM trips t
    JOIN _rs_cs_adm a ON a.facility_id = t.facility_id AND a.day BETWEEN t.lo AND t.hi
    JOIN groups g ON g.grp = t.grp AND g.diagnosis_group = a.diagnosis_group
), back AS (
    SELECT i.grp, i.patient_id, date_diff('day', min(a.day), max(a.day)) > $gap AS returned FROM intake i
    JOIN _rs_cs_adm a ON a.facility_id = i.facility_id AND a.patient_id = i.patient_id GROUP BY ALL
)
SELECT grp, count(*), count(*) FILTER (WHERE returned) FROM back GROUP BY grp ORDER BY grp
"""


class Schedule(NamedTuple):
    """One patient's admission days at the cohort's institutions, and those shared with the cohort."""
    own: list[date]
    joint: list[date]


def patient_schedules(con: duckdb.DuckDBPyConnection) -> dict[int, list[Schedule]]:
    out: dict[int, list[Schedule]] = defaultdict(list)
    for grp, own, joint in rows(con, _SCHEDULE_SQL):
        out[grp].append(Schedule(list(own), list(joint)))
    return out


def trip_intakes(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[int, tuple[int, int]]:
    """Each cohort's first-trip intake and how many of it came back."""
    found = rows(con, _INTAKE_SQL, {"gap": cfg.occasion_gap_days, "window": cfg.cohort_window_days})
    return {grp: (int(n), int(back)) for grp, n, back in found}


def _on_course(days: list[date], cfg: CarShuttleSettings) -> bool:
    """The patient's own admissions keep one interval: a course of treatment cycles.

    Chemotherapy every three weeks, rehabilitation every four, a weekly infusion: the
    patient comes back on a fixed interval of their own.  A villager on a bus rides
    whenever the organiser takes them, so their intervals wander even when the bus keeps
    a fixed weekday.
    """
    if len(days) < cfg.course_min_admissions:
        return False
    gaps = [(b - a).days for a, b in pairwise(days)]
    mid = median(gaps)
    return (sum(abs(g - mid) <= cfg.routine_tolerance_days for g in gaps) >= cfg.routine_share * len(gaps)
            or _on_timetable(days, cfg))


def _on_timetable(days: list[date], cfg: CarShuttleSettings) -> bool:
    """The patient keeps a ward's weekly timetable: dialysis on Monday, Wednesday and
    Friday, rehabilitation on Tuesday and Friday.  The intervals differ (2, 2, 3), yet the
    patient comes on a few fixed weekdays (at most ``timetable_weekdays``) and on
    ``routine_share`` of those weekdays' dates from their first session to their last.  A
    villager cannot: the bus brings them when the organiser has a seat, and a stay of
    several days leaves no room for two admissions a week."""
    weekdays = {d.toordinal() % 7 for d in days}
    if len(weekdays) > cfg.timetable_weekdays:
        return False
    first, last = days[0].toordinal(), days[-1].toordinal()
    sessions = sum(1 for k in range(first, last + 1) if k % 7 in weekdays)
    return len(set(days)) >= cfg.routine_share * sessions


def _campaign_patients(schedules: list[Schedule], cfg: CarShuttleSettings) -> int:
    """Patients admitted to the cohort's institutions at most ``campaign_max_admissions`` times.

    A campaign (cataract operations, a screening round, an outbreak with its check-up)
    treats each patient once and brings some back once for the second eye or the
    follow-up; the cohort never repeats as a whole (fewer than ``campaign_share`` of the
    intake of its trips come back).  A shuttle brings its villagers back trip after trip.
    """
    return sum(1 for s in schedules if len(s.own) <= cfg.campaign_max_admissions)


# Explanations subtract from the indications' weight.
_PENALTY = {"household": 3.0, "treatment_course": 3.0, "campaign": 3.0, "fits_history": 1.0}


class Judgement(NamedTuple):
    score: float
    shown: list[str]
    explained: list[str]
    bar: float
    """The score this cohort needs: ``min_score`` when every indication can speak, less when
    the data leaves some mute (``can_speak``), never below ``min_score_floor``."""


class Profile(NamedTuple):
    """What the judgement needs: the cohorts, indication counts, households and schedules."""
    cohorts: list[Cohort]
    counts: dict[str, dict[int, Count]]
    households: dict[int, int]
    schedules: dict[int, list[Schedule]]
    intakes: dict[int, tuple[int, int]]
    visits: dict[str, list[Visits]]


def _explanations(cohort: Cohort, profile: Profile, cfg: CarShuttleSettings) -> list[str]:
    """The legitimate reasons a cohort may travel together that its data shows."""
    n = len(cohort.patients)
    schedules = profile.schedules.get(cohort.grp, [])
    explained = []
    if profile.households.get(cohort.grp, 0) >= cfg.household_share * n:
        explained.append("household")
    if sum(_on_course(s.own, cfg) for s in schedules) >= cfg.routine_share * n:
        explained.append("treatment_course")
    intake, returned = profile.intakes.get(cohort.grp, (0, 0))
    if _campaign_patients(schedules, cfg) >= cfg.campaign_share * n and returned < cfg.campaign_share * intake:
        explained.append("campaign")
    history = profile.counts["no_prior_care"].get(cohort.grp)
    if history and history.total and 1 - history.hits / history.total >= cfg.history_fit_share:
        explained.append("fits_history")
    return explained


def judge(cohort: Cohort, profile: Profile, cfg: CarShuttleSettings) -> Judgement:
    """Indications add their weight, explanations subtract theirs.

    The bar is the share of ``min_score`` that the indications able to speak here could
    give: what the data cannot show (waivers not recorded, a hospital whose every inpatient
    is local) lowers the confidence the cohort can earn, instead of hiding it.  The bar
    falls only for a cohort whose coordination carries the weight instead: at least
    ``mute_coordination_factor`` times the smallest cohort, in patients and in trips (a few
    patients on the same follow-up days, or one campaign's second round, do not).
    """
    counts = {k: profile.counts[k].get(cohort.grp) for k in INDICATION_SQL}
    shown = [k for k in INDICATION_SQL if shows(counts[k], cfg)]
    explained = _explanations(cohort, profile, cfg)
    score = sum(WEIGHT[k] for k in shown) - sum(_PENALTY[k] for k in explained)
    speaking = sum(WEIGHT[k] for k in INDICATION_SQL if can_speak(counts[k], cfg))
    strong = (len(cohort.patients) >= cfg.mute_coordination_factor * cfg.min_patients
              and len(cohort.trip_days) >= cfg.mute_coordination_factor * cfg.min_shared_trips)
    bar = max(cfg.min_score_floor, cfg.min_score * speaking / sum(WEIGHT.values())) if strong else cfg.min_score
    return Judgement(score, shown, explained, bar)
