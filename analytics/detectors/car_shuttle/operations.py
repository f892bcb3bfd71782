"""Car shuttle: how a cohort is handled at each institution, to tell one operation from two.

Rings sharing a hospital stay apart unless handled alike there (diagnoses, doctors,
operators): one organiser's busloads are billed alike, another ring that meets its bus
by chance on a day or two is not.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import pairwise
from typing import NamedTuple

import duckdb

from ringscope.analytics.detectors.base import rows
from ringscope.analytics.detectors.car_shuttle.cohorts import BILLED_CTE
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings

# Each cohort's admissions at each of its institutions: the days and the two commonest
# diagnoses billed there (a cohort's villagers may be billed differently at two hospitals).
_AT_FACILITY_SQL = "WITH " + BILLED_CTE + """,
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


def institution_visits(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[str, list[Visits]]:
    out: dict[str, list[Visits]] = defaultdict(list)
    for grp, facility, days, codes, doctors, operators in rows(con, _AT_FACILITY_SQL, {"habit_share": cfg.habit_share}):
        out[facility].append(Visits(grp, list(days), codes, doctors, operators))
    return out


# Each cohort's home regions: those at least ``habit_share`` of its patients live in.  A ring
# recruiting in two counties leaves fragments whose commonest county differs, yet both
# draw on the same villages; another organiser's villagers come from elsewhere.
_HOME_REGIONS_SQL = """
WITH p AS (SELECT DISTINCT c.grp, c.patient_id, a.region_code FROM _rs_cs_cohort c
           JOIN _rs_cs_adm a USING (settlement_id) WHERE a.region_code IS NOT NULL),
n AS (SELECT grp, region_code, count(*) AS n, sum(count(*)) OVER (PARTITION BY grp) AS total
      FROM p GROUP BY grp, region_code)
SELECT grp, list(region_code ORDER BY region_code) FILTER (WHERE n >= $habit_share * total) FROM n
GROUP BY grp ORDER BY grp
"""


def home_regions(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[int, set[str]]:
    """Each cohort's home regions (those of at least ``habit_share`` of its patients): empty when
    its patients are spread thin; no entry when none of them has a region recorded."""
    return {grp: set(regions or []) for grp, regions in rows(con, _HOME_REGIONS_SQL,
                                                              {"habit_share": cfg.habit_share})}


def _billed_alike(a: Visits, b: Visits) -> bool:
    """Same diagnoses, doctors and operators (each where both record it)."""
    return all(x is None or y is None or bool(set(x) & set(y))
               for x, y in ((a.codes, b.codes), (a.doctors, b.doctors), (a.operators, b.operators)))


def _longest_interval(days: list[date]) -> int:
    return max(((b - a).days for a, b in pairwise(days)), default=0)


def one_operation(a: Visits, b: Visits, cfg: CarShuttleSettings) -> bool:
    """Two cohorts' visits to one institution over the same period, handled the same way
    (their commonest diagnoses overlap, and their doctors and operators where recorded)."""
    gap = max(cfg.occasion_gap_days, _longest_interval(a.days), _longest_interval(b.days))
    overlap = (min(a.days) - max(b.days)).days <= gap and (min(b.days) - max(a.days)).days <= gap
    return overlap and bool(a.codes) and bool(b.codes) and _billed_alike(a, b)
