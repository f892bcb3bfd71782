"""Over-prescription with kickbacks: prescribers, their patients and the pharmacies that fill.

A prescriber writes far more of a drug than a patient can take, the boxes
are filled at one or two cooperating pharmacies (or dispensed by the
practice itself) and resold; the prescriber gets a kickback (NHSA notices
on "超量开药").  Every step compares behaviour with a baseline from the data:

1. SQL: per patient and drug, units supplied over the clinical maximum
   (``quantity / max_daily_units``) against the days that elapsed; the
   drug's own baseline (lower quartile of one-vote-per-prescriber medians)
   scales the bar, so a drug everyone gets ahead of time is not excess.
2. SQL + a binomial tail: per prescriber, how many of their patients got
   excess against the OTHER prescribers' rate for the same drugs; unusual
   prescribers found rings, mildly unusual ones can only join one.
3. Graph: prescriber–patient (main prescriber only), patient–pharmacy and
   prescriber–pharmacy edges weighted by excess fills; components, Leiden
   only for large components with a clear split.
4. Ring tests: enough excess patients, the prescribers together unusual,
   and the surplus a real part of what the doctors wrote for these patients.
5. Fund loss: the ring patients' fills of their over-supplied drugs written
   by the ring's prescribers at the ring's pharmacies or practice.

A chronic patient with large legitimate supplies stays near ratio 1-1.5, a
doctor shopper belongs to no one doctor, and a busy doctor's multi-morbid
patients get a little too much of one drug among many: none makes a ring.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb
from scipy.stats import binom

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import drop, moved_links, register_groups, rows, union_groups
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings

SCHEME = "over_prescription"

_FILLS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_fills AS
SELECT s.settlement_id, coalesce(s.patient_id, c.patient_id) AS patient_id, s.prescriber_id,
       s.facility_id, f.kind AS facility_kind, d.drug_code, s.settled_at,
       d.quantity / dr.max_daily_units AS supply_days
FROM dispensings d
JOIN settlements s USING (settlement_id)
JOIN drugs dr ON dr.drug_code = d.drug_code
JOIN facilities f ON f.facility_id = s.facility_id
LEFT JOIN cards c ON c.card_id = s.card_id
WHERE dr.max_daily_units > 0 AND d.quantity > 0
"""

# Each patient and drug: supply over elapsed days, and the prescriber who wrote most of it
# (ties to the larger id, so the same data always gives the same answer).
_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_pairs AS
WITH per_pair AS (
    SELECT patient_id, drug_code, count(DISTINCT settlement_id) AS fills, sum(supply_days) AS supply,
           date_diff('day', min(settled_at), max(settled_at)) AS span,
           arg_max(supply_days, (settled_at, supply_days)) AS last_supply,
           arg_max(prescriber_id, CASE WHEN prescriber_id IS NOT NULL THEN (n_by_prescriber, prescriber_id) END) AS prescriber_id
    FROM (SELECT *, count(*) OVER (PARTITION BY patient_id, drug_code, prescriber_id) AS n_by_prescriber
          FROM _rs_op_fills WHERE patient_id IS NOT NULL)
    GROUP BY patient_id, drug_code
)
SELECT patient_id, drug_code, prescriber_id, fills, supply, span,
       supply / (span + greatest(last_supply, $grace)) AS ratio
FROM per_pair WHERE fills >= $min_fills
"""

# The drug's own baseline: how much of it prescribers' patients usually get against the
# clinical maximum.  One vote per prescriber (the median of their patients), and a low
# quantile of those votes, so even rings that write a good part of a rare drug cannot
# lift it; with too few prescribers the clinical maximum (1.0) stands.
_DRUG_BASELINE_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_baseline AS
WITH per_prescriber AS (
    SELECT drug_code, prescriber_id, median(ratio) AS ratio
    FROM _rs_op_pairs WHERE prescriber_id IS NOT NULL GROUP BY ALL
)
SELECT drug_code,
       CASE WHEN count(*) >= $min_prescribers THEN greatest(1.0, quantile_cont(ratio, $quantile)) ELSE 1.0 END AS baseline,
       count(*) AS prescribers
FROM per_prescriber GROUP BY drug_code
"""

_EXCESS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_excess AS
SELECT p.patient_id, p.drug_code, p.fills, p.supply, p.span, p.ratio, coalesce(b.baseline, 1.0) AS baseline
FROM _rs_op_pairs p LEFT JOIN _rs_op_baseline b USING (drug_code)
WHERE p.ratio >= $min_ratio * coalesce(b.baseline, 1.0)
"""

# Per prescriber: how many of their patients got excess, against what the other prescribers
# of the same drugs would give.  A patient belongs to the main prescriber of their fills of
# the drug.  The others' excess rate for a drug leaves this prescriber out and is shrunk
# towards the all-drug rate by `prior` pseudo-patients, so neither a drug that is often
# over-supplied nor a ring that dominates a rare drug misleads.  Two views: drug by drug
# (a hospital doctor's one pushed drug among hundreds of ordinary patients), and all drugs
# pooled (a doctor spreading the excess over two or three drugs).
_PRESCRIBER_SQL = """
WITH pd AS (
    SELECT p.prescriber_id, p.drug_code, count(*) AS n, count(e.patient_id) AS k
    FROM _rs_op_pairs p LEFT JOIN _rs_op_excess e USING (patient_id, drug_code)
    WHERE p.prescriber_id IS NOT NULL GROUP BY ALL
), ordinary AS (
    SELECT * FROM pd WHERE prescriber_id NOT IN (SELECT prescriber_id FROM _rs_op_flagged)
), drug AS (
    SELECT drug_code, sum(n) AS n_all, sum(k) AS k_all FROM ordinary GROUP BY drug_code
), everyone AS (
    SELECT greatest(sum(k), 1) / greatest(sum(n), 1) AS rate FROM ordinary
), rated AS (
    SELECT pd.prescriber_id, pd.drug_code, pd.n, pd.k,
           CASE WHEN pd.prescriber_id IN (SELECT prescriber_id FROM _rs_op_flagged)
                THEN (coalesce(drug.k_all, 0) + $prior * everyone.rate) / (coalesce(drug.n_all, 0) + $prior)
                ELSE (drug.k_all - pd.k + $prior * everyone.rate) / (drug.n_all - pd.n + $prior) END AS base_rate
    FROM pd LEFT JOIN drug USING (drug_code) CROSS JOIN everyone
), patients AS (
    SELECT p.prescriber_id, count(DISTINCT p.patient_id) AS n, count(DISTINCT e.patient_id) AS k
    FROM _rs_op_pairs p LEFT JOIN _rs_op_excess e USING (patient_id, drug_code)
    WHERE p.prescriber_id IS NOT NULL GROUP BY ALL
)
SELECT prescriber_id, drug_code, n, k, base_rate FROM rated WHERE k > 0
UNION ALL
SELECT patients.prescriber_id, NULL, patients.n, patients.k,
       least(1.0, sum(rated.n * rated.base_rate) / patients.n)
FROM patients JOIN rated USING (prescriber_id)
WHERE patients.k > 0
GROUP BY patients.prescriber_id, patients.n, patients.k
ORDER BY 1, 2 NULLS LAST
"""

_EXCESS_FILLS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_xfills AS
SELECT f.*, e.ratio FROM _rs_op_fills f JOIN _rs_op_excess e USING (patient_id, drug_code)
JOIN _rs_op_unusual u ON u.prescriber_id = f.prescriber_id
JOIN _rs_op_pairs p ON p.patient_id = f.patient_id AND p.drug_code = f.drug_code
WHERE f.prescriber_id IS NOT NULL AND (NOT $pharmacies_only OR f.facility_kind = 'pharmacy')
  AND (NOT $main_only OR p.prescriber_id = f.prescriber_id)
  AND NOT ($exclude_sellers AND f.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
"""

# Patients who bought boxes that were reimbursed again elsewhere: their surplus is the
# trace_resale scheme's (a seller stocking up), not a prescriber's.
_SELLERS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_sellers AS
WITH repeated AS (
    SELECT trace_code FROM dispensings WHERE trace_code IS NOT NULL
    GROUP BY trace_code HAVING count(DISTINCT settlement_id) > 1
), scans AS (
    SELECT d.trace_code, s.card_id, s.facility_id, s.settled_at, coalesce(s.patient_id, c.patient_id) AS patient_id,
           row_number() OVER (PARTITION BY d.trace_code ORDER BY s.settled_at, s.settlement_id) AS scan_no,
           count(*) OVER (PARTITION BY d.trace_code, s.card_id, s.facility_id, CAST(s.settled_at AS DATE)) AS same_day_same_card
    FROM dispensings d JOIN repeated USING (trace_code) JOIN settlements s USING (settlement_id)
    LEFT JOIN cards c ON c.card_id = s.card_id
)
SELECT patient_id FROM scans
WHERE scan_no = 1 AND same_day_same_card = 1 AND patient_id IS NOT NULL
GROUP BY patient_id HAVING count(DISTINCT trace_code) >= $min_boxes
"""

# Prescriber concentration: share of the prescriber's excess fills at the top pharmacy,
# against the median top-pharmacy share of all prescribers' fills (the peer baseline).
_PRESCRIBERS_SQL = """
WITH all_fills AS (
    SELECT prescriber_id, facility_id, count(DISTINCT settlement_id) AS n
    FROM _rs_op_fills WHERE prescriber_id IS NOT NULL AND (NOT $pharmacies_only OR facility_kind = 'pharmacy') GROUP BY ALL
), peer AS (
    SELECT median(top_share) AS peer_share FROM (
        SELECT prescriber_id, sum(n) FILTER (WHERE k <= $top_k) / sum(n) AS top_share
        FROM (SELECT *, row_number() OVER (PARTITION BY prescriber_id ORDER BY n DESC, facility_id) AS k FROM all_fills)
        GROUP BY prescriber_id HAVING sum(n) >= 5)
), x AS (
    SELECT prescriber_id, facility_id, count(DISTINCT settlement_id) AS n,
           row_number() OVER (PARTITION BY prescriber_id ORDER BY count(DISTINCT settlement_id) DESC, facility_id) AS k
    FROM _rs_op_xfills GROUP BY prescriber_id, facility_id
), per AS (
    SELECT prescriber_id, sum(n) AS fills, sum(n) FILTER (WHERE k <= $top_k) / sum(n) AS top_share FROM x GROUP BY prescriber_id
), pats AS (
    SELECT prescriber_id, count(DISTINCT patient_id) AS patients FROM _rs_op_xfills GROUP BY prescriber_id
)
SELECT per.prescriber_id, pats.patients, per.fills, per.top_share, coalesce(peer.peer_share, 0.0)
FROM per JOIN pats USING (prescriber_id) CROSS JOIN peer
WHERE pats.patients >= $min_patients
ORDER BY 1
"""


# Milder excess (between attach_min_ratio and min_supply_ratio), per patient, drug,
# prescriber and facility, for the candidate prescribers only.
_WEAK_FILLS_SQL = """
WITH weak AS (
    SELECT p.patient_id, p.drug_code, p.ratio
    FROM _rs_op_pairs p LEFT JOIN _rs_op_baseline b USING (drug_code)
    WHERE p.ratio >= $attach_ratio * coalesce(b.baseline, 1.0)
)
SELECT f.patient_id, w.ratio, f.prescriber_id, f.facility_id, count(DISTINCT f.settlement_id) AS n
FROM _rs_op_fills f JOIN weak w USING (patient_id, drug_code)
WHERE f.prescriber_id IN (SELECT prescriber_id FROM _rs_op_cand)
  AND NOT ($exclude_sellers AND f.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
GROUP BY ALL ORDER BY ALL
"""


def _attach_milder_patients(con, cfg, groups: list[list[str]], settings: DetectionSettings) -> dict[str, float]:
    """Add to each ring the patients of its prescribers with a milder excess filled at its pharmacies.

    A patient already in a ring stays where the strong signal put them; a patient who
    qualifies for two rings joins the one whose pharmacies filled more of their excess.
    Returns the attached patients' ratios (for the evidence).
    """
    if cfg.attach_min_ratio >= cfg.min_supply_ratio or not groups:
        return {}
    found = rows(con, _WEAK_FILLS_SQL, {"attach_ratio": cfg.attach_min_ratio,
                                       "exclude_sellers": cfg.exclude_resale_sellers})
    placed = {k for g in groups for k in g if k.startswith("patient:")}
    ring_of_prescriber = {k: i for i, g in enumerate(groups) for k in g if k.startswith("prescriber:")}
    pharmacies = [{k.split(":", 1)[1] for k in g if k.startswith("facility:")} for g in groups]
    fills: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])  # (patient, ring) -> [at ring pharmacies, all]
    ratio_of: dict[str, float] = {}
    for patient, ratio, prescriber, facility, n in found:
        ring = ring_of_prescriber.get(f"prescriber:{prescriber}")
        if ring is None or f"patient:{patient}" in placed:
            continue
        tally = fills[(patient, ring)]
        tally[0] += n if facility in pharmacies[ring] else 0
        tally[1] += n
        ratio_of[patient] = max(ratio_of.get(patient, 0.0), ratio)
    best: dict[str, tuple[int, int]] = {}
    for (patient, ring), (at_ring, total) in sorted(fills.items()):
        if total and at_ring / total >= cfg.attach_pharmacy_share and at_ring > best.get(patient, (0, -1))[0]:
            best[patient] = (at_ring, ring)
    for patient, (_n, ring) in sorted(best.items()):
        groups[ring].append(f"patient:{patient}")
    return {p: ratio_of[p] for p in best}


# What the ring's prescribers wrote for the ring's patients, and how much of it was the
# surplus: in a scheme the surplus is what the relationship is about; a busy doctor's
# multi-morbid patients get many drugs, a little too much of one now and then.
_EXCESS_SHARE_SQL = """
WITH g AS (SELECT * FROM _rs_op_groups),
written AS (
    SELECT DISTINCT gp.grp, s.settlement_id
    FROM settlements s LEFT JOIN cards c ON c.card_id = s.card_id
    JOIN g gp ON gp.type = 'prescriber' AND gp.id = s.prescriber_id
    JOIN g gt ON gt.type = 'patient' AND gt.id = coalesce(s.patient_id, c.patient_id) AND gt.grp = gp.grp
), surplus AS (
    SELECT DISTINCT gp.grp, x.settlement_id
    FROM _rs_op_xfills x
    JOIN g gp ON gp.type = 'prescriber' AND gp.id = x.prescriber_id
    JOIN g gt ON gt.type = 'patient' AND gt.id = x.patient_id AND gt.grp = gp.grp
)
SELECT w.grp, count(DISTINCT s.settlement_id) / count(DISTINCT w.settlement_id)
FROM written w LEFT JOIN surplus s ON s.grp = w.grp AND s.settlement_id = w.settlement_id
GROUP BY w.grp ORDER BY 1
"""


# Excess patients of one group who moved to another group's pharmacy: all their excess
# fills at one pharmacy come before the first at a pharmacy of the other group.  A ring
# that takes over another's patients has them fill at its own pharmacies.
_MOVED_SQL = """
WITH pharm AS (
    SELECT grp, id AS facility_id FROM _rs_op_groups WHERE type = 'facility'
), fills AS (
    SELECT g.grp, x.patient_id, x.facility_id, min(x.settled_at) AS first_at, max(x.settled_at) AS last_at
    FROM _rs_op_xfills x JOIN _rs_op_groups g ON g.type = 'patient' AND g.id = x.patient_id
    WHERE x.facility_kind = 'pharmacy'
    GROUP BY ALL
), moved AS (
    SELECT o.grp, o.patient_id, n.facility_id AS new_facility
    FROM fills o JOIN fills n
      ON n.grp = o.grp AND n.patient_id = o.patient_id AND n.facility_id <> o.facility_id AND o.last_at < n.first_at
), sizes AS (SELECT grp, count(*) AS n FROM _rs_op_groups WHERE type = 'patient' GROUP BY grp)
SELECT m.grp, p.grp AS other, count(DISTINCT m.patient_id) AS n, any_value(sizes.n) AS size
FROM moved m JOIN pharm p ON p.facility_id = m.new_facility AND p.grp <> m.grp
JOIN sizes ON sizes.grp = m.grp
GROUP BY 1, 2 ORDER BY 1, 2
"""


# Groups whose founders work at the same practice and are unusual on the same drug: a
# clinic's doctors splitting one scheme, each with their own patients, dispensing the
# surplus themselves (no pharmacy ties them).
_SAME_PRACTICE_SQL = """
SELECT DISTINCT g1.grp, g2.grp
FROM _rs_op_groups g1
JOIN prescribers p1 ON g1.type = 'prescriber' AND p1.prescriber_id = g1.id
JOIN _rs_op_pushed d1 ON d1.prescriber_id = p1.prescriber_id
JOIN prescribers p2 ON p2.facility_id = p1.facility_id AND p2.prescriber_id <> p1.prescriber_id
JOIN _rs_op_groups g2 ON g2.type = 'prescriber' AND g2.id = p2.prescriber_id AND g2.grp <> g1.grp
JOIN _rs_op_pushed d2 ON d2.prescriber_id = p2.prescriber_id AND d2.drug_code = d1.drug_code
WHERE p1.facility_id IS NOT NULL
ORDER BY 1, 2
"""


def _moved_patient_links(con: duckdb.DuckDBPyConnection, cfg) -> list[tuple[int, int]]:
    """Groups whose excess patients moved to another group's pharmacies.

    When one ring takes over another's patients, they keep their prescriber but stop
    filling at their old pharmacy and fill at the new owner's.  A few movers
    (``join_min_patients``, and ``join_share`` of their group) link the two groups;
    one patient who changed pharmacy does not.
    """
    return moved_links(rows(con, _MOVED_SQL), cfg.join_min_patients, cfg.join_share)


def chance_of_so_many(k: int, n: int, base_rate: float) -> float:
    """P(at least ``k`` of ``n`` patients over-supplied) if this prescriber were like the others.

    The binomial upper tail: three of three patients at a 9 % drug rate is a 1-in-1,400
    chance, two of two at 55 % is an everyday 1-in-3.  It weighs count and rate together,
    so a doctor with a handful of patients and a hospital with hundreds are judged alike.
    """
    return float(binom.sf(k - 1, n, min(max(base_rate, 1e-9), 1.0)))


def _mark_unusual_prescribing(con: duckdb.DuckDBPyConnection, cfg) -> set[str]:
    """Table ``_rs_op_unusual``: prescribers whose patients' excess is unlikely by chance.

    Unusual on one drug (a scheme pushes one or two drugs), or over all drugs pooled: there
    a patient on several drugs has several chances to look over-supplied, so the rate per
    patient is the expected number of over-supplied drugs at the others' rates (capped at
    1), which errs towards the prescriber.  The smallest chance is kept.  Prescribers
    unusual on one drug below ``max_chance`` can found a ring; the others below
    ``support_max_chance`` (either view) only join a ring a founder stands in: a colleague
    with two suspicious patients is telling only there; a doctor whose few patients each
    got a little too much of a different drug founds nothing.  Two passes: the others'
    rate in the second leaves out the first pass's founders, so two rings pushing the same
    drug do not hide each other.
    Returns (prescriber -> (chance, k, n, rate), founders).
    """
    con.execute("CREATE OR REPLACE TEMP TABLE _rs_op_flagged (prescriber_id VARCHAR)")
    for _pass in range(2):  # the second pass leaves the first pass's founders out of the others' rate
        best: dict[str, tuple[float, int, int, float]] = {}
        founders: set[str] = set()
        pushed: set[tuple[str, str]] = set()
        for prescriber, drug, n, k, rate in rows(con, _PRESCRIBER_SQL, {"prior": cfg.baseline_prior_patients}):
            chance = chance_of_so_many(k, n, rate)
            if drug is not None and chance <= cfg.max_chance:
                founders.add(prescriber)
                pushed.add((prescriber, drug))
            if chance <= max(cfg.max_chance, cfg.support_max_chance) and chance < best.get(prescriber, (2.0,))[0]:
                best[prescriber] = (chance, k, n, rate)
        if not founders or _pass == 1:  # nothing to leave out, or done: a further pass changes nothing
            break
        con.executemany("INSERT INTO _rs_op_flagged VALUES (?)", [(f,) for f in sorted(founders)])
    con.execute("""CREATE OR REPLACE TEMP TABLE _rs_op_unusual (prescriber_id VARCHAR, chance DOUBLE,
                   k BIGINT, n BIGINT, base_rate DOUBLE)""")
    if best:
        con.executemany("INSERT INTO _rs_op_unusual VALUES (?, ?, ?, ?, ?)",
                        [(p, *v) for p, v in sorted(best.items())])
    con.execute("CREATE OR REPLACE TEMP TABLE _rs_op_pushed (prescriber_id VARCHAR, drug_code VARCHAR)")
    if pushed:
        con.executemany("INSERT INTO _rs_op_pushed VALUES (?, ?)", sorted(pushed))
    return best, founders


def group_chance(prescribers: list[str], unusual: dict[str, tuple[float, int, int, float]]) -> float:
    """The chance test again for a ring's prescribers taken together (their telling view each).

    Colleagues who each look only mildly odd can make a very unlikely group; a founder
    joined by ordinary colleagues through a shared patient or two does not.
    """
    k = sum(unusual[p][1] for p in prescribers)
    n = sum(unusual[p][2] for p in prescribers)
    expected = sum(unusual[p][2] * unusual[p][3] for p in prescribers)
    return chance_of_so_many(k, n, expected / n) if n else 1.0


def _founded(group: list[str], founders: set[str], unusual: dict, cfg) -> bool:
    """Whether a linked group of prescribers, patients and pharmacies is a ring.

    A founder (unusual alone on one drug) and the group together unusual; or, with no
    founder, two or more prescribers who are together far more unusual
    (``founderless_max_chance``): colleagues splitting a scheme two or three patients
    each, around one pharmacy, none of whom stands out alone.  The stricter bar pays for
    picking each prescriber's most telling view.
    """
    prescribers = [k.split(":", 1)[1] for k in group if k.startswith("prescriber:")]
    chance = group_chance(prescribers, unusual)
    if any(p in founders for p in prescribers):
        return chance <= cfg.max_chance
    return len(prescribers) >= 2 and chance <= cfg.founderless_max_chance


def detect_over_prescription(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Prescribers with many excess-supply patients concentrated at few pharmacies.

    Members: prescribers (``prescriber``), their excess patients (``patient``),
    the pharmacies that filled the excess (``pharmacy``).
    """
    cfg = settings.over_prescription
    temp = ("_rs_op_sellers", "_rs_op_fills", "_rs_op_pairs", "_rs_op_baseline", "_rs_op_excess", "_rs_op_unusual",
            "_rs_op_flagged", "_rs_op_xfills", "_rs_op_groups", "_rs_op_cand",
            "_rs_op_weak", "_rs_op_pushed")
    con.execute(_FILLS_SQL)
    con.execute(_PAIRS_SQL, {"grace": cfg.grace_days, "min_fills": cfg.min_fills})
    con.execute(_DRUG_BASELINE_SQL, {"min_prescribers": cfg.baseline_min_prescribers,
                                     "quantile": cfg.baseline_quantile})
    con.execute(_EXCESS_SQL, {"min_ratio": cfg.min_supply_ratio})
    con.execute(_SELLERS_SQL, {"min_boxes": settings.trace_resale.min_resold_boxes_per_seller})
    unusual, founders = _mark_unusual_prescribing(con, cfg)
    con.execute(_EXCESS_FILLS_SQL, {"pharmacies_only": cfg.pharmacies_only, "exclude_sellers": cfg.exclude_resale_sellers,
                                    "main_only": cfg.main_prescriber_only})
    cands = rows(con, _PRESCRIBERS_SQL, {"min_patients": cfg.min_patients_per_prescriber,
                                         "top_k": cfg.top_pharmacies, "pharmacies_only": cfg.pharmacies_only})
    if not cands:
        drop(con, *temp)
        return []
    cand_info = {c[0]: c for c in cands}
    con.execute("CREATE OR REPLACE TEMP TABLE _rs_op_cand (prescriber_id VARCHAR)")
    con.executemany("INSERT INTO _rs_op_cand VALUES (?)", [(c,) for c in sorted(cand_info)])
    edge_rows = rows(con, """
        WITH x AS (SELECT * FROM _rs_op_xfills WHERE prescriber_id IN (SELECT prescriber_id FROM _rs_op_cand)),
        pharm AS (
            SELECT prescriber_id, facility_id, any_value(facility_kind) AS kind, count(DISTINCT settlement_id) AS n,
                   count(DISTINCT settlement_id) / sum(count(DISTINCT settlement_id)) OVER (PARTITION BY prescriber_id) AS share
            FROM x WHERE facility_kind = 'pharmacy' GROUP BY prescriber_id, facility_id
        )
        SELECT 'prescriber:' || x.prescriber_id, 'patient:' || x.patient_id, count(DISTINCT x.settlement_id)
        FROM x GROUP BY ALL
        UNION ALL
        SELECT 'patient:' || x.patient_id, 'facility:' || x.facility_id, count(DISTINCT x.settlement_id)
        FROM x JOIN pharm p USING (prescriber_id, facility_id) WHERE p.share >= $share AND p.kind = 'pharmacy'
        GROUP BY ALL
        UNION ALL
        SELECT 'prescriber:' || prescriber_id, 'facility:' || facility_id, n FROM pharm
        WHERE share >= $share AND kind = 'pharmacy'
        UNION ALL
        SELECT 'prescriber:' || x.prescriber_id, 'practice:' || pr.facility_id, count(DISTINCT x.settlement_id)
        FROM x JOIN prescribers pr USING (prescriber_id) WHERE $join_practice AND pr.facility_id IS NOT NULL
        GROUP BY ALL
        ORDER BY 1, 2""", {"share": cfg.pharmacy_share, "join_practice": cfg.join_practice})
    groups = find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above, cfg.leiden_resolution,
                         settings.seed, cfg.split_min_modularity)
    # The practice node only ties its doctors together; it is not a ring member.
    groups = [[k for k in g if not k.startswith("practice:")] for g in groups if _founded(g, founders, unusual, cfg)]
    if (cfg.join_share > 0 or cfg.join_same_practice_drug) and len(groups) > 1:
        register_groups(con, "_rs_op_groups", groups)
        links = _moved_patient_links(con, cfg) if cfg.join_share > 0 else []
        if cfg.join_same_practice_drug:
            links += rows(con, _SAME_PRACTICE_SQL)
        groups = union_groups(groups, links)
    weak_ratios = _attach_milder_patients(con, cfg, groups, settings)
    register_groups(con, "_rs_op_groups", groups)
    loss = defaultdict(list)
    for grp, sid in rows(con, """
        WITH g AS (SELECT * FROM _rs_op_groups)
        SELECT DISTINCT gp.grp, s.settlement_id
        FROM settlements s
        LEFT JOIN cards c ON c.card_id = s.card_id
        JOIN g gp ON gp.type = 'prescriber' AND gp.id = s.prescriber_id
        JOIN g gt ON gt.type = 'patient' AND gt.id = coalesce(s.patient_id, c.patient_id) AND gt.grp = gp.grp
        WHERE (EXISTS (SELECT 1 FROM g gf WHERE gf.type = 'facility' AND gf.id = s.facility_id AND gf.grp = gp.grp)
               OR s.facility_id IN (SELECT facility_id FROM prescribers pr WHERE pr.prescriber_id = s.prescriber_id))
          AND EXISTS (SELECT 1 FROM dispensings d
                      JOIN _rs_op_pairs sp ON sp.drug_code = d.drug_code AND sp.patient_id = gt.id
                      LEFT JOIN _rs_op_baseline b ON b.drug_code = d.drug_code
                      WHERE d.settlement_id = s.settlement_id AND sp.ratio >= $attach * coalesce(b.baseline, 1.0))
        ORDER BY 1, 2""", {"attach": min(cfg.attach_min_ratio, cfg.min_supply_ratio)}):
        loss[grp].append(sid)
    ratios = {**weak_ratios, **{r[0]: r[1] for r in rows(con, "SELECT patient_id, max(ratio) FROM _rs_op_excess GROUP BY 1")}}
    kinds = {r[0]: r[1] for r in rows(con, "SELECT facility_id, kind FROM facilities WHERE facility_id IN (SELECT id FROM _rs_op_groups WHERE type = 'facility')")}
    period = {r[0]: (r[1], r[2]) for r in rows(con, """
        SELECT g.grp, min(x.settled_at), max(x.settled_at) FROM _rs_op_xfills x
        JOIN _rs_op_groups g ON g.type = 'patient' AND g.id = x.patient_id GROUP BY 1""")}
    excess_share = dict(rows(con, _EXCESS_SHARE_SQL))
    drop(con, *temp)

    rings: list[Ring] = []
    for grp, group in enumerate(groups):
        prescribers = [k.split(":", 1)[1] for k in group if k.startswith("prescriber:")]
        patients = [k.split(":", 1)[1] for k in group if k.startswith("patient:")]
        pharmacies = [k.split(":", 1)[1] for k in group if k.startswith("facility:")]
        if not prescribers or len(patients) < cfg.min_patients or excess_share.get(grp, 0.0) < cfg.min_excess_share:
            continue
        keys = set(group)
        ring_edges = [e for e in edge_rows if e[0] in keys and e[1] in keys]
        scores = centrality(ring_edges)
        organizer = top_node(scores, "prescriber:")
        members = [Member("prescriber", p, "organizer" if f"prescriber:{p}" == organizer else "prescriber") for p in prescribers]
        members += [Member("facility", f, "pharmacy" if kinds.get(f) == "pharmacy" else "dispensing_facility") for f in pharmacies]
        members += [Member("patient", p, "patient") for p in patients]
        pat_ratios = sorted(ratios.get(p, 0.0) for p in patients)
        median_ratio = pat_ratios[len(pat_ratios) // 2]
        top_share = max(cand_info[p][3] for p in prescribers)
        peer_share = cand_info[prescribers[0]][4]
        excess_fills = sum(e[2] for e in ring_edges if e[0].startswith("prescriber:"))
        first_at, last_at = period.get(grp, (None, None))
        share = float(excess_share.get(grp, 0.0))
        evidence = [
            Evidence(
                "excess_supply",
                f"{len(patients)} patients of {len(prescribers)} prescriber(s) received a median {median_ratio:.1f} times "
                f"the supply the clinical daily maximum allows for the time that passed.",
                f"{len(prescribers)}名医师的{len(patients)}名患者获得的药量中位数为按最大日用量计算应有量的{median_ratio:.1f}倍（超量开药）。",
                round(median_ratio, 2),
            ),
            Evidence(
                "pharmacy_concentration",
                f"{top_share:.0%} of the excess prescriptions were filled at the prescriber's top {cfg.top_pharmacies} "
                f"pharmacies; for prescribers in general these take {peer_share:.0%}.",
                f"超量处方中{top_share:.0%}集中在该医师最常用的{cfg.top_pharmacies}家药店，而一般医师为{peer_share:.0%}。",
                round(top_share, 3),
            ),
            Evidence(
                "surplus_share",
                f"{share:.0%} of what the ring's prescriber(s) wrote for these patients was the surplus.",
                f"该医师为这些患者开具的处方中{share:.0%}属于超量部分。",
                round(share, 3),
            ),
            Evidence(
                "prescriber_patient_pharmacy",
                f"{excess_fills} excess fills tie the prescriber(s), {len(patients)} patients and "
                f"{len(pharmacies)} pharmac{'y' if len(pharmacies) == 1 else 'ies'} into one dense group.",
                f"{excess_fills}笔超量取药将医师、{len(patients)}名患者和{len(pharmacies)}家药店紧密联系在一起。",
                float(excess_fills),
            ),
        ]
        rings.append(Ring(
            scheme=SCHEME,
            members=members,
            settlement_ids=loss.get(grp, []),
            evidence=evidence,
            features={
                "size": float(len(group)),
                "evidence_count": float(excess_fills),
                "per_member": median_ratio,
                "baseline_ratio": top_share / max(peer_share, 0.01),
                "active_days": ((last_at - first_at).total_seconds() / 86400) if first_at else 0.0,
                "signal_strength": min(1.0, 0.4 + 0.1 * min(median_ratio, 4.0) + 0.2 * top_share),
            },
        ))
    return rings
