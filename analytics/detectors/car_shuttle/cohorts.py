"""Car shuttle, step 2: linked pairs become cohorts, which grow by behaviour.

Riders of a cohort's trips join it (beyond chance, or on bus days at a quiet
institution), cohorts sharing trips are one bus, villagers who moved together to
another cohort's institution join it: passengers change from trip to trip, so pairs
alone would leave one busload in pieces.
"""
from __future__ import annotations

import math
from collections import Counter
from datetime import date
from typing import Any, NamedTuple

import duckdb

from ringscope.analytics.detectors.base import (
    moved_links,
    register_groups,
    rows,
    union_groups,
)
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings

# --- step 2: cohorts, their trips and institutions ----------------------------------------

# A member's admission is joint when another member of the same cohort was admitted to the
# same institution within the window.
_JOINT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_joint AS
WITH m AS (
    SELECT g.grp, a.settlement_id, a.facility_id, a.patient_id, a.day
    FROM _rs_cs_adm a JOIN _rs_cs_groups g ON g.type = 'patient' AND g.id = a.patient_id
)
SELECT DISTINCT a.grp, a.settlement_id, a.facility_id, a.patient_id, a.day
FROM m a CROSS JOIN range(-$window, $window + 1) o(shift)
JOIN m b ON b.grp = a.grp AND b.facility_id = a.facility_id AND b.day = a.day + CAST(o.shift AS INTEGER)
        AND b.patient_id <> a.patient_id
"""

# The cohort's institutions: those that admitted at least a share of its joint admissions.
_INSTITUTIONS_SQL = """
SELECT grp, facility_id FROM (
    SELECT grp, facility_id, count(*) AS n, sum(count(*)) OVER (PARTITION BY grp) AS total
    FROM _rs_cs_joint GROUP BY grp, facility_id)
WHERE n >= $institution_share * total
ORDER BY 1, 2
"""

# How each cohort is handled at each of its institutions: the diagnoses, admitting doctors and
# settling operators of at least ``habit_share`` of its admissions there (a stray admission is
# no habit).  One organiser's busloads are billed alike; another ring using the same hospital
# brings its own diagnoses and works with its own doctor or clerk.
_HANDLING = """ranked AS (
    SELECT grp, facility_id, what, value,
           count(*) / sum(count(*)) OVER (PARTITION BY grp, facility_id, what) AS share,
           count(*) OVER (PARTITION BY grp, facility_id, what) AS k
    FROM (SELECT c.grp, c.facility_id, 'dx' AS what, a.diagnosis_code AS value
          FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id)
          UNION ALL SELECT c.grp, c.facility_id, 'doctor', a.prescriber_id
          FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id)
          UNION ALL SELECT c.grp, c.facility_id, 'operator', a.operator_id
          FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id))
    WHERE value IS NOT NULL GROUP BY grp, facility_id, what, value
), billed AS (
    SELECT grp, facility_id, list(value) FILTER (WHERE what = 'dx') AS codes,
           list(value) FILTER (WHERE what = 'doctor') AS doctors, list(value) FILTER (WHERE what = 'operator') AS operators
    FROM ranked WHERE {habit} GROUP BY grp, facility_id
)"""
BILLED_CTE = _HANDLING.format(habit="share >= $habit_share")

# Whether one admission was handled by the cohort's staff (its riders, its bus days): also the
# diagnoses, doctors and operators of ``rota_share`` (half) of the even share of the k it has
# there.  A ward that admits the bus under a rota of five doctors gives each about a fifth, some
# less than ``habit_share``, and every one of them is the bus's staff; a stray admission stays far
# below.  That attaches a patient of no cohort once the cohorts are settled; whether two cohorts
# are one bus or one operation, or one took over the other's villages, asks for their habits.
STAFF_CTE = _HANDLING.format(habit="share >= $habit_share OR ($rota AND share * k >= $rota_share)")


def staff_params(cfg: CarShuttleSettings, rota: bool) -> dict[str, float | bool]:
    """The parameters of ``STAFF_CTE``; without ``rota`` it asks for the habits alone."""
    return {"habit_share": cfg.habit_share, "rota_share": cfg.rota_share, "rota": rota}


# Villagers of one cohort whose joint trips to one institution all came before their joint
# trips to another cohort's institution: an organiser that took over another's villages.
# With the movers handled there like the other cohort (``matched``: one of its diagnoses, by
# its doctors and operators where recorded): when two rings use that hospital, the new owner
# is the one handling the movers as its own.  Whether the movers were admitted or settled there by the other
# cohort's own staff (``by_its_staff``), and whether both record staff to compare (``staff_recorded``).
_MOVED_SQL = """
WITH inst AS (""" + _INSTITUTIONS_SQL.replace("ORDER BY 1, 2", "") + """),
sizes AS (SELECT grp, count(*) AS n FROM _rs_cs_groups WHERE type = 'patient' GROUP BY grp),
stays AS (
    SELECT grp, patient_id, facility_id, min(day) AS first_on, max(day) AS last_on FROM _rs_cs_joint GROUP BY ALL
), moved AS (
    SELECT o.grp, o.patient_id, n.facility_id AS new_facility
    FROM stays o JOIN stays n ON n.grp = o.grp AND n.patient_id = o.patient_id
     AND n.facility_id <> o.facility_id AND o.last_on < n.first_on
), """ + BILLED_CTE + """, arrived AS (
    SELECT j.grp, j.patient_id, j.facility_id, a.diagnosis_code, a.prescriber_id, a.operator_id
    FROM _rs_cs_joint j JOIN _rs_cs_adm a USING (settlement_id) WHERE a.diagnosis_code IS NOT NULL
)
SELECT m.grp, i.grp AS other, count(DISTINCT m.patient_id) AS n, any_value(sizes.n) AS size,
       count(DISTINCT m.patient_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM arrived x JOIN billed o ON o.grp = i.grp AND o.facility_id = x.facility_id
            AND list_contains(o.codes, x.diagnosis_code)
            AND (x.prescriber_id IS NULL OR o.doctors IS NULL OR list_contains(o.doctors, x.prescriber_id))
            AND (x.operator_id IS NULL OR o.operators IS NULL OR list_contains(o.operators, x.operator_id))
           WHERE x.grp = m.grp AND x.patient_id = m.patient_id AND x.facility_id = m.new_facility)) AS matched,
       count(DISTINCT m.patient_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM arrived x JOIN billed o ON o.grp = i.grp AND o.facility_id = x.facility_id
            AND (list_contains(o.doctors, x.prescriber_id) OR list_contains(o.operators, x.operator_id))
            AND (x.prescriber_id IS NULL OR o.doctors IS NULL OR list_contains(o.doctors, x.prescriber_id))
            AND (x.operator_id IS NULL OR o.operators IS NULL OR list_contains(o.operators, x.operator_id))
           WHERE x.grp = m.grp AND x.patient_id = m.patient_id AND x.facility_id = m.new_facility)) AS by_its_staff,
       count(DISTINCT m.patient_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM arrived x JOIN billed o ON o.grp = i.grp AND o.facility_id = x.facility_id
            AND ((x.prescriber_id IS NOT NULL AND o.doctors IS NOT NULL)
                 OR (x.operator_id IS NOT NULL AND o.operators IS NOT NULL))
           WHERE x.grp = m.grp AND x.patient_id = m.patient_id AND x.facility_id = m.new_facility)) AS staff_recorded
FROM moved m JOIN inst i ON i.facility_id = m.new_facility AND i.grp <> m.grp
JOIN sizes ON sizes.grp = m.grp
GROUP BY 1, 2 ORDER BY 1, 2
"""

_COHORT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_cohort AS
SELECT j.* FROM _rs_cs_joint j
JOIN (""" + _INSTITUTIONS_SQL.replace("ORDER BY 1, 2", "") + """) i USING (grp, facility_id)
"""


# Each cohort's trips at its institutions (joint days no more than the gap apart) and the
# repeat patients admitted there during them: how many trips each joined, and the chance of
# joining that many if their admissions fell at random over the institution's working days,
# times the number of patients who joined any trip (each a chance for a coincidence).
TRIPS_CTE = """
WITH days AS (
    SELECT grp, facility_id, day,
           date_diff('day', lag(day) OVER (PARTITION BY grp, facility_id ORDER BY day), day) AS gap
    FROM (SELECT DISTINCT grp, facility_id, day FROM _rs_cs_cohort)
), numbered AS (
    SELECT *, sum(CASE WHEN gap IS NULL OR gap > $gap THEN 1 ELSE 0 END)
                  OVER (PARTITION BY grp, facility_id ORDER BY day) AS trip FROM days
), trips AS (
    SELECT grp, facility_id, trip, min(day) - CAST($window AS INTEGER) AS lo, max(day) + CAST($window AS INTEGER) AS hi
    FROM numbered GROUP BY ALL
)"""

# Two cohorts at one institution whose trips fall on the same days, and the institution's
# working days (to judge how often that happens by chance).
_SHARED_TRIPS_SQL = TRIPS_CTE + """, """ + BILLED_CTE + """,
n_trips AS (SELECT grp, facility_id, count(*) AS n FROM trips GROUP BY grp, facility_id)
SELECT a.grp, b.grp, a.facility_id, any_value(f.chance_days), any_value(na.n), any_value(nb.n),
       count(DISTINCT a.trip), avg(date_diff('day', a.lo, a.hi) + date_diff('day', b.lo, b.hi) + 1),
       any_value(coalesce(list_has_any(ca.codes, cb.codes), true) AND coalesce(list_has_any(ca.doctors, cb.doctors), true)
                 AND coalesce(list_has_any(ca.operators, cb.operators), true))
FROM trips a JOIN trips b ON b.facility_id = a.facility_id AND b.grp > a.grp AND b.lo <= a.hi AND a.lo <= b.hi
JOIN _rs_cs_fac f ON f.facility_id = a.facility_id
LEFT JOIN billed ca ON ca.grp = a.grp AND ca.facility_id = a.facility_id
LEFT JOIN billed cb ON cb.grp = b.grp AND cb.facility_id = a.facility_id
JOIN n_trips na ON na.grp = a.grp AND na.facility_id = a.facility_id
JOIN n_trips nb ON nb.grp = b.grp AND nb.facility_id = a.facility_id
GROUP BY a.grp, b.grp, a.facility_id ORDER BY 1, 2, 3
"""

_RIDERS_SQL = TRIPS_CTE + """, """ + STAFF_CTE + """, cover AS (
    SELECT grp, facility_id, sum(date_diff('day', lo, hi) + 1) AS days FROM trips GROUP BY ALL
), hits AS (
    SELECT t.grp, r.facility_id, r.patient_id, any_value(r.n_days) AS n, count(DISTINCT t.trip) AS j
    FROM trips t JOIN _rs_cs_rep r ON r.facility_id = t.facility_id AND r.day BETWEEN t.lo AND t.hi
    JOIN _rs_cs_adm a ON a.settlement_id = r.settlement_id
    LEFT JOIN billed o ON o.grp = t.grp AND o.facility_id = t.facility_id
    WHERE o.grp IS NULL OR ((a.diagnosis_code IS NULL OR o.codes IS NULL OR list_contains(o.codes, a.diagnosis_code))
        AND (a.prescriber_id IS NULL OR o.doctors IS NULL OR list_contains(o.doctors, a.prescriber_id))
        AND (a.operator_id IS NULL OR o.operators IS NULL OR list_contains(o.operators, a.operator_id)))
    GROUP BY ALL
), seen AS (SELECT grp, facility_id, count(*) AS m FROM hits GROUP BY ALL)
SELECT h.grp, h.patient_id,
       ln(s.m) + lgamma(h.n + 1) - lgamma(h.j + 1) - lgamma(greatest(h.n - h.j, 0) + 1)
       + h.j * ln(least(1.0, c.days / f.chance_days)) AS log_chance
FROM hits h JOIN seen s USING (grp, facility_id) JOIN cover c USING (grp, facility_id)
JOIN _rs_cs_fac f ON f.facility_id = h.facility_id
WHERE h.j >= $min_trips
ORDER BY 1, 2
"""


# Bus days: a cohort's trip windows at an institution against its ordinary intake (its
# admissions on other days, per day).  When nearly all admitted in the windows are beyond that
# intake, those admitted in them from the cohort's home regions with one of its diagnoses
# came with the bus, even on a single trip.
_BUS_DAY_SQL = TRIPS_CTE + """, """ + STAFF_CTE + """, cover AS (
    SELECT grp, facility_id, sum(date_diff('day', lo, hi) + 1) AS days FROM trips GROUP BY ALL
), inwin AS (
    SELECT DISTINCT t.grp, a.facility_id, a.settlement_id, a.patient_id
    FROM trips t JOIN _rs_cs_adm a ON a.facility_id = t.facility_id AND a.day BETWEEN t.lo AND t.hi
), seen AS (SELECT grp, facility_id, count(*) AS obs FROM inwin GROUP BY ALL),
volume AS (SELECT facility_id, count(*) AS v FROM _rs_cs_adm GROUP BY 1),
profile AS (SELECT DISTINCT c.grp, a.region_code, a.diagnosis_code FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id))
SELECT DISTINCT i.grp, i.patient_id
FROM inwin i JOIN seen s USING (grp, facility_id) JOIN cover c USING (grp, facility_id)
JOIN volume v ON v.facility_id = i.facility_id JOIN _rs_cs_fac f ON f.facility_id = i.facility_id
JOIN _rs_cs_adm a ON a.settlement_id = i.settlement_id
WHERE s.obs - (v.v - s.obs) * c.days / greatest(f.span_days - c.days, 1) >= $share * s.obs
  AND EXISTS (SELECT 1 FROM profile p WHERE p.grp = i.grp AND p.region_code = a.region_code)
  AND EXISTS (SELECT 1 FROM profile p WHERE p.grp = i.grp AND p.diagnosis_code = a.diagnosis_code)
  AND NOT EXISTS (SELECT 1 FROM billed o WHERE o.grp = i.grp AND o.facility_id = i.facility_id
      AND ((a.prescriber_id IS NOT NULL AND NOT coalesce(list_contains(o.doctors, a.prescriber_id), true))
        OR (a.operator_id IS NOT NULL AND NOT coalesce(list_contains(o.operators, a.operator_id), true))))
ORDER BY 1, 2
"""


def register(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, groups: list[list[str]]) -> None:
    """Groups, their joint admissions and the cohort admissions at their institutions."""
    register_groups(con, "_rs_cs_groups", groups)
    con.execute(_JOINT_SQL, {"window": cfg.cohort_window_days})
    con.execute(_COHORT_SQL, {"institution_share": cfg.institution_share})


def _poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    return max(0.0, 1.0 - sum(math.exp(-lam) * lam ** j / math.factorial(j) for j in range(k)))


def _same_bus_links(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> list[tuple[int, int]]:
    """Cohorts at one institution whose trips fall on the same days more often than chance.

    Passengers change from trip to trip, so one bus can leave several cohorts, each of
    people who rode together often; they share its trips.  Two shuttles that merely use
    one hospital run on their own days: with ``t1`` and ``t2`` trips of about ``w`` days
    over ``D`` working days, about ``t1 * t2 * w / D`` fall together by chance; or
    one cohort made most of its trips (``same_bus_share``) with the other.  Fragments of
    one bus are handled alike there (commonest diagnoses, doctors and operators overlap,
    each where recorded); another ring sharing the hospital, meeting it on a day or two
    by chance, brings its own diagnoses or works with its own doctor or clerk.
    """
    found = rows(con, _SHARED_TRIPS_SQL, {"gap": cfg.occasion_gap_days, "window": cfg.cohort_window_days,
                                          "habit_share": cfg.habit_share})
    return [(a, b) for a, b, _, days, t1, t2, shared, width, same_billing in found
            if shared >= cfg.min_shared_trips and same_billing
            and (shared >= cfg.same_bus_share * min(t1, t2)
                 or _poisson_tail(int(shared), t1 * t2 * float(width) / float(days)) <= cfg.max_chance_partners)]


def _riders(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, rota: bool) -> dict[str, int]:
    """Each rider and the cohort whose trips they rode (the least likely by chance first);
    with ``rota``, admitted by any of the cohort's staff on its rota (``STAFF_CTE``)."""
    params = {"gap": cfg.occasion_gap_days, "window": cfg.cohort_window_days}
    best: dict[str, tuple[float, int]] = {}
    for grp, patient, log_chance in rows(con, _RIDERS_SQL, dict(params, min_trips=cfg.min_shared_trips,
                                                                 **staff_params(cfg, rota))):
        key = f"patient:{patient}"
        if log_chance <= math.log(cfg.attach_max_chance) and (key not in best or log_chance < best[key][0]):
            best[key] = (log_chance, grp)
    for grp, patient in rows(con, _BUS_DAY_SQL, dict(params, share=cfg.bus_day_share, **staff_params(cfg, rota))):
        best.setdefault(f"patient:{patient}", (0.0, grp))
    return {key: grp for key, (_, grp) in best.items()}


def _grow(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, groups: list[list[str]]) -> list[list[str]]:
    """Cohorts of one bus are joined; riders of a cohort's trips join it.

    A villager may share too few trips with any one other to be linked, yet ride on
    several of the cohort's trips: that is judged against chance the same way.  At an
    institution whose intake on the trip days is nearly all beyond its ordinary intake
    (``bus_day_share``), those admitted on them from the cohort's regions with one of its
    diagnoses rode the bus, even once; at a busy
    hospital a bus is lost in the crowd and only the repeat test can attach riders.
    When ``join_min_patients`` riders of one cohort's trips belong to another cohort,
    both are fragments of one bus.
    """
    links = _same_bus_links(con, cfg)
    if links:
        groups = union_groups(groups, links)
        register(con, cfg, groups)
    member_of = {k: i for i, g in enumerate(groups) for k in g}
    grown = [list(g) for g in groups]
    shared: Counter = Counter()
    for key, grp in _riders(con, cfg, rota=False).items():
        if key not in member_of:
            grown[grp].append(key)
        elif member_of[key] != grp:
            shared[(grp, member_of[key])] += 1
    links = [pair for pair, n in shared.items() if n >= cfg.join_min_patients]
    return union_groups(grown, links) if links else grown


def _new_owners(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> list[tuple]:
    """Cohorts whose villagers moved to another cohort's institution (grp, other, movers, size).

    When the movers are billed there for the diagnoses of some of the cohorts using that
    institution, only those took them over; otherwise (an owner billing its own way, or
    the movers keeping their old diagnoses) the one cohort there is a candidate, unless
    the movers are admitted there by doctors and clerks the cohort never works with (both
    recorded): a shuttle that takes its own villagers to a second hospital, where they
    are handled by its own contact, has not been taken over by the ring already using it.
    """
    found = rows(con, _MOVED_SQL, {"institution_share": cfg.institution_share, "habit_share": cfg.habit_share})
    billing = {grp for grp, _, _, _, matched, _, _ in found if matched}
    owners = Counter(grp for grp, *_ in found)
    return [(grp, other, n, size) for grp, other, n, size, matched, by_its_staff, staff_recorded in found
            if matched or (grp not in billing and owners[grp] == 1 and (by_its_staff or not staff_recorded))]


def grown_cohorts(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, groups: list[list[str]]) -> list[list[str]]:
    """Register the cohorts: grown by their riders, joined when villagers moved between them.

    When one organiser takes over another's villages, the inherited villagers stop going
    to their old hospital and turn up on their own trips at the new owner's, so they never
    share a bus with its villagers.  A few movers (``join_min_patients`` and ``join_share``
    of their cohort) join the two; one villager who changed hospital does not.
    """
    register(con, cfg, groups)
    for _ in range(cfg.grow_rounds):
        grown = _grow(con, cfg, groups)
        register(con, cfg, grown)  # the registered order is the groups' numbering from here on
        settled = sorted(map(sorted, grown)) == sorted(map(sorted, groups))
        groups = grown
        if settled:
            break
    if cfg.join_share > 0 and len(groups) > 1:
        links = moved_links(_new_owners(con, cfg), cfg.join_min_patients, cfg.join_share)
        if links:
            groups = union_groups(groups, links)
            register(con, cfg, groups)
    return _with_rota_riders(con, cfg, groups)


def _with_rota_riders(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, groups: list[list[str]]) -> list[list[str]]:
    """Riders of no cohort admitted by any of the staff on a cohort's ward rota join it, last.

    The cohorts are settled by then: what joins two cohorts (one bus, one operation, a
    take-over) is judged on their habitual staff, as a doctor of the ward's rota also admits
    the other ring sharing that hospital.  A villager of no cohort on the bus's days, from
    its villages with its diagnoses, admitted by one of the ward's doctors on shift, rode it.
    """
    member_of = {k for g in groups for k in g}
    grown = [list(g) for g in groups]
    for key, grp in _riders(con, cfg, rota=True).items():
        if key not in member_of:
            grown[grp].append(key)
    if grown != groups:
        register(con, cfg, grown)
    return grown


class Cohort(NamedTuple):
    grp: int
    facilities: list[str]
    patients: list[str]
    settlement_ids: list[str]
    trip_days: list[date]
    pair_trips: float


_TRIPS_SQL = """
WITH d AS (
    SELECT grp, facility_id, day, count(DISTINCT patient_id) AS n,
           date_diff('day', lag(day) OVER (PARTITION BY grp, facility_id ORDER BY day), day) AS gap
    FROM _rs_cs_cohort GROUP BY grp, facility_id, day
)
SELECT grp, list(day ORDER BY day) FROM d WHERE gap IS NULL OR gap > $gap GROUP BY grp ORDER BY grp
"""

_COHORT_LIST_SQL = """
SELECT grp, list(DISTINCT facility_id ORDER BY facility_id), list(DISTINCT patient_id ORDER BY patient_id),
       list(DISTINCT settlement_id ORDER BY settlement_id)
FROM _rs_cs_cohort GROUP BY grp ORDER BY grp
"""


def cohort_rows(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, edge_rows: list[tuple]) -> list[Cohort]:
    """Each cohort with its institutions, patients, admissions and trip start days."""
    trips: dict[int, Any] = dict(rows(con, _TRIPS_SQL, {"gap": cfg.occasion_gap_days}))
    weight = {(a, b): w for a, b, w in edge_rows}
    out = []
    for grp, facilities, patients, sids in rows(con, _COHORT_LIST_SQL):
        keys = sorted(f"patient:{p}" for p in patients)
        inner = [weight[(a, b)] for i, a in enumerate(keys) for b in keys[i + 1:] if (a, b) in weight]
        out.append(Cohort(grp, facilities, patients, sids, trips.get(grp, []),
                          sum(inner) / len(inner) if inner else 0.0))
    return out
