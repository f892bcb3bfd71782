"""Car shuttle, step 1b: a group that arrives together more often than its members' own visits predict.

A pair test cannot see every bus.  A four-villager shuttle riding two at a time leaves no
member with two partners met often enough; a pool of thirty riding a dozen at a time on
every Sunday gives each pair four or five joint trips, which many partners at a small
hospital explain.  The group as a whole is unmistakable.  The groups tested are drawn
without looking at the days, so that the test is not fooled by its own choice: an
institution's repeat patients from one home region (a shuttle recruits in a few
villages) admitted there by the same usual doctor (handled alike; where doctors are not
recorded, the region alone).  With each member admitted ``n_i`` days over the
institution's working days ``D``, a window of ``2w + 1`` days holds member ``i`` with
probability ``p_i = n_i (2w + 1) / D`` (``D`` shrunk by how much the institution's ordinary
intake favours some weekdays, smoothed by ``group_weekday_prior`` only: a township hospital
admitting on Mondays makes its Monday regulars meet, and the group test, unlike the pair
test, has no partners to count against a coincidence); the number of members arriving in one window then
follows the Poisson-binomial law of the ``p_i``, and over the ``D / (2w + 1)`` windows
``k`` or more of them arrive together about ``lambda_k`` times.  A group becomes a cohort
when, for some ``k`` of at least two, its windows with ``k`` or more members are beyond
chance (Poisson tail) even after multiplying by every ``k`` tried and every group tested
(``max_chance_partners``).  Its members are those who arrived in at least
``min_shared_trips`` of those windows.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import duckdb
from scipy.stats import poisson

from ringscope.analytics.detectors.base import register_groups, rows
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings

# The groups: an institution's repeat patients by home region and usual admitting doctor there.
_GROUPS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_seed AS
WITH usual AS (
    SELECT a.facility_id, a.patient_id, any_value(a.region_code) AS region_code,
           arg_max(a.prescriber_id, (d.n, a.prescriber_id)) AS doctor
    FROM _rs_cs_adm a JOIN (SELECT DISTINCT facility_id, patient_id FROM _rs_cs_rep) r USING (facility_id, patient_id)
    LEFT JOIN (SELECT facility_id, patient_id, prescriber_id, count(*) AS n FROM _rs_cs_adm GROUP BY ALL) d
      USING (facility_id, patient_id, prescriber_id)
    WHERE a.region_code IS NOT NULL
    GROUP BY a.facility_id, a.patient_id
), sized AS (
    SELECT *, count(*) OVER (PARTITION BY facility_id, region_code, doctor) AS n FROM usual
)
SELECT dense_rank() OVER (ORDER BY facility_id, region_code, doctor) AS grp, facility_id, patient_id
FROM sized WHERE n >= $min_patients
"""

# Each candidate group's arrivals at each institution where its members are repeat patients:
# runs of days with a member admitted (a gap of at most the window), cut into windows of
# ``2w + 1`` days from the run's start, and the members in each window.
_WINDOWS_SQL = """
WITH adm AS (SELECT DISTINCT g.grp, r.facility_id, r.patient_id, r.day FROM _rs_cs_rep r
             JOIN _rs_cs_seed g USING (facility_id, patient_id)),
days AS (
    SELECT grp, facility_id, day,
           date_diff('day', lag(day) OVER (PARTITION BY grp, facility_id ORDER BY day), day) AS gap
    FROM (SELECT DISTINCT grp, facility_id, day FROM adm)
), runs AS (
    SELECT *, sum(CASE WHEN gap IS NULL OR gap > $window THEN 1 ELSE 0 END)
                  OVER (PARTITION BY grp, facility_id ORDER BY day) AS run FROM days
), windows AS (
    SELECT grp, facility_id, day, run,
           date_diff('day', min(day) OVER (PARTITION BY grp, facility_id, run), day) // (2 * $window + 1) AS part
    FROM runs
)
SELECT a.grp, a.facility_id, w.run, w.part, list(DISTINCT a.patient_id ORDER BY a.patient_id)
FROM adm a JOIN windows w USING (grp, facility_id, day)
GROUP BY a.grp, a.facility_id, w.run, w.part ORDER BY 1, 2, 3, 4
"""

# Each candidate member's admission days at the institution and the institution's working days
# as the group test counts them (``group_weekday_prior``).
_VISITS_SQL = """
SELECT DISTINCT s.grp, r.facility_id, r.patient_id, r.n_days, f.group_days
FROM _rs_cs_seed s JOIN _rs_cs_rep r USING (facility_id, patient_id)
JOIN _rs_cs_fac f ON f.facility_id = r.facility_id
ORDER BY 1, 2, 3
"""


def _at_least(probabilities: list[float]) -> list[float]:
    """P(X >= k) for k = 0..n, X the number of members present (Poisson-binomial)."""
    dist = [1.0]
    for p in probabilities:
        nxt = [0.0] * (len(dist) + 1)
        for k, v in enumerate(dist):
            nxt[k] += v * (1.0 - p)
            nxt[k + 1] += v * p
        dist = nxt
    tail, out = 0.0, [0.0] * len(dist)
    for k in range(len(dist) - 1, -1, -1):
        tail += dist[k]
        out[k] = tail
    return out


def _least_likely(present: list[list[str]], visits: dict[str, int], days: float,
                  cfg: CarShuttleSettings) -> tuple[float, int]:
    """The smallest log chance over ``k`` (times the ``k`` tried) of that many windows holding
    ``k`` or more members, and that ``k``."""
    width = 2 * cfg.cohort_window_days + 1
    members = sorted(visits)
    at_least = _at_least([min(1.0, visits[m] * width / days) for m in members])
    windows = days / width
    sizes = [len(p) for p in present]
    tried = range(2, max(sizes, default=0) + 1)
    best = (0.0, 0)
    for k in tried:
        observed = sum(s >= k for s in sizes)
        log_chance = float(poisson.logsf(observed - 1, windows * at_least[k])) if observed else 0.0
        best = min(best, (log_chance + math.log(len(tried)), k))
    return best


def group_seeds(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> list[list[str]]:
    """Groups whose joint arrivals are beyond chance, cut to the members who took part."""
    con.execute(_GROUPS_SQL, {"min_patients": cfg.min_patients})
    visits: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    days: dict[tuple[int, str], float] = {}
    for grp, facility, patient, n_days, chance_days in rows(con, _VISITS_SQL):
        visits[(grp, facility)][patient] = int(n_days)
        days[(grp, facility)] = float(chance_days)
    present: dict[tuple[int, str], list[list[str]]] = defaultdict(list)
    for grp, facility, _, _, patients in rows(con, _WINDOWS_SQL, {"window": cfg.cohort_window_days}):
        present[(grp, facility)].append(list(patients))
    tested = max(1, len(present))
    out = []
    for key, windows in present.items():
        log_chance, k = _least_likely(windows, visits[key], days[key], cfg)
        if k == 0 or log_chance + math.log(tested) > math.log(cfg.max_chance_partners):
            continue
        rides: dict[str, int] = defaultdict(int)
        for patients in windows:
            if len(patients) >= k:
                for p in patients:
                    rides[p] += 1
        members = sorted(f"patient:{p}" for p, n in rides.items() if n >= cfg.min_shared_trips)
        if len(members) >= cfg.min_patients:
            out.append(members)
    return out


_ARRIVALS_SQL = """
SELECT DISTINCT k.node, r.facility_id, r.day FROM _rs_cs_rep r JOIN _rs_cs_keys k ON k.id = r.patient_id
"""


def _arrivals(con: duckdb.DuckDBPyConnection, keys: set[str]) -> dict[str, list[tuple[str, date]]]:
    """Each patient's admission days at the institutions where they are a repeat patient."""
    out: dict[str, list[tuple[str, date]]] = defaultdict(list)
    register_groups(con, "_rs_cs_keys", [sorted(keys)])
    for key, facility, day in rows(con, _ARRIVALS_SQL):
        out[key].append((facility, day))
    return out


def _riding_with(members: list[str], member_of: dict[str, int], arrivals: dict[str, list[tuple[str, date]]],
                 cfg: CarShuttleSettings) -> int | None:
    """The cohort with whose members at least half of a seed's admissions arrived (within
    the window, at the same institution): the seed is that bus's villagers of another
    doctor, and no cohort of its own."""
    present: dict[tuple[str, date], set[int]] = defaultdict(set)
    for key, grp in member_of.items():
        for facility, day in arrivals.get(key, []):
            for shift in range(-cfg.cohort_window_days, cfg.cohort_window_days + 1):
                present[(facility, day + timedelta(days=shift))].add(grp)
    mine = [a for k in members for a in arrivals.get(k, [])]
    counts: dict[int, int] = defaultdict(int)
    for arrival in mine:
        for grp in present.get(arrival, ()):
            counts[grp] += 1
    best = max(counts, key=lambda grp: (counts[grp], -grp), default=None)
    return best if best is not None and counts[best] >= 0.5 * len(mine) else None


def with_seeds(con: duckdb.DuckDBPyConnection, groups: list[list[str]], seeds: list[list[str]],
               cfg: CarShuttleSettings) -> list[list[str]]:
    """Cohorts with the group seeds added.  A seed sharing members with a cohort is that bus
    (its members came from the same region to the same institution, admitted by the same
    doctor, and arrived with the cohort) and adds its other members to it; a seed whose
    shared members spread over several cohorts (two shuttles of one county with the same
    doctor at one hospital), none holding two thirds of them, says nothing about which bus
    the rest rode and is dropped.  A seed sharing no member joins the cohort it arrived
    with (the same bus, admitted by another doctor), else is a cohort of its own."""
    member_of = {k: i for i, g in enumerate(groups) for k in g}
    arrivals = _arrivals(con, set(member_of) | {k for s in seeds for k in s}) if seeds else {}
    out = [list(g) for g in groups]
    for members in seeds:
        shared: dict[int, int] = defaultdict(int)
        for k in members:
            if k in member_of:
                shared[member_of[k]] += 1
        own = [k for k in members if k not in member_of]
        best = max(shared, key=lambda grp: (shared[grp], -grp), default=None)
        if best is not None and shared[best] < 2 * sum(shared.values()) / 3:
            continue  # members of several cohorts alike: nothing says which bus the rest rode
        if best is None:
            best = _riding_with(own, member_of, arrivals, cfg)
        if best is not None:
            target = best
        elif len(own) >= cfg.min_patients:
            out.append([])
            target = len(out) - 1
        else:
            continue
        out[target].extend(own)
        member_of.update(dict.fromkeys(own, target))
    return out
