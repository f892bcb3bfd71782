"""Car shuttle, step 1: the same patients admitted together on several separate trips.

Only patients admitted to an institution on several days can share trips, and pairs are
formed day by day, so a busy hospital costs its daily volume squared, never all its
patients squared; a pair is kept when its joint trips are beyond chance there.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb

from ringscope.analytics.detectors.base import rows
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings

NAME = "car_shuttle"
TEMP = ("_rs_cs_adm", "_rs_cs_fac", "_rs_cs_rep", "_rs_cs_pairs", "_rs_cs_groups", "_rs_cs_joint",
         "_rs_cs_cohort", "_rs_cs_scope", "_rs_cs_seed", "_rs_cs_keys", "_rs_cs_cal")




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
# Where that ordinary intake is under ``own_calendar_min_share`` of the admissions (the
# hospital's intake is mostly its repeat patients, the candidates themselves) and at least
# ``ride_along_share`` of it came on days a repeat patient came (the few others ride along
# on the days the bus makes; a hospital whose one-off patients also come on other days
# shows a calendar of its own, however much it favours one weekday), the calendar is borrowed from institutions of the
# same kind and level that keep their own, in the smallest area (county, prefecture,
# province, country) whose pooled ordinary intake reaches ``baseline_min_admissions``.
_CALENDAR_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_cal AS
WITH visits AS (
    SELECT facility_id, patient_id FROM _rs_cs_adm GROUP BY 1, 2 HAVING count(DISTINCT day) < $min_trips
), daily AS (
    SELECT facility_id, day, count(*) AS n FROM _rs_cs_adm JOIN visits USING (facility_id, patient_id) GROUP BY 1, 2
), capped AS (
    SELECT facility_id, dayofweek(day) AS wd,
           least(n, median(n) OVER (PARTITION BY facility_id)) AS n FROM daily
), own AS (
    SELECT facility_id, wd, sum(n) AS n FROM capped GROUP BY 1, 2
), bus_days AS (  -- the days (within the window) a repeat patient was admitted
    SELECT DISTINCT a.facility_id, a.day + CAST(o.shift AS INTEGER) AS day
    FROM _rs_cs_adm a CROSS JOIN range(-$window, $window + 1) o(shift)
    LEFT JOIN visits v ON v.facility_id = a.facility_id AND v.patient_id = a.patient_id
    WHERE v.patient_id IS NULL
), share AS (
    SELECT a.facility_id, any_value(f.kind) AS kind, any_value(f.level) AS level,
           coalesce(any_value(f.region_code), '') AS region,
           CAST(count(v.patient_id) AS DOUBLE) / count(*) AS ordinary_share,
           CAST(count(v.patient_id) FILTER (WHERE d.day IS NOT NULL) AS DOUBLE)
               / greatest(count(v.patient_id), 1) AS along_share
    FROM _rs_cs_adm a JOIN facilities f ON f.facility_id = a.facility_id
    LEFT JOIN visits v ON v.facility_id = a.facility_id AND v.patient_id = a.patient_id
    LEFT JOIN bus_days d ON d.facility_id = a.facility_id AND d.day = a.day
    GROUP BY a.facility_id
), judged AS (
    SELECT *, ordinary_share < $own_share AND (along_share >= $along_share OR ordinary_share = 0) AS borrows
    FROM share
), scopes AS (
    SELECT * FROM (VALUES (6), (4), (2), (0)) AS s(len)
), pool AS (  -- the ordinary intake of institutions keeping their own calendar, by kind, level and area
    SELECT k.kind, k.level, s.len, left(k.region, s.len) AS area, o.wd, sum(o.n) AS n
    FROM judged k CROSS JOIN scopes s JOIN own o ON o.facility_id = k.facility_id
    WHERE NOT k.borrows GROUP BY ALL
), borrowed AS (
    SELECT b.facility_id, p.len, p.wd, p.n, sum(p.n) OVER (PARTITION BY b.facility_id, p.len) AS total
    FROM judged b JOIN pool p ON p.kind = b.kind AND p.level IS NOT DISTINCT FROM b.level
                            AND p.area = left(b.region, p.len)
    WHERE b.borrows
), best AS (
    SELECT facility_id, max(len) AS len FROM borrowed WHERE total >= $peer_min GROUP BY 1
)
SELECT o.facility_id, o.wd, o.n FROM own o LEFT JOIN best b ON b.facility_id = o.facility_id
WHERE b.facility_id IS NULL
UNION ALL
SELECT p.facility_id, p.wd, p.n FROM borrowed p JOIN best b ON b.facility_id = p.facility_id AND b.len = p.len
"""

_FACILITY_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_fac AS
WITH span AS (
    SELECT facility_id, date_diff('day', min(coalesce(admitted_on, CAST(settled_at AS DATE))),
                                  max(CAST(settled_at AS DATE))) + 1 AS span_days
    FROM settlements WHERE facility_id IN (SELECT facility_id FROM _rs_cs_adm) GROUP BY 1
), grid AS (
    SELECT s.facility_id, w.wd FROM span s CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6)) AS w(wd)
), week AS (
    SELECT g.facility_id, coalesce(sum(c.n), 0) AS n, sum(coalesce(sum(c.n), 0)) OVER (PARTITION BY g.facility_id) AS total
    FROM grid g LEFT JOIN _rs_cs_cal c ON c.facility_id = g.facility_id AND c.wd = g.wd GROUP BY g.facility_id, g.wd
)
SELECT s.facility_id, s.span_days,
       s.span_days / (7 * sum(power((w.n + $prior) / (w.total + 7 * $prior), 2))) AS chance_days,
       s.span_days / (7 * sum(power((w.n + $group_prior) / (w.total + 7 * $group_prior), 2))) AS group_days
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
# (binomial tail: C(t, k) q^k (1 - q)^(t - k) / (1 - r), each further term at most r times the
# one before; q = the other's admissions * window / working days) and the
# number of partners a patient met there (each one a chance to find a coincidence).  A linked
# pair is then dropped when, for a kind of handling both patients' stays
# there record (admitting doctor, diagnosis group), they never share a value: one bus is
# admitted by the same doctors for the same few conditions.  Only linked patients' stays are
# read for that, and each (pair, kind) is compared in one join.
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
), tail AS (  -- r: the ratio bounding each further term of the binomial tail by the one before
    SELECT *, ln(m) + lgamma(t + 1) - lgamma(trips + 1) - lgamma(greatest(t - trips, 0) + 1) + trips * ln(q) AS bound,
           greatest(t - trips, 0) * q / ((trips + 1) * greatest(1 - q, 1e-9)) AS r
    FROM chance
), linked AS (
    SELECT facility_id, p1, p2, trips FROM tail
    WHERE CASE WHEN q < 1 AND r < 1
               THEN bound + greatest(t - trips, 0) * ln(greatest(1 - q, 1e-9)) - ln(greatest(1 - r, 1e-9))
               ELSE bound END <= ln($max_chance_partners)
), linked_patients AS (  -- only linked patients' handling is ever compared, so only theirs is read
    SELECT facility_id, p1 AS patient_id FROM linked UNION SELECT facility_id, p2 FROM linked
), own AS (
    SELECT a.facility_id, a.patient_id, a.prescriber_id, a.diagnosis_group
    FROM _rs_cs_adm a JOIN linked_patients USING (facility_id, patient_id)
), handling AS (
    SELECT DISTINCT facility_id, patient_id, 'doctor' AS k, prescriber_id AS v FROM own
    WHERE prescriber_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT facility_id, patient_id, 'diagnosis' AS k, diagnosis_group AS v FROM own
    WHERE diagnosis_group IS NOT NULL
), compared AS (  -- per pair and kind both record: whether any value is shared (one join, not two)
    SELECT l.facility_id, l.p1, l.p2, h1.k, max(CASE WHEN h1.v = h2.v THEN 1 ELSE 0 END) AS alike FROM linked l
    JOIN handling h1 ON h1.facility_id = l.facility_id AND h1.patient_id = l.p1
    JOIN handling h2 ON h2.facility_id = l.facility_id AND h2.patient_id = l.p2 AND h2.k = h1.k
    GROUP BY ALL
), differ AS (
    SELECT DISTINCT facility_id, p1, p2 FROM compared WHERE alike = 0
)
SELECT 'patient:' || l.p1, 'patient:' || l.p2, sum(l.trips) AS trips FROM linked l
WHERE NOT EXISTS (SELECT 1 FROM differ d WHERE d.facility_id = l.facility_id AND d.p1 = l.p1 AND d.p2 = l.p2)
GROUP BY 1, 2 ORDER BY 1, 2
"""


def coordinated_pairs(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> list[tuple]:
    """Patient pairs admitted together on more separate trips than chance allows."""
    con.execute(_ADMISSIONS_SQL)
    con.execute(_CALENDAR_SQL, {"min_trips": cfg.min_shared_trips, "own_share": cfg.own_calendar_min_share,
                                "along_share": cfg.ride_along_share, "window": cfg.cohort_window_days,
                                "peer_min": cfg.baseline_min_admissions})
    con.execute(_FACILITY_SQL, {"prior": cfg.weekday_prior, "group_prior": cfg.group_weekday_prior})
    con.execute(_REPEAT_SQL, {"min_trips": cfg.min_shared_trips})
    con.execute(_PAIRS_SQL, {"window": cfg.cohort_window_days})
    return rows(con, _EDGES_SQL, {"gap": cfg.occasion_gap_days, "min_trips": cfg.min_shared_trips,
                                  "window": cfg.cohort_window_days,
                                  "max_chance_partners": cfg.max_chance_partners})


def cores(groups: list[list[str]], edge_rows: list[tuple], min_links: int, min_size: int) -> list[list[str]]:
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
