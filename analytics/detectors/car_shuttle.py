"""Car-shuttle schemes: villagers bussed to one institution, fees waived.

Organisers collect elderly villagers, drive them to a clinic or hospital
that admits them together, waives their co-payment and bills the fund for
short, uniform stays (NHSA 2023-2024 notices on "免费接送、免费住院").
Steps:

1. SQL: inpatient admissions (kind inpatient or an admission date) at
   non-pharmacy facilities; patient pairs admitted to the same institution
   within ``cohort_window_days``, counted by separate occasions.  The time
   window keeps busy hospitals linear in their admissions per day.
2. SQL: keep pairs admitted together on ``min_shared_cohorts`` occasions.
3. Graph: components per institution (Leiden above a size) are cohorts;
   patients co-admitted with several cohort members join it.
4. SQL: each cohort against its institution's own baseline (the other
   inpatients there): self-paid share (fee waiver), length of stay, and the
   cohort's diagnosis and home-county uniformity.

A nursing home admitted together pays normally; an outbreak is admitted
together once; patients on medical assistance pay little but are not
admitted together repeatedly.  Each fails one of the tests.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import drop, moved_links, pair_settlements_sql, register_groups, rows, union_groups
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings

SCHEME = "car_shuttle"

_ADMISSIONS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_adm AS
SELECT s.settlement_id, s.facility_id, coalesce(s.patient_id, c.patient_id) AS patient_id,
       coalesce(s.admitted_on, CAST(s.settled_at AS DATE)) AS admitted_on,
       date_diff('day', coalesce(s.admitted_on, CAST(s.settled_at AS DATE)),
                 coalesce(s.discharged_on, s.admitted_on, CAST(s.settled_at AS DATE))) AS stay_days,
       CASE WHEN s.total_amount > 0 THEN CAST(coalesce(s.self_paid, s.total_amount - s.fund_paid) AS DOUBLE)
                                         / CAST(s.total_amount AS DOUBLE) END AS self_share,
       s.diagnosis_code, f.kind AS facility_kind
FROM settlements s
LEFT JOIN cards c ON c.card_id = s.card_id
JOIN facilities f ON f.facility_id = s.facility_id
WHERE f.kind <> 'pharmacy' AND (s.kind = 'inpatient' OR s.admitted_on IS NOT NULL)
"""

# The institution's usual self-paid share, never below a fraction of what inpatients of
# institutions of its kind usually pay: a hospital where nearly everyone pays nothing is
# the anomaly, not the baseline.
_FACILITY_MEDIAN_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_adm AS
SELECT *, greatest(median(self_share) OVER (PARTITION BY facility_id),
                   $floor * median(self_share) OVER (PARTITION BY facility_kind)) AS facility_self_median,
       $floor * median(self_share) OVER (PARTITION BY facility_kind) AS kind_self_floor
FROM _rs_cs_adm
"""

_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_cs_pairs AS
SELECT a.facility_id, least(a.patient_id, b.patient_id) AS p1, greatest(a.patient_id, b.patient_id) AS p2,
       least(a.admitted_on, b.admitted_on) AS occasion, a.settlement_id AS s1, b.settlement_id AS s2,
       (a.self_share <= $waiver_ratio * a.facility_self_median
        AND b.self_share <= $waiver_ratio * b.facility_self_median) AS both_waived
FROM _rs_cs_adm a JOIN _rs_cs_adm b
  ON a.facility_id = b.facility_id
 AND b.admitted_on BETWEEN a.admitted_on - CAST($window AS INTEGER) AND a.admitted_on + CAST($window AS INTEGER)
WHERE a.patient_id < b.patient_id
"""

# Occasions: joint admission dates of a pair, merged when closer than the gap.
_EDGES_SQL = """
WITH occ AS (
    SELECT p1, p2, occasion, bool_or(coalesce(both_waived, false)) AS waived FROM _rs_cs_pairs GROUP BY ALL
), gaps AS (
    SELECT *, date_diff('day', lag(occasion) OVER (PARTITION BY p1, p2 ORDER BY occasion), occasion) AS gap
    FROM occ
), weighted AS (
    SELECT p1, p2, sum(CASE WHEN waived THEN $waived_weight ELSE 1 END) FILTER (WHERE gap IS NULL OR gap > $gap) AS occasions
    FROM gaps GROUP BY p1, p2
)
SELECT 'patient:' || p1, 'patient:' || p2, occasions FROM weighted
WHERE occasions >= $min_occasions
ORDER BY 1, 2
"""

_ATTACH_SQL = """
INSERT INTO _rs_cs_groups
WITH links AS (
    SELECT g.grp, x.patient_id, count(DISTINCT x.partner) AS n_links
    FROM _rs_cs_pairs p
    CROSS JOIN LATERAL (SELECT p.p1 AS patient_id, p.p2 AS partner, p.s1 AS own_settlement
                        UNION ALL SELECT p.p2, p.p1, p.s2) x
    JOIN _rs_cs_groups g ON g.id = x.partner
    JOIN _rs_cs_adm a ON a.settlement_id = x.own_settlement
    WHERE x.patient_id NOT IN (SELECT id FROM _rs_cs_groups)
      AND (NOT $require_waiver OR a.self_share <= $waiver_ratio * a.facility_self_median)
    GROUP BY g.grp, x.patient_id
), best AS (
    SELECT patient_id, arg_min(grp, (-n_links, grp)) AS grp, max(n_links) AS n_links FROM links GROUP BY patient_id
)
SELECT grp, 'patient:' || patient_id, 'patient', patient_id FROM best WHERE n_links >= $min_links
"""

_COHORT_SQL = pair_settlements_sql("_rs_cs_cohort", "_rs_cs_pairs", "_rs_cs_groups", "p1", "p2")

# Each cohort admission against its own institution's baseline (other inpatients there,
# else all inpatients): self-paid share and length of stay.
_COHORT_FACTS_SQL = """
WITH base AS (
    SELECT facility_id, median(self_share) AS self_base, median(stay_days) AS stay_base
    FROM _rs_cs_adm WHERE settlement_id NOT IN (SELECT settlement_id FROM _rs_cs_cohort)
    GROUP BY facility_id
), everywhere AS (
    SELECT median(self_share) AS self_all, median(stay_days) AS stay_all FROM _rs_cs_adm
    WHERE settlement_id NOT IN (SELECT settlement_id FROM _rs_cs_cohort)
), coh AS (
    SELECT c.grp, a.*, p.region_code,
           greatest(coalesce(b.self_base, e.self_all), a.kind_self_floor) AS self_base,
           coalesce(b.stay_base, e.stay_all) AS stay_base
    FROM _rs_cs_cohort c JOIN _rs_cs_adm a USING (settlement_id)
    LEFT JOIN patients p ON p.patient_id = a.patient_id
    LEFT JOIN base b ON b.facility_id = a.facility_id CROSS JOIN everywhere e
), diag AS (
    SELECT grp, count(*) AS n FROM coh GROUP BY grp, diagnosis_code
), top2 AS (
    SELECT grp, sum(n) AS n_top2 FROM (
        SELECT grp, n, row_number() OVER (PARTITION BY grp ORDER BY n DESC) AS k FROM diag) WHERE k <= 2 GROUP BY grp
), county AS (
    SELECT grp, max(n) AS n_county FROM (SELECT grp, count(DISTINCT patient_id) AS n FROM coh GROUP BY grp, region_code) GROUP BY grp
), fac AS (
    SELECT grp, list(facility_id ORDER BY facility_id) AS facilities FROM (
        SELECT grp, facility_id, count(*) AS n, sum(count(*)) OVER (PARTITION BY grp) AS total
        FROM coh GROUP BY grp, facility_id)
    WHERE n >= $institution_share * total GROUP BY grp
)
SELECT coh.grp, any_value(fac.facilities) AS facilities,
       list(DISTINCT coh.patient_id ORDER BY coh.patient_id) AS patients,
       count(*) AS admissions,
       count(DISTINCT coh.admitted_on) AS days,
       median(coh.self_share) AS self_share,
       median(coh.self_base) AS self_base,
       median(coh.self_share / nullif(coh.self_base, 0)) AS self_ratio,
       median(coh.stay_days) AS stay,
       median(coh.stay_base) AS stay_base,
       median(coh.stay_days / nullif(coh.stay_base, 0)) AS stay_ratio,
       any_value(top2.n_top2) / count(*) AS diag_share,
       any_value(county.n_county) / count(DISTINCT coh.patient_id) AS county_share,
       min(coh.admitted_on), max(coh.admitted_on)
FROM coh
LEFT JOIN top2 ON top2.grp = coh.grp
LEFT JOIN county ON county.grp = coh.grp
LEFT JOIN fac ON fac.grp = coh.grp
GROUP BY coh.grp ORDER BY coh.grp
"""


# The institutions of each cohort group: those that admitted at least a share of the
# group's joint admissions (the same rule that makes an institution a ring member).
_GROUP_INSTITUTIONS_SQL = """
SELECT grp, facility_id FROM (
    SELECT g1.grp, p.facility_id, count(*) AS n, sum(count(*)) OVER (PARTITION BY g1.grp) AS total
    FROM _rs_cs_pairs p
    JOIN _rs_cs_groups g1 ON g1.id = p.p1 AND g1.type = 'patient'
    JOIN _rs_cs_groups g2 ON g2.id = p.p2 AND g2.type = 'patient' AND g2.grp = g1.grp
    GROUP BY g1.grp, p.facility_id)
WHERE n >= $institution_share * total
ORDER BY 1, 2
"""


# Villagers of one cohort group who moved, fee-waived, from one institution to another
# group's institution (all their waived stays at the old one before the first at the new
# one): a ring that takes over another's villages brings them to its own hospital.
_MOVED_SQL = """
WITH inst AS (""" + _GROUP_INSTITUTIONS_SQL.replace("ORDER BY 1, 2", "") + """),
sizes AS (SELECT grp, count(*) AS n FROM _rs_cs_groups WHERE type = 'patient' GROUP BY grp),
waived AS (
    SELECT g.grp, a.patient_id, a.facility_id, min(a.admitted_on) AS first_on, max(a.admitted_on) AS last_on
    FROM _rs_cs_adm a JOIN _rs_cs_groups g ON g.type = 'patient' AND g.id = a.patient_id
    WHERE a.self_share <= $waiver_ratio * a.facility_self_median
    GROUP BY ALL
), moved AS (
    SELECT o.grp, o.patient_id, n.facility_id AS new_facility
    FROM waived o JOIN waived n
      ON n.grp = o.grp AND n.patient_id = o.patient_id AND n.facility_id <> o.facility_id
     AND o.last_on < n.first_on
)
SELECT m.grp, i.grp AS other, count(DISTINCT m.patient_id) AS n, any_value(sizes.n) AS size
FROM moved m
JOIN inst i ON i.facility_id = m.new_facility AND i.grp <> m.grp
JOIN sizes ON sizes.grp = m.grp
GROUP BY 1, 2 ORDER BY 1, 2
"""


def _same_institution_links(con: duckdb.DuckDBPyConnection, institution_share: float) -> list[tuple[int, int]]:
    """One shuttle per institution: cohort groups brought to the same institution.

    A bus carries different villagers on different trips; the institution that admits
    and waives for them all is what the scheme turns on.  Groups are joined through any
    institution they share, so a group split over two hospitals joins both.
    """
    first_group: dict[str, int] = {}
    links = []
    for grp, facility in rows(con, _GROUP_INSTITUTIONS_SQL, {"institution_share": institution_share}):
        links.append((grp, first_group.setdefault(facility, grp)))
    return links


def _moved_villager_links(con: duckdb.DuckDBPyConnection, cfg) -> list[tuple[int, int]]:
    """Cohort groups whose villagers moved, still fee-waived, to another group's institution.

    When one organiser takes over another's villages, the villagers it inherits stop
    going to their old hospital and turn up, still paying nothing, at the new owner's,
    even on trips of their own.  Two shuttles that merely use the same hospital all along
    move nobody.  A few movers (``join_min_patients``, and ``join_share`` of their group)
    link the two groups; one villager who changed hospital does not.
    """
    found = rows(con, _MOVED_SQL, {"institution_share": cfg.institution_share, "waiver_ratio": cfg.waiver_ratio})
    return moved_links(found, cfg.join_min_patients, cfg.join_share)


def detect_car_shuttle(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Cohorts admitted together repeatedly with waived co-payments.

    Members are the shuttled patients (role ``shuttled``) and the admitting
    institution (role ``institution``).
    """
    cfg = settings.car_shuttle
    temp = ("_rs_cs_adm", "_rs_cs_pairs", "_rs_cs_groups", "_rs_cs_cohort")
    con.execute(_ADMISSIONS_SQL)
    con.execute(_FACILITY_MEDIAN_SQL, {"floor": cfg.baseline_floor})
    con.execute(_PAIRS_SQL, {"window": cfg.cohort_window_days, "waiver_ratio": cfg.waiver_ratio})
    edge_rows = rows(con, _EDGES_SQL, {"gap": cfg.occasion_gap_days, "min_occasions": cfg.min_shared_cohorts,
                                       "waived_weight": cfg.waived_occasion_weight})
    if not edge_rows:
        drop(con, *temp)
        return []
    groups = [
        g for g in find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above,
                               cfg.leiden_resolution, settings.seed)
        if len(g) >= 2
    ]
    register_groups(con, "_rs_cs_groups", groups)
    if cfg.merge_same_institution and len(groups) > 1:
        groups = union_groups(groups, _same_institution_links(con, cfg.institution_share))
        register_groups(con, "_rs_cs_groups", groups)
    # Patients admitted with several cohort members join it when their own admission was
    # fee-waived too: a bus brings a few new passengers each trip.
    con.execute(_ATTACH_SQL, {"min_links": cfg.attach_min_links, "require_waiver": cfg.require_fee_waiver,
                              "waiver_ratio": cfg.waiver_ratio})
    if cfg.join_share > 0 and len(groups) > 1:
        links = _moved_villager_links(con, cfg)
        if links:
            attached = defaultdict(list)
            for grp, key in rows(con, "SELECT grp, node FROM _rs_cs_groups ORDER BY 1, 2"):
                attached[grp].append(key)
            groups = union_groups([attached[g] for g in range(len(groups))], links)
            register_groups(con, "_rs_cs_groups", groups)
    con.execute(_COHORT_SQL)
    facts = rows(con, _COHORT_FACTS_SQL, {"institution_share": cfg.institution_share})
    cohort = defaultdict(list)
    for grp, sid in rows(con, "SELECT grp, settlement_id FROM _rs_cs_cohort ORDER BY 1, 2"):
        cohort[grp].append(sid)
    occasions = {(a, b): w for a, b, w in edge_rows}
    drop(con, *temp)

    rings: list[Ring] = []
    for (grp, facilities, patients, admissions, days, self_share, self_base, self_ratio, stay, stay_base,
         stay_ratio, diag_share, county_share, first_on, last_on) in facts:
        if len(patients) < cfg.min_patients or not facilities:
            continue
        if (last_on - first_on).days <= cfg.occasion_gap_days:
            continue  # one trip only: a group admission (outbreak, screening), not a shuttle
        self_share = float(self_share or 0.0)
        self_base = float(self_base or 0.0)
        waiver = self_ratio is not None and float(self_ratio) <= cfg.waiver_ratio
        short = stay_ratio is not None and float(stay_ratio) <= cfg.short_stay_ratio
        uniform = float(diag_share or 0) >= cfg.uniform_diagnosis_share
        same_origin = float(county_share or 0) >= cfg.same_origin_share
        support = sum((short, uniform, same_origin))
        if cfg.require_fee_waiver and not waiver:
            continue
        if support < cfg.min_supporting_signals or (not waiver and support < cfg.min_supporting_signals + 1):
            continue
        keys = {f"patient:{p}" for p in patients}
        facility = ", ".join(facilities)
        repeat = [w for (a, b), w in occasions.items() if a in keys and b in keys]
        mean_occ = sum(repeat) / len(repeat) if repeat else 0.0
        members = [Member("facility", f, "institution") for f in facilities]
        members += [Member("patient", p, "shuttled") for p in patients]
        evidence = [
            Evidence(
                "co_admission",
                f"{len(patients)} patients were admitted to {facility} together on {days} days "
                f"(pairs admitted together on {mean_occ:.1f} separate occasions on average).",
                f"{len(patients)}名参保人在{days}个日期集中入住{facility}（每对患者平均共同入院{mean_occ:.1f}次）。",
                float(len(patients)),
            ),
        ]
        if waiver:
            evidence.append(Evidence(
                "fee_waiver",
                f"They paid a median {self_share:.1%} of the bill themselves; other inpatients there pay {self_base:.1%}.",
                f"这些患者自付比例中位数仅{self_share:.1%}，该机构其他住院患者为{self_base:.1%}（疑似免除自付）。",
                round(self_share, 4),
            ))
        if short:
            evidence.append(Evidence(
                "short_stay",
                f"Median stay {float(stay):.0f} days against {float(stay_base):.0f} days for the institution's other inpatients.",
                f"住院天数中位数{float(stay):.0f}天，该机构其他住院患者为{float(stay_base):.0f}天。",
                float(stay),
            ))
        if uniform:
            evidence.append(Evidence(
                "uniform_diagnosis",
                f"Two diagnoses cover {float(diag_share):.0%} of their admissions.",
                f"两种诊断占其住院记录的{float(diag_share):.0%}（诊断高度雷同）。",
                round(float(diag_share), 3),
            ))
        if same_origin:
            evidence.append(Evidence(
                "same_origin",
                f"{float(county_share):.0%} of them live in the same county.",
                f"其中{float(county_share):.0%}来自同一县区。",
                round(float(county_share), 3),
            ))
        rings.append(Ring(
            scheme=SCHEME,
            members=members,
            settlement_ids=cohort.get(grp, []),
            evidence=evidence,
            features={
                "size": float(len(patients) + len(facilities)),
                "evidence_count": float(admissions),
                "per_member": mean_occ,
                "baseline_ratio": (self_base / max(self_share, 0.005)) if self_base else 0.0,
                "active_days": float((last_on - first_on).days),
                "signal_strength": min(1.0, 0.4 + 0.3 * waiver + 0.1 * support),
            },
        ))
    return rings
