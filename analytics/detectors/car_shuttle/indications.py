"""Car shuttle, step 3: each indication measured against the cohort's own baseline.

The baseline is the institution's other inpatients (its peers of the same kind and level
when it has too few), because what is unusual at a village clinic is ordinary at a
referral centre; a trait counts only when it is both beyond chance and most of the busload.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import duckdb

from ringscope.analytics.detectors.base import rows
from ringscope.analytics.detectors.car_shuttle.cohorts import TRIPS_CTE
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings

# --- step 3: indications, each against its own baseline -----------------------------------

# An admission of the inpatient ``a`` that is not by a member of the cohort ``i.grp``.
_NOT_A_MEMBER = "NOT EXISTS (SELECT 1 FROM _rs_cs_groups g WHERE g.grp = i.grp AND g.type = 'patient' AND g.id = a.patient_id)"

# The baseline of each cohort: the other inpatients of its institutions, admitted on other
# days than any cohort's trips (riders the cohort missed must not become its baseline), and
# never the cohort's own members (their stays off the trip days are the same villagers, and a
# ring compared with itself shows nothing); with fewer than ``baseline_min`` of them (a
# hospital that admits nobody but its busloads), its peers: institutions of the same kind and level in the same county, else
# anywhere (reimbursement rates and case mix follow the level, not the place).  A share needs no
# more than ``baseline_max`` admissions: larger baselines are a fixed pseudo-random sample.
_SCOPE_SQL = TRIPS_CTE.replace("WITH days AS", "CREATE OR REPLACE TEMP TABLE _rs_cs_scope AS\nWITH days AS") + f""",
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
    WHERE {_NOT_A_MEMBER}
), county AS (
    SELECT DISTINCT i.grp, a.settlement_id, 2 AS rank FROM inst i
    JOIN free a ON a.facility_kind = i.kind AND a.facility_level IS NOT DISTINCT FROM i.level
     AND a.facility_region IS NOT DISTINCT FROM i.region_code
    WHERE {_NOT_A_MEMBER}
), enough AS (
    SELECT grp, min(rank) AS rank FROM (SELECT grp, rank FROM own UNION ALL SELECT grp, rank FROM county)
    GROUP BY grp, rank HAVING count(*) >= $baseline_min
), anywhere AS (
    SELECT DISTINCT i.grp, a.settlement_id, 3 AS rank FROM inst i
    JOIN free a ON a.facility_kind = i.kind AND a.facility_level IS NOT DISTINCT FROM i.level
    WHERE i.grp NOT IN (SELECT grp FROM enough)
      AND {_NOT_A_MEMBER}
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
    SELECT grp, arg_max(region_code, (n, region_code)) AS region, max(n) AS n FROM (
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
first AS (SELECT grp, patient_id, arg_min(age, (day, age)) AS age FROM c WHERE age IS NOT NULL GROUP BY ALL)
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

INDICATION_SQL = {
    "fee_waiver": _WAIVER_SQL, "same_origin": _ORIGIN_SQL, "uniform_diagnosis": _DIAGNOSIS_SQL,
    "short_stay": _STAY_SQL, "elderly": _AGE_SQL, "no_prior_care": _HISTORY_SQL,
    "readmissions": _READMISSION_SQL, "same_settlers": _SETTLER_SQL,
}
# Strong indications (each alone is what an investigator would open a file on) weigh 1,
# supporting ones (common among honest inpatients too) 0.5.
_STRONG, _SUPPORTING = 1.0, 0.5
WEIGHT = {"fee_waiver": _STRONG, "same_origin": _STRONG, "uniform_diagnosis": _STRONG, "short_stay": _SUPPORTING,
           "elderly": _SUPPORTING, "no_prior_care": _STRONG, "readmissions": _SUPPORTING,
           "same_settlers": _STRONG}

HOUSEHOLD_SQL = """
SELECT grp, max(n) FROM (
    SELECT c.grp, a.address, count(DISTINCT c.patient_id) AS n FROM _rs_cs_cohort c
    JOIN _rs_cs_adm a USING (settlement_id) WHERE a.address IS NOT NULL GROUP BY ALL)
GROUP BY grp
"""


def indication_counts(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings) -> dict[str, dict[int, Count]]:
    """Every indication's count per cohort (a cohort missing from one had no data for it)."""
    con.execute(_SCOPE_SQL, {"baseline_min": cfg.baseline_min_admissions, "baseline_max": cfg.baseline_max_admissions,
                             "gap": cfg.occasion_gap_days,
                             "window": cfg.cohort_window_days})
    params: dict[str, dict[str, Any]] = {"fee_waiver": {"ratio": cfg.waiver_ratio, "floor": cfg.baseline_floor},
              "elderly": {"age": cfg.elderly_age}, "readmissions": {"count": cfg.readmission_count}}
    out: dict[str, dict[int, Count]] = {}
    for kind, sql in INDICATION_SQL.items():
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


def _smoothed(base_share: float) -> float:
    """A trait nobody in a small baseline showed is rare, not impossible."""
    return (base_share * 20 + 0.5) / 21


def can_speak(count: Count | None, cfg: CarShuttleSettings) -> bool:
    """Whether the data lets this indication tell a cohort from the baseline at all.

    Not when it is not recorded (no operators, no baseline), nor when the baseline shows
    the trait so often that even a whole cohort showing it would not stand out: at a county
    hospital every inpatient comes from the county, at a small one one clerk settles all.
    """
    if count is None or count.total == 0 or count.base_share is None:
        return False
    return 1.0 >= cfg.indication_min_lift * _smoothed(count.base_share)


def shows(count: Count | None, cfg: CarShuttleSettings) -> bool:
    """A trait is an indication when most of the cohort shows it, clearly more than the
    baseline does, and that many would be unlikely if the cohort were like the baseline."""
    if count is None or count.total == 0 or count.base_share is None:
        return False
    share = count.hits / count.total
    base = _smoothed(count.base_share)
    return (share >= cfg.indication_min_share and share >= cfg.indication_min_lift * base
            and _binomial_tail(count.hits, count.total, base) <= cfg.indication_max_chance)
