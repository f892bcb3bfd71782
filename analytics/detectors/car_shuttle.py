"""Car-shuttle schemes: the same villagers bussed to one institution again and again.

Organisers collect (mostly elderly) villagers, drive them to a clinic or
hospital that admits them together and bills the fund for short, uniform
stays; the patient's share is often waived (NHSA 2023-2024 notices on
"免费接送、免费住院").  A bureau's data rarely records the waiver (the
hospital simply does not collect the share), so nothing here hangs on it.

1. **Coordination** (what the scheme cannot avoid): the *same* patients
   admitted to the same institution together (same or adjacent day) on
   several separate trips.  Only patients admitted there on several days can
   take part, and pairs are formed day by day, so a busy hospital costs its
   daily volume squared, never all its patients squared.  A pair is kept when
   its joint trips are beyond chance: with patients admitted ``n1`` and
   ``n2`` times over the institution's working days, ``k`` joint trips are
   expected about ``n1 * n2 * window / days`` times, and a patient co-admitted
   with ``m`` different people there must not find such a partner among them
   by chance (``max_chance_partners``).  At a regional referral centre two
   patients meet twice by chance; they do not meet on four separate trips.
2. Graph: linked pairs form cohorts (components, Leiden when large); a member
   needs ``min_links`` partners inside its cohort, so chance pairs never chain.
   Cohorts then grow by behaviour: riders of their trips join (beyond chance,
   or on bus days at a quiet institution), cohorts sharing trips are one bus,
   cohorts of one operation (same institution, period, region, diagnoses) and
   villagers who moved together to another cohort's institution join.  Rings
   are never joined merely for sharing an institution.
3. **Indications**, each against its own baseline (the institution's other
   inpatients; its peers of the same kind and level when it has too few), combined into
   one score, none required: fee waiver, same origin, uniform diagnoses,
   short stays, elderly patients, stays with no prior care for the condition,
   many readmissions, the same staff or terminals settling the cohort.
4. **Explanations** lower the score: one household or care home (one
   address); a course of treatment (each patient keeps a fixed interval of
   their own: chemotherapy or rehabilitation cycles, weekly shifts; a bus
   may keep a weekday, its villagers do not); a one-off campaign (each
   patient admitted at most twice, and most of the intake never came back:
   cataract operations with a second-eye round); stays that fit the
   patients' own earlier care.  Outbreaks and campaigns admitting people
   together once never pass step 1.

Rings sharing a hospital stay apart unless handled alike there (diagnoses,
doctors, operators): one organiser's busloads are billed alike, another
ring that meets its bus by chance on a day or two is not.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from statistics import median
from typing import Any, NamedTuple

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import (
    moved_links,
    register_groups,
    rows,
    temp_tables,
    union_groups,
)
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import CarShuttleSettings, DetectionSettings

SCHEME = "car_shuttle"
_TEMP = ("_rs_cs_adm", "_rs_cs_fac", "_rs_cs_rep", "_rs_cs_pairs", "_rs_cs_groups", "_rs_cs_joint",
         "_rs_cs_cohort", "_rs_cs_scope")

# Strong indications (each alone is what an investigator would open a file on) weigh 1,
# supporting ones (common among honest inpatients too) 0.5; explanations subtract.
_STRONG, _SUPPORTING = 1.0, 0.5
_PENALTY = {"household": 3.0, "treatment_course": 3.0, "campaign": 3.0, "fits_history": 1.0}



# --- step 1: admissions and coordination -----------------------------------------------

_ADMISSIONS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_adm AS
SELECT s.settlement_id, s.facility_id, f.kind AS facility_kind, f.region_code AS facility_region,
       coalesce(s.patient_id, c.patient_id) AS patient_id,
       coalesce(s.admitted_on, CAST(s.settled_at AS DATE)) AS day,
       CASE WHEN s.discharged_on IS NOT NULL AND s.admitted_on IS NOT NULL
            THEN greatest(0, date_diff('day', s.admitted_on, s.discharged_on)) END AS stay_days,
       CASE WHEN s.total_amount > 0 THEN CAST(coalesce(s.self_paid, s.total_amount - s.fund_paid) AS DOUBLE)
                                         / CAST(s.total_amount AS DOUBLE) END AS self_share,
       s.diagnosis_code, left(s.diagnosis_code, 3) AS diagnosis_group, s.operator_id, s.device_id, s.prescriber_id,
       p.region_code, nullif(trim(p.address), '') AS address,
       date_diff('year', p.birth_date, coalesce(s.admitted_on, CAST(s.settled_at AS DATE))) AS age
FROM settlements s
LEFT JOIN cards c ON c.card_id = s.card_id
JOIN facilities f ON f.facility_id = s.facility_id
LEFT JOIN patients p ON p.patient_id = coalesce(s.patient_id, c.patient_id)
WHERE f.kind <> 'pharmacy' AND (s.kind = 'inpatient' OR s.admitted_on IS NOT NULL)
  AND coalesce(s.patient_id, c.patient_id) IS NOT NULL
"""

# The days over which an institution's admissions spread: its active span (any settlement),
# shrunk by how much its admissions favour some weekdays, since two patients of a hospital
# that admits on weekdays only meet more often by chance.  The weekdays are learnt from its
# ordinary intake, the patients admitted there on fewer days than a pair needs to share
# trips: the repeat patients are the ones under test, and a hospital that admits little but
# the Saturday bus must not make Saturday its working day.  Each day counts at most the
# median daily admissions: a busload of one-off patients does not make its weekday the usual one.
_FACILITY_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_fac AS
WITH span AS (
    SELECT facility_id, date_diff('day', min(coalesce(admitted_on, CAST(settled_at AS DATE))),
                                  max(CAST(settled_at AS DATE))) + 1 AS span_days
    FROM settlements WHERE facility_id IN (SELECT facility_id FROM _rs_cs_adm) GROUP BY 1
), visits AS (
    SELECT facility_id, patient_id FROM _rs_cs_adm GROUP BY 1, 2 HAVING count(DISTINCT day) < $min_trips
), daily AS (
    SELECT facility_id, day, count(*) AS n FROM _rs_cs_adm JOIN visits USING (facility_id, patient_id) GROUP BY 1, 2
), capped AS (
    SELECT facility_id, dayofweek(day) AS wd,
           least(n, median(n) OVER (PARTITION BY facility_id)) AS n FROM daily
), grid AS (
    SELECT s.facility_id, w.wd FROM span s CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6)) AS w(wd)
), week AS (
    SELECT g.facility_id, coalesce(sum(c.n), 0) AS n, sum(coalesce(sum(c.n), 0)) OVER (PARTITION BY g.facility_id) AS total
    FROM grid g LEFT JOIN capped c ON c.facility_id = g.facility_id AND c.wd = g.wd GROUP BY g.facility_id, g.wd
)
SELECT s.facility_id, s.span_days,
       s.span_days / (7 * sum(power((w.n + $prior) / (w.total + 7 * $prior), 2))) AS chance_days
FROM span s JOIN week w USING (facility_id) GROUP BY s.facility_id, s.span_days
"""

# Only patients admitted to an institution on several days can be repeatedly co-admitted there.
_REPEAT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_rep AS
WITH n AS (SELECT facility_id, patient_id, count(DISTINCT day) AS n_days FROM _rs_cs_adm GROUP BY 1, 2
           HAVING count(DISTINCT day) >= $min_trips)
SELECT a.settlement_id, a.facility_id, a.patient_id, a.day, n.n_days
FROM _rs_cs_adm a JOIN n USING (facility_id, patient_id)
"""

# Day by day (an equality join on the shifted day): cost is each day's volume squared.
_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_pairs AS
SELECT DISTINCT a.facility_id, a.patient_id AS p1, b.patient_id AS p2, least(a.day, b.day) AS day
FROM _rs_cs_rep a CROSS JOIN range(-$window, $window + 1) o(shift)
JOIN _rs_cs_rep b ON b.facility_id = a.facility_id AND b.day = a.day + CAST(o.shift AS INTEGER)
WHERE a.patient_id < b.patient_id
"""

# Separate trips of a pair (joint days more than the gap apart), the chance of that many
# (union bound C(t, k) q^k, q = the other's admissions * window / working days) and the
# number of partners a patient met there (each one a chance to find a coincidence).
_EDGES_SQL = """
WITH gaps AS (
    SELECT *, date_diff('day', lag(day) OVER (PARTITION BY facility_id, p1, p2 ORDER BY day), day) AS gap
    FROM _rs_cs_pairs
), pair AS (
    SELECT facility_id, p1, p2, count(*) FILTER (WHERE gap IS NULL OR gap > $gap) AS trips FROM gaps GROUP BY ALL
), partners AS (
    SELECT facility_id, patient_id, count(*) AS m FROM (
        SELECT facility_id, p1 AS patient_id FROM pair UNION ALL SELECT facility_id, p2 FROM pair) GROUP BY ALL
), counts AS (
    SELECT DISTINCT facility_id, patient_id, n_days FROM _rs_cs_rep
), chance AS (
    SELECT p.facility_id, p.p1, p.p2, p.trips, least(c1.n_days, c2.n_days) AS t, greatest(m1.m, m2.m) AS m,
           least(1.0, greatest(c1.n_days, c2.n_days) * (2 * $window + 1) / f.chance_days) AS q
    FROM pair p
    JOIN counts c1 ON c1.facility_id = p.facility_id AND c1.patient_id = p.p1
    JOIN counts c2 ON c2.facility_id = p.facility_id AND c2.patient_id = p.p2
    JOIN partners m1 ON m1.facility_id = p.facility_id AND m1.patient_id = p.p1
    JOIN partners m2 ON m2.facility_id = p.facility_id AND m2.patient_id = p.p2
    JOIN _rs_cs_fac f ON f.facility_id = p.facility_id
    WHERE p.trips >= $min_trips
), linked AS (
    SELECT facility_id, p1, p2, trips FROM chance
    WHERE ln(m) + lgamma(t + 1) - lgamma(trips + 1) - lgamma(greatest(t - trips, 0) + 1) + trips * ln(q)
          <= ln($max_chance_partners)
), handling AS (
    SELECT DISTINCT facility_id, patient_id, 'doctor' AS k, prescriber_id AS v FROM _rs_cs_adm
    WHERE prescriber_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT facility_id, patient_id, 'diagnosis' AS k, diagnosis_group AS v FROM _rs_cs_adm
    WHERE diagnosis_group IS NOT NULL
), kinds AS (
    SELECT DISTINCT l.facility_id, l.p1, l.p2, h1.k FROM linked l
    JOIN handling h1 ON h1.facility_id = l.facility_id AND h1.patient_id = l.p1
    JOIN handling h2 ON h2.facility_id = l.facility_id AND h2.patient_id = l.p2 AND h2.k = h1.k
), alike AS (
    SELECT DISTINCT l.facility_id, l.p1, l.p2, h1.k FROM linked l
    JOIN handling h1 ON h1.facility_id = l.facility_id AND h1.patient_id = l.p1
    JOIN handling h2 ON h2.facility_id = l.facility_id AND h2.patient_id = l.p2 AND h2.k = h1.k AND h2.v = h1.v
), differ AS (
    SELECT k.facility_id, k.p1, k.p2 FROM kinds k
    LEFT JOIN alike a ON a.facility_id = k.facility_id AND a.p1 = k.p1 AND a.p2 = k.p2 AND a.k = k.k
    WHERE a.p1 IS NULL
)
SELECT 'patient:' || l.p1, 'patient:' || l.p2, sum(l.trips) AS trips FROM linked l
WHERE NOT EXISTS (SELECT 1 FROM differ d WHERE d.facility_id = l.facility_id AND d.p1 = l.p1 AND d.p2 = l.p2)
GROUP BY 1, 2 ORDER BY 1, 2
"""


def _coordinated_pairs(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> list[tuple]:
    """Patient pairs admitted together on more separate trips than chance allows."""
    con.execute(_ADMISSIONS_SQL)
    con.execute(_FACILITY_SQL, {"prior": cfg.weekday_prior, "min_trips": cfg.min_shared_trips})
    con.execute(_REPEAT_SQL, {"min_trips": cfg.min_shared_trips})
    con.execute(_PAIRS_SQL, {"window": cfg.cohort_window_days})
    return rows(con, _EDGES_SQL, {"gap": cfg.occasion_gap_days, "min_trips": cfg.min_shared_trips,
                                  "window": cfg.cohort_window_days,
                                  "max_chance_partners": cfg.max_chance_partners})


def _cores(groups: list[list[str]], edge_rows: list[tuple], min_links: int, min_size: int) -> list[list[str]]:
    """Each group pruned to members with ``min_links`` partners inside it (repeatedly).

    A cohort is many people who travel together; a chance pair at a busy hospital has
    no third partner, so pruning removes it without a fixed count of admissions.  A group
    that prunes away leaves its most repeated pair as a seed, which becomes a cohort only
    if riders of its trips join it.
    """
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in edge_rows:
        neighbours[a].add(b)
        neighbours[b].add(a)
    out = []
    for group in groups:
        keep = set(group)
        while True:
            weak = {k for k in keep if len(neighbours[k] & keep) < min_links}
            if not weak:
                break
            keep -= weak
        if len(keep) >= min_size:
            out.append(sorted(keep))
        else:  # its most repeated pair seeds a cohort, which it becomes only if riders join
            inner = set(group)
            out.append(sorted(max(((w, a, b) for a, b, w in edge_rows if a in inner and b in inner))[1:]))
    return out


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
# settling operators of at least ``habit_share`` of its admissions there (a stray admission is no habit).  One organiser's busloads are billed alike; another
# ring using the same hospital brings its own diagnoses and works with its own doctor or clerk.
_BILLED_CTE = """ranked AS (
    SELECT grp, facility_id, what, value,
           count(*) / sum(count(*)) OVER (PARTITION BY grp, facility_id, what) AS share
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
    FROM ranked WHERE share >= $habit_share GROUP BY grp, facility_id
)"""

# Villagers of one cohort whose joint trips to one institution all came before their joint
# trips to another cohort's institution: an organiser that took over another's villages.
# With the movers handled there like the other cohort (``matched``: one of its diagnoses, by
# its doctors and operators where recorded): when two rings use that hospital, the new owner
# is the one handling the movers as its own.
_MOVED_SQL = """
WITH inst AS (""" + _INSTITUTIONS_SQL.replace("ORDER BY 1, 2", "") + """),
sizes AS (SELECT grp, count(*) AS n FROM _rs_cs_groups WHERE type = 'patient' GROUP BY grp),
stays AS (
    SELECT grp, patient_id, facility_id, min(day) AS first_on, max(day) AS last_on FROM _rs_cs_joint GROUP BY ALL
), moved AS (
    SELECT o.grp, o.patient_id, n.facility_id AS new_facility
    FROM stays o JOIN stays n ON n.grp = o.grp AND n.patient_id = o.patient_id
     AND n.facility_id <> o.facility_id AND o.last_on < n.first_on
), """ + _BILLED_CTE + """, arrived AS (
    SELECT j.grp, j.patient_id, j.facility_id, a.diagnosis_code, a.prescriber_id, a.operator_id
    FROM _rs_cs_joint j JOIN _rs_cs_adm a USING (settlement_id) WHERE a.diagnosis_code IS NOT NULL
)
SELECT m.grp, i.grp AS other, count(DISTINCT m.patient_id) AS n, any_value(sizes.n) AS size,
       count(DISTINCT m.patient_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM arrived x JOIN billed o ON o.grp = i.grp AND o.facility_id = x.facility_id
            AND list_contains(o.codes, x.diagnosis_code)
            AND (x.prescriber_id IS NULL OR o.doctors IS NULL OR list_contains(o.doctors, x.prescriber_id))
            AND (x.operator_id IS NULL OR o.operators IS NULL OR list_contains(o.operators, x.operator_id))
           WHERE x.grp = m.grp AND x.patient_id = m.patient_id AND x.facility_id = m.new_facility)) AS matched
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
_TRIPS_CTE = """
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
_SHARED_TRIPS_SQL = _TRIPS_CTE + """, """ + _BILLED_CTE + """,
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

_RIDERS_SQL = _TRIPS_CTE + """, """ + _BILLED_CTE + """, cover AS (
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
_BUS_DAY_SQL = _TRIPS_CTE + """, cover AS (
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
ORDER BY 1, 2
"""


def _register(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, groups: list[list[str]]) -> None:
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


def _riders(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[str, int]:
    """Each rider and the cohort whose trips they rode (the least likely by chance first)."""
    params = {"gap": cfg.occasion_gap_days, "window": cfg.cohort_window_days}
    best: dict[str, tuple[float, int]] = {}
    for grp, patient, log_chance in rows(con, _RIDERS_SQL, dict(params, min_trips=cfg.min_shared_trips,
                                                                 habit_share=cfg.habit_share)):
        key = f"patient:{patient}"
        if log_chance <= math.log(cfg.attach_max_chance) and (key not in best or log_chance < best[key][0]):
            best[key] = (log_chance, grp)
    for grp, patient in rows(con, _BUS_DAY_SQL, dict(params, share=cfg.bus_day_share)):
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
        _register(con, cfg, groups)
    member_of = {k: i for i, g in enumerate(groups) for k in g}
    grown = [list(g) for g in groups]
    shared: Counter = Counter()
    for key, grp in _riders(con, cfg).items():
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
    the movers keeping their old diagnoses) every cohort there is a candidate.
    """
    found = rows(con, _MOVED_SQL, {"institution_share": cfg.institution_share, "habit_share": cfg.habit_share})
    billing = {grp for grp, _, _, _, matched in found if matched}
    owners = Counter(grp for grp, *_ in found)
    return [(grp, other, n, size) for grp, other, n, size, matched in found
            if matched or (grp not in billing and owners[grp] == 1)]


def _cohorts(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, groups: list[list[str]]) -> list[list[str]]:
    """Register the cohorts: grown by their riders, joined when villagers moved between them.

    When one organiser takes over another's villages, the inherited villagers stop going
    to their old hospital and turn up on their own trips at the new owner's, so they never
    share a bus with its villagers.  A few movers (``join_min_patients`` and ``join_share``
    of their cohort) join the two; one villager who changed hospital does not.
    """
    _register(con, cfg, groups)
    for _ in range(cfg.grow_rounds):
        grown = _grow(con, cfg, groups)
        _register(con, cfg, grown)  # the registered order is the groups' numbering from here on
        settled = sorted(map(sorted, grown)) == sorted(map(sorted, groups))
        groups = grown
        if settled:
            break
    if cfg.join_share > 0 and len(groups) > 1:
        links = moved_links(_new_owners(con, cfg), cfg.join_min_patients, cfg.join_share)
        if links:
            groups = union_groups(groups, links)
            _register(con, cfg, groups)
    return groups


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


def _cohort_rows(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, edge_rows: list[tuple]) -> list[Cohort]:
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


# --- step 3: indications, each against its own baseline -----------------------------------

# The baseline of each cohort: the other inpatients of its institutions, admitted on other
# days than any cohort's trips (riders the cohort missed must not become its baseline), and
# never the cohort's own members (their stays off the trip days are the same villagers, and a
# ring compared with itself shows nothing); with fewer than ``baseline_min`` of them (a
# hospital that admits nobody but its busloads), its peers: institutions of the same kind and level in the same county, else
# anywhere (reimbursement rates and case mix follow the level, not the place).  A share needs no
# more than ``baseline_max`` admissions: larger baselines are a fixed pseudo-random sample.
_SCOPE_SQL = _TRIPS_CTE.replace("WITH days AS", "CREATE OR REPLACE TEMP TABLE _rs_cs_scope AS\nWITH days AS") + """,
on_trips AS (
    SELECT DISTINCT a.settlement_id FROM trips t
    JOIN _rs_cs_adm a ON a.facility_id = t.facility_id AND a.day BETWEEN t.lo AND t.hi
), inst AS (
    SELECT DISTINCT c.grp, c.facility_id, f.kind, f.level, f.region_code FROM _rs_cs_cohort c
    JOIN facilities f USING (facility_id)
), free AS (
    SELECT a.*, f.level AS facility_level FROM _rs_cs_adm a JOIN facilities f USING (facility_id)
    WHERE a.settlement_id NOT IN (SELECT settlement_id FROM on_trips)
), own AS (
    SELECT i.grp, a.settlement_id, 1 AS rank FROM inst i JOIN free a USING (facility_id)
    WHERE NOT EXISTS (SELECT 1 FROM _rs_cs_groups g WHERE g.grp = i.grp AND g.type = 'patient' AND g.id = a.patient_id)
), county AS (
    SELECT DISTINCT i.grp, a.settlement_id, 2 AS rank FROM inst i
    JOIN free a ON a.facility_kind = i.kind AND a.facility_level IS NOT DISTINCT FROM i.level
     AND a.facility_region IS NOT DISTINCT FROM i.region_code
    WHERE NOT EXISTS (SELECT 1 FROM _rs_cs_groups g WHERE g.grp = i.grp AND g.type = 'patient' AND g.id = a.patient_id)
), enough AS (
    SELECT grp, min(rank) AS rank FROM (SELECT grp, rank FROM own UNION ALL SELECT grp, rank FROM county)
    GROUP BY grp, rank HAVING count(*) >= $baseline_min
), anywhere AS (
    SELECT DISTINCT i.grp, a.settlement_id, 3 AS rank FROM inst i
    JOIN free a ON a.facility_kind = i.kind AND a.facility_level IS NOT DISTINCT FROM i.level
    WHERE i.grp NOT IN (SELECT grp FROM enough)
      AND NOT EXISTS (SELECT 1 FROM _rs_cs_groups g WHERE g.grp = i.grp AND g.type = 'patient' AND g.id = a.patient_id)
), chosen AS (SELECT grp, min(rank) AS rank FROM enough GROUP BY grp
), picked AS (
    SELECT x.grp, x.settlement_id, x.rank FROM (SELECT * FROM own UNION ALL SELECT * FROM county) x
    JOIN chosen c ON c.grp = x.grp AND c.rank = x.rank
    UNION ALL SELECT grp, settlement_id, rank FROM anywhere
)
SELECT * FROM picked
QUALIFY row_number() OVER (PARTITION BY grp ORDER BY md5(settlement_id), settlement_id) <= $baseline_max
"""


class Count(NamedTuple):
    """How many of the cohort show a trait, out of how many, and how common it is in the baseline."""
    hits: int
    total: int
    base_share: float | None
    detail: str = ""


_BASE_CTE = """
WITH c AS (SELECT c.grp, a.* FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id)),
b AS (SELECT s.grp, a.* FROM _rs_cs_scope s JOIN _rs_cs_adm a USING (settlement_id))
"""

# Fee waiver / low self-paid share: at most ``waiver_ratio`` of the baseline's median (never
# below a floor of the median at institutions of the kind), unless the patient's own stays at
# other institutions are as cheap (a plan paying nearly everything is not a waiver).
_WAIVER_SQL = _BASE_CTE + """,
kind AS (SELECT facility_kind, median(self_share) AS med FROM _rs_cs_adm GROUP BY 1),
ref AS (SELECT b.grp, median(b.self_share) AS med FROM b GROUP BY 1),
own AS (
    SELECT a.patient_id, median(a.self_share) AS med FROM _rs_cs_adm a
    WHERE a.patient_id IN (SELECT patient_id FROM _rs_cs_cohort)
      AND a.facility_id NOT IN (SELECT facility_id FROM _rs_cs_cohort) GROUP BY 1
), cut AS (
    SELECT x.grp, x.settlement_id, x.patient_id, x.self_share, x.is_cohort, r.med,
           $ratio * greatest(r.med, $floor * k.med) AS cut
    FROM (SELECT *, true AS is_cohort FROM c UNION ALL SELECT *, false FROM b) x
    JOIN ref r USING (grp) JOIN kind k USING (facility_kind)
    WHERE x.self_share IS NOT NULL
)
SELECT cut.grp,
       count(*) FILTER (WHERE is_cohort AND self_share <= cut.cut AND (o.med IS NULL OR o.med > cut.cut)),
       count(*) FILTER (WHERE is_cohort),
       avg(CASE WHEN self_share <= cut.cut THEN 1.0 ELSE 0.0 END) FILTER (WHERE NOT is_cohort),
       printf('%.1f%%', 100 * median(self_share) FILTER (WHERE is_cohort)) || '|' || printf('%.1f%%', 100 * any_value(cut.med))
FROM cut LEFT JOIN own o ON o.patient_id = cut.patient_id
GROUP BY cut.grp
"""

# Same origin: the cohort's commonest home region against the baseline's share from it.
_ORIGIN_SQL = _BASE_CTE + """,
top AS (
    SELECT grp, arg_max(region_code, n) AS region, max(n) AS n FROM (
        SELECT grp, region_code, count(DISTINCT patient_id) AS n FROM c WHERE region_code IS NOT NULL GROUP BY ALL)
    GROUP BY grp
)
SELECT t.grp, any_value(t.n), (SELECT count(DISTINCT patient_id) FROM c WHERE c.grp = t.grp AND region_code IS NOT NULL),
       avg(CASE WHEN b.region_code = t.region THEN 1.0 ELSE 0.0 END), any_value(t.region)
FROM top t LEFT JOIN b ON b.grp = t.grp GROUP BY t.grp
"""

# Uniform diagnoses: the cohort's two commonest diagnoses against the baseline's share of them.
_DIAGNOSIS_SQL = _BASE_CTE + """,
ranked AS (
    SELECT grp, diagnosis_code, count(*) AS n,
           row_number() OVER (PARTITION BY grp ORDER BY count(*) DESC, diagnosis_code) AS k
    FROM c WHERE diagnosis_code IS NOT NULL GROUP BY grp, diagnosis_code
), top AS (
    SELECT grp, sum(n) FILTER (WHERE k <= 2) AS hits, sum(n) AS total,
           list(diagnosis_code ORDER BY k) FILTER (WHERE k <= 2) AS codes FROM ranked GROUP BY grp
)
SELECT t.grp, any_value(t.hits), any_value(t.total),
       avg(CASE WHEN list_contains(t.codes, b.diagnosis_code) THEN 1.0 ELSE 0.0 END),
       array_to_string(any_value(t.codes), ', ')
FROM top t LEFT JOIN b ON b.grp = t.grp AND b.diagnosis_code IS NOT NULL GROUP BY t.grp
"""

# Short stays: stays shorter than the baseline's median, against the baseline's own share.
_STAY_SQL = _BASE_CTE + """,
med AS (SELECT grp, median(stay_days) AS med FROM b GROUP BY grp),
cs AS (SELECT c.grp, count(*) FILTER (WHERE c.stay_days < m.med) AS short, count(c.stay_days) AS known,
              median(c.stay_days) AS med FROM c JOIN med m ON m.grp = c.grp GROUP BY c.grp),
bs AS (SELECT b.grp, avg(CASE WHEN b.stay_days < m.med THEN 1.0 ELSE 0.0 END) AS share
       FROM b JOIN med m ON m.grp = b.grp WHERE b.stay_days IS NOT NULL GROUP BY b.grp)
SELECT m.grp, coalesce(cs.short, 0), coalesce(cs.known, 0), bs.share,
       printf('%.0f', cs.med) || '|' || printf('%.0f', m.med)
FROM med m LEFT JOIN cs ON cs.grp = m.grp LEFT JOIN bs ON bs.grp = m.grp WHERE m.med IS NOT NULL
"""

# Elderly: cohort patients of ``elderly_age`` or more at their first joint admission.
_AGE_SQL = _BASE_CTE + """,
first AS (SELECT grp, patient_id, arg_min(age, day) AS age FROM c WHERE age IS NOT NULL GROUP BY ALL)
SELECT f.grp, count(*) FILTER (WHERE f.age >= $age), count(*),
       (SELECT avg(CASE WHEN b.age >= $age THEN 1.0 ELSE 0.0 END) FROM b WHERE b.grp = f.grp AND b.age IS NOT NULL),
       printf('%.0f', median(f.age))
FROM first f GROUP BY f.grp
"""

# No prior care: no earlier settlement of the patient for the same diagnosis group, other
# than an inpatient stay at the same institution (the shuttle's own earlier trips).
_HISTORY_SQL = _BASE_CTE + """,
x AS (SELECT *, true AS is_cohort FROM c UNION ALL SELECT *, false FROM b),
want AS (SELECT DISTINCT patient_id, diagnosis_group FROM x WHERE diagnosis_group IS NOT NULL),
own AS (
    SELECT s.patient_id, s.diagnosis_code, s.facility_id, s.kind, s.settled_at FROM settlements s
    WHERE s.patient_id IS NOT NULL AND s.diagnosis_code IS NOT NULL
    UNION ALL
    SELECT k.patient_id, s.diagnosis_code, s.facility_id, s.kind, s.settled_at FROM settlements s
    JOIN cards k ON k.card_id = s.card_id WHERE s.patient_id IS NULL AND s.diagnosis_code IS NOT NULL
), care AS (
    SELECT o.patient_id, w.diagnosis_group AS dg, o.facility_id, coalesce(o.kind, 'inpatient') = 'inpatient' AS inpatient,
           min(CAST(o.settled_at AS DATE)) AS first_on
    FROM own o JOIN want w ON w.patient_id = o.patient_id AND w.diagnosis_group = left(o.diagnosis_code, 3)
    GROUP BY ALL
), flagged AS (
    SELECT x.grp, x.is_cohort, x.settlement_id, bool_or(care.patient_id IS NOT NULL) AS prior
    FROM x LEFT JOIN care ON care.patient_id = x.patient_id AND care.dg = x.diagnosis_group
     AND care.first_on < x.day AND NOT (care.facility_id = x.facility_id AND care.inpatient)
    WHERE x.diagnosis_group IS NOT NULL GROUP BY ALL
)
SELECT grp, count(*) FILTER (WHERE is_cohort AND NOT prior), count(*) FILTER (WHERE is_cohort),
       avg(CASE WHEN prior THEN 0.0 ELSE 1.0 END) FILTER (WHERE NOT is_cohort), ''
FROM flagged GROUP BY grp
"""

# Readmissions: patients admitted ``readmission_count`` times or more at the institution.
_READMISSION_SQL = _BASE_CTE + """,
cp AS (SELECT grp, patient_id, count(DISTINCT day) AS n FROM c GROUP BY ALL),
bp AS (SELECT grp, facility_id, patient_id, count(DISTINCT day) AS n FROM b GROUP BY ALL)
SELECT cp.grp, count(*) FILTER (WHERE cp.n >= $count), count(*),
       (SELECT avg(CASE WHEN bp.n >= $count THEN 1.0 ELSE 0.0 END) FROM bp WHERE bp.grp = cp.grp),
       printf('%.1f', avg(cp.n))
FROM cp GROUP BY cp.grp
"""

# Same settlers: the cohort's two commonest operators (else terminals) against how much of
# each baseline institution's admissions its own two commonest settle.
_SETTLER_SQL = _BASE_CTE + """,
cs AS (SELECT grp, CASE WHEN count(operator_id) >= count(*) / 2 THEN 'operator' ELSE 'device' END AS which
       FROM c GROUP BY grp),
cx AS (SELECT c.grp, CASE cs.which WHEN 'operator' THEN c.operator_id ELSE c.device_id END AS who
       FROM c JOIN cs USING (grp)),
bx AS (SELECT b.grp, b.facility_id, CASE cs.which WHEN 'operator' THEN b.operator_id ELSE b.device_id END AS who
       FROM b JOIN cs USING (grp)),
crank AS (SELECT grp, who, count(*) AS n, row_number() OVER (PARTITION BY grp ORDER BY count(*) DESC, who) AS k
          FROM cx WHERE who IS NOT NULL GROUP BY grp, who),
brank AS (SELECT grp, facility_id, count(*) AS n,
                 row_number() OVER (PARTITION BY grp, facility_id ORDER BY count(*) DESC, who) AS k
          FROM bx WHERE who IS NOT NULL GROUP BY grp, facility_id, who),
bshare AS (SELECT grp, sum(n) FILTER (WHERE k <= 2) / sum(n) AS share FROM brank GROUP BY grp),
ctop AS (SELECT grp, sum(n) FILTER (WHERE k <= 2) AS hits, sum(n) AS total FROM crank GROUP BY grp)
SELECT t.grp, t.hits, t.total, bs.share, cs.which
FROM ctop t JOIN cs USING (grp) LEFT JOIN bshare bs USING (grp)
"""

_INDICATION_SQL = {
    "fee_waiver": _WAIVER_SQL, "same_origin": _ORIGIN_SQL, "uniform_diagnosis": _DIAGNOSIS_SQL,
    "short_stay": _STAY_SQL, "elderly": _AGE_SQL, "no_prior_care": _HISTORY_SQL,
    "readmissions": _READMISSION_SQL, "same_settlers": _SETTLER_SQL,
}
_WEIGHT = {"fee_waiver": _STRONG, "same_origin": _STRONG, "uniform_diagnosis": _STRONG, "short_stay": _SUPPORTING,
           "elderly": _SUPPORTING, "no_prior_care": _STRONG, "readmissions": _SUPPORTING,
           "same_settlers": _STRONG}

_HOUSEHOLD_SQL = """
SELECT grp, max(n) FROM (
    SELECT c.grp, a.address, count(DISTINCT c.patient_id) AS n FROM _rs_cs_cohort c
    JOIN _rs_cs_adm a USING (settlement_id) WHERE a.address IS NOT NULL GROUP BY ALL)
GROUP BY grp
"""


def _counts(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[str, dict[int, Count]]:
    """Every indication's count per cohort (a cohort missing from one had no data for it)."""
    con.execute(_SCOPE_SQL, {"baseline_min": cfg.baseline_min_admissions, "baseline_max": cfg.baseline_max_admissions,
                             "gap": cfg.occasion_gap_days,
                             "window": cfg.cohort_window_days})
    params: dict[str, dict[str, Any]] = {"fee_waiver": {"ratio": cfg.waiver_ratio, "floor": cfg.baseline_floor},
              "elderly": {"age": cfg.elderly_age}, "readmissions": {"count": cfg.readmission_count}}
    out: dict[str, dict[int, Count]] = {}
    for kind, sql in _INDICATION_SQL.items():
        out[kind] = {
            grp: Count(int(hits or 0), int(total or 0), None if base is None else float(base), str(detail or ""))
            for grp, hits, total, base, detail in rows(con, sql, params.get(kind))
        }
    return out


def _binomial_tail(hits: int, total: int, p: float) -> float:
    """P(X >= hits) for X ~ Binomial(total, p)."""
    if hits <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    return min(1.0, sum(math.exp(math.lgamma(total + 1) - math.lgamma(j + 1) - math.lgamma(total - j + 1)
                                 + j * log_p + (total - j) * log_q) for j in range(hits, total + 1)))


def _shows(count: Count | None, cfg: CarShuttleSettings) -> bool:
    """A trait is an indication when most of the cohort shows it, clearly more than the
    baseline does, and that many would be unlikely if the cohort were like the baseline."""
    if count is None or count.total == 0 or count.base_share is None:
        return False
    share = count.hits / count.total
    # Smoothed baseline share: a trait nobody in a small baseline showed is rare, not impossible.
    base = (count.base_share * 20 + 0.5) / 21
    return (share >= cfg.indication_min_share and share >= cfg.indication_min_lift * base
            and _binomial_tail(count.hits, count.total, base) <= cfg.indication_max_chance)


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
_INTAKE_SQL = _TRIPS_CTE + """,
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


def _schedules(con: duckdb.DuckDBPyConnection) -> dict[int, list[Schedule]]:
    out: dict[int, list[Schedule]] = defaultdict(list)
    for grp, own, joint in rows(con, _SCHEDULE_SQL):
        out[grp].append(Schedule(list(own), list(joint)))
    return out


def _intakes(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[int, tuple[int, int]]:
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
    return sum(abs(g - mid) <= cfg.routine_tolerance_days for g in gaps) >= cfg.routine_share * len(gaps)


def _campaign_patients(schedules: list[Schedule], cfg: CarShuttleSettings) -> int:
    """Patients admitted to the cohort's institutions at most ``campaign_max_admissions`` times.

    A campaign (cataract operations, a screening round, an outbreak with its check-up)
    treats each patient once and brings some back once for the second eye or the
    follow-up; the cohort never repeats as a whole (fewer than ``campaign_share`` of the
    intake of its trips come back).  A shuttle brings its villagers back trip after trip.
    """
    return sum(1 for s in schedules if len(s.own) <= cfg.campaign_max_admissions)


class Judgement(NamedTuple):
    score: float
    shown: list[str]
    explained: list[str]


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


def _judge(cohort: Cohort, profile: Profile, cfg: CarShuttleSettings) -> Judgement:
    """Indications add their weight, explanations subtract theirs."""
    shown = [k for k in _INDICATION_SQL if _shows(profile.counts[k].get(cohort.grp), cfg)]
    explained = _explanations(cohort, profile, cfg)
    score = sum(_WEIGHT[k] for k in shown) - sum(_PENALTY[k] for k in explained)
    return Judgement(score, shown, explained)


# --- evidence and rings ---------------------------------------------------------------------

def _pct(count: Count) -> str:
    return f"{count.hits / count.total:.0%}" if count.total else "?"


def _base(count: Count) -> str:
    return f"{count.base_share:.0%}" if count.base_share is not None else "?"


def _indication_evidence(kind: str, c: Count) -> Evidence:
    """One sentence per indication, cohort against its baseline."""
    pct, base = _pct(c), _base(c)
    pair = [*c.detail.split("|"), "", ""]
    settler = "操作员" if c.detail == "operator" else "终端"
    texts = {
        "fee_waiver": (
            (f"{pct} of their admissions were nearly free for them (median self-paid {pair[0]}; "
            f"other inpatients {pair[1]}, {base} of them as cheap)."),
            f"{pct}的住院几乎未自付（自付比例中位数{pair[0]}，其他住院患者{pair[1]}，其中{base}如此）。"),
        "same_origin": (
            f"{pct} of them live in region {c.detail}; {base} of the comparison inpatients do.",
            f"{pct}来自同一地区{c.detail}，对照住院患者中仅{base}。"),
        "uniform_diagnosis": (
            f"{pct} of their admissions carry {c.detail}; {base} of the comparison inpatients'.",
            f"{pct}的住院诊断为{c.detail}，对照住院患者中为{base}（诊断雷同）。"),
        "short_stay": (
            (f"{pct} of their stays are shorter than the usual {pair[1]} days (their median {pair[0]}); "
            f"{base} of the comparison stays are."),
            f"{pct}的住院短于常见的{pair[1]}天（中位数{pair[0]}天），对照为{base}。"),
        "elderly": (
            f"{pct} are elderly (median age {c.detail}); {base} of the comparison inpatients are.",
            f"{pct}为老年人（年龄中位数{c.detail}岁），对照住院患者中为{base}。"),
        "no_prior_care": (
            f"{pct} of their admissions had no earlier care for that condition; {base} of the comparison had none.",
            f"{pct}的住院此前无该病种就诊记录，对照为{base}。"),
        "readmissions": (
            (f"{pct} were admitted there again and again (on average {c.detail} times); {base} of the comparison "
            "patients were."),
            f"{pct}在该机构反复住院（平均{c.detail}次），对照为{base}。"),
        "same_settlers": (
            (f"Two {c.detail}s settled {pct} of their admissions; at the comparison institutions their own two "
            f"commonest settle {base}."),
            f"两个{settler}结算了其中{pct}的住院，对照机构为{base}。"),
    }
    en, zh = texts[kind]
    return Evidence(kind, en, zh, round(c.hits / c.total, 4) if c.total else None)


_EXPLANATION_TEXT = {
    "household": ("Many of them share one address (a family or care home); this lowers the score.",
                  "其中多人同一住址（家庭或养老机构），降低可疑度。"),
    "treatment_course": ("Each of them comes back on a fixed interval of their own, like treatment cycles; "
                         "this lowers the score.",
                         "每人按各自固定间隔反复入院，类似周期性治疗，降低可疑度。"),
    "campaign": ("They were all admitted on one trip and came back at most once, like a campaign with a "
                 "follow-up round; this lowers the score.",
                 "均在同一批入院、至多复诊一次，类似义诊手术及复查，降低可疑度。"),
    "fits_history": ("Most stays follow earlier care for the same condition; this lowers the score.",
                     "多数住院此前已有同病种就诊记录，降低可疑度。"),
}


def _ring(cohort: Cohort, judgement: Judgement, counts: dict[str, dict[int, Count]]) -> Ring:
    facility = ", ".join(cohort.facilities)
    n, trips = len(cohort.patients), len(cohort.trip_days)
    evidence = [Evidence(
        "co_admission",
        f"{n} patients were admitted to {facility} together on {trips} separate trips "
        f"(pairs admitted together on {cohort.pair_trips:.1f} trips on average, more than chance allows).",
        f"{n}名参保人分{trips}批集中入住{facility}（每对患者平均共同入院{cohort.pair_trips:.1f}次，远超偶然）。",
        float(n),
    )]
    evidence += [_indication_evidence(k, counts[k][cohort.grp]) for k in judgement.shown]
    evidence += [Evidence(k, *_EXPLANATION_TEXT[k]) for k in judgement.explained]
    span = (max(cohort.trip_days) - min(cohort.trip_days)).days if cohort.trip_days else 0
    waiver = counts["fee_waiver"].get(cohort.grp)
    return Ring(
        scheme=SCHEME,
        members=[Member("facility", f, "institution") for f in cohort.facilities]
        + [Member("patient", p, "shuttled") for p in cohort.patients],
        settlement_ids=list(cohort.settlement_ids),
        evidence=evidence,
        features={
            "size": float(n + len(cohort.facilities)),
            "evidence_count": float(len(cohort.settlement_ids)),
            "per_member": cohort.pair_trips,
            "baseline_ratio": (waiver.hits / waiver.total) if waiver and waiver.total else 0.0,
            "active_days": float(span),
            "signal_strength": min(1.0, 0.3 + 0.1 * trips + 0.1 * judgement.score),
        },
    )


# Each cohort's admissions at each of its institutions: the days and the two commonest
# diagnoses billed there (a cohort's villagers may be billed differently at two hospitals).
_AT_FACILITY_SQL = "WITH " + _BILLED_CTE + """,
days AS (SELECT grp, facility_id, list(DISTINCT day ORDER BY day) AS days FROM _rs_cs_cohort GROUP BY ALL)
SELECT d.grp, d.facility_id, d.days, b.codes, b.doctors, b.operators
FROM days d LEFT JOIN billed b USING (grp, facility_id) ORDER BY 1, 2
"""


class Visits(NamedTuple):
    """A cohort's joint admission days at one institution and how it was handled there
    (commonest diagnoses, doctors, operators; None when not recorded)."""
    grp: int
    days: list[date]
    codes: list[str] | None
    doctors: list[str] | None
    operators: list[str] | None


def _visits(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[str, list[Visits]]:
    out: dict[str, list[Visits]] = defaultdict(list)
    for grp, facility, days, codes, doctors, operators in rows(con, _AT_FACILITY_SQL, {"habit_share": cfg.habit_share}):
        out[facility].append(Visits(grp, list(days), codes, doctors, operators))
    return out


def _billed_alike(a: Visits, b: Visits) -> bool:
    """Same diagnoses, doctors and operators (each where both record it)."""
    return all(x is None or y is None or bool(set(x) & set(y))
               for x, y in ((a.codes, b.codes), (a.doctors, b.doctors), (a.operators, b.operators)))


def _longest_interval(days: list[date]) -> int:
    return max(((b - a).days for a, b in pairwise(days)), default=0)


def _one_operation(a: Visits, b: Visits, cfg: CarShuttleSettings) -> bool:
    """Two cohorts' visits to one institution over the same period, handled the same way
    (their commonest diagnoses overlap, and their doctors and operators where recorded)."""
    gap = max(cfg.occasion_gap_days, _longest_interval(a.days), _longest_interval(b.days))
    overlap = (min(a.days) - max(b.days)).days <= gap and (min(b.days) - max(a.days)).days <= gap
    return overlap and bool(a.codes) and bool(b.codes) and _billed_alike(a, b)


def _operation_links(profile: Profile, cfg: CarShuttleSettings) -> list[tuple[int, int]]:
    """Cohorts that are one operation: same institution, same time, same villages, same diagnoses.

    A bus seats fewer than the organiser's pool, so it brings different villagers on
    alternate trips and leaves cohorts that never ride together, and villagers come and
    go.  Cohorts at one institution whose trips there run over the same months (or follow
    each other within the longest interval between their own trips), whose patients come
    from the same home region and whose commonest diagnoses there overlap are one
    operation; a dialysis or chemotherapy group at the same hospital differs in
    diagnoses, another organiser's villagers in region.
    """
    region = {grp: c.detail for grp, c in profile.counts["same_origin"].items()}
    links = set()
    for visits in profile.visits.values():
        for i, a in enumerate(visits):
            for b in visits[i + 1:]:
                if region.get(a.grp) is not None and region.get(a.grp) == region.get(b.grp) \
                        and _one_operation(a, b, cfg):
                    links.add((min(a.grp, b.grp), max(a.grp, b.grp)))
    return sorted(links)


def _profile(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, edge_rows: list[tuple]) -> Profile:
    """The registered cohorts, every indication's counts, the largest household and the schedules."""
    return Profile(_cohort_rows(con, cfg, edge_rows), _counts(con, cfg), dict(rows(con, _HOUSEHOLD_SQL)),
                   _schedules(con), _intakes(con, cfg), _visits(con, cfg))


def detect_car_shuttle(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Cohorts admitted together on repeated trips, with indications beyond their explanations.

    Members are the shuttled patients (role ``shuttled``) and the admitting
    institutions (role ``institution``).
    """
    cfg = settings.car_shuttle
    with temp_tables(con, *_TEMP):
        edge_rows = _coordinated_pairs(con, cfg)
        if not edge_rows:
            return []
        groups = find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above,
                             cfg.leiden_resolution, settings.seed)
        groups = _cores(groups, edge_rows, cfg.min_links, cfg.min_patients)
        if not groups:
            return []
        groups = _cohorts(con, cfg, groups)
        profile = _profile(con, cfg, edge_rows)
        links = _operation_links(profile, cfg) if cfg.join_same_operation else []
        if links:
            _register(con, cfg, union_groups(groups, links))
            profile = _profile(con, cfg, edge_rows)
    rings = []
    for cohort in profile.cohorts:
        if len(cohort.patients) < cfg.min_patients or len(cohort.trip_days) < cfg.min_shared_trips:
            continue
        judgement = _judge(cohort, profile, cfg)
        if judgement.score < cfg.min_score:
            continue
        if cfg.require_fee_waiver and "fee_waiver" not in judgement.shown:
            continue
        rings.append(_ring(cohort, judgement, profile.counts))
    return rings
