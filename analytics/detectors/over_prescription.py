"""Over-prescription with kickbacks: prescribers, their patients and the places that fill.

A prescriber writes far more of a drug than a patient can take, the boxes
are filled at one or two cooperating pharmacies (or dispensed by the
practice itself) and resold; the prescriber gets a kickback (NHSA notices
on "超量开药").  An investigator's reasoning, step by step:

1. COORDINATION (candidates).  Per patient and drug, the units supplied
   (``quantity / max_daily_units``) against the days that elapsed, judged
   against the drug's own baseline; a patient is over-supplied at
   ``min_supply_ratio`` times that baseline.  A prescriber's surplus that
   flows repeatedly (several patients, several days) to the same filling
   place is the coordination a scheme cannot avoid.  Rings are split by
   behaviour, not by where they fill: prescribers are one ring when they
   dispense the surplus at their practice together, when colleagues send it
   to the same pharmacy, or across practices when several pharmacies (not
   one busy pharmacy) tie them; a pharmacy is a member of every ring whose surplus it
   fills, and honest doctors filling there stay out.
2. INDICATIONS, each against its own baseline, combined into one score:
   the surplus against the drug's baseline; the prescriber's share of
   over-supplied patients against the other prescribers of the drug (a
   binomial chance); the flow's concentration on the group's pharmacies
   against where the prescribers' other fills and the drug's other fills
   go; early refills against the drug's usual refill rhythm; costly
   drugs (daily cost against the other drugs); patients whose own
   diagnoses fit none of the drug's usual indications.  None is a gate.
3. EXPLANATIONS lower the score: long prescriptions whose declared days
   cover the units (the chronic patient's 60-90 day prescription, refilled
   on visits), a specialist/DTP pharmacy that fills the drug for the whole
   region (it is the drug's market, concentration means nothing there),
   palliative care (patients who died soon after the last fill).
4. Fund loss: the ring patients' fills of their over-supplied drugs written
   by the ring's prescribers at the ring's pharmacies or practice.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

import duckdb
from scipy.stats import binom

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import register_groups, rows, temp_tables
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings, OverPrescriptionSettings

SCHEME = "over_prescription"

_TEMP = ("_rs_op_sellers", "_rs_op_fills", "_rs_op_pairs", "_rs_op_baseline", "_rs_op_excess", "_rs_op_xfills",
         "_rs_op_groups", "_rs_op_drug_fit", "_rs_op_drug_cost")



# One row per settlement and drug: a prescription as filled.  Lines of one settlement are
# added up (a box per line when trace codes are recorded); `declared_days` is what the
# prescription stated, when recorded.
_FILLS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_fills AS
WITH lines AS (
    SELECT settlement_id, drug_code, sum(quantity) AS quantity, max(days_supply) AS declared_days, sum(amount) AS amount
    FROM dispensings WHERE quantity > 0 GROUP BY settlement_id, drug_code
)
SELECT l.settlement_id, coalesce(s.patient_id, c.patient_id) AS patient_id, s.prescriber_id,
       s.facility_id, f.kind AS facility_kind, coalesce(pr.facility_id = s.facility_id, false) AS own_practice,
       l.drug_code, s.settled_at, l.quantity / dr.max_daily_units AS supply_days,
       l.declared_days, l.amount, s.diagnosis_code
FROM lines l
JOIN drugs dr ON dr.drug_code = l.drug_code
JOIN settlements s ON s.settlement_id = l.settlement_id
JOIN facilities f ON f.facility_id = s.facility_id
LEFT JOIN cards c ON c.card_id = s.card_id
LEFT JOIN prescribers pr ON pr.prescriber_id = s.prescriber_id
WHERE dr.max_daily_units > 0
"""

# Each patient and drug: the supply filled before the last fill against the days it had to
# last (at least `grace` days, so one large legal fill followed by a stock-up is not excess),
# and no more than the main prescriber's own fills show (extra boxes bought without them, by a
# nursing home's proxy or a doctor shopper, are not that prescriber's flow),
# the prescriber who wrote most of it
# (ties to the larger id), refills that came before the previous fill could have been
# used up, and fills whose declared days cover their units (a long prescription).
_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_pairs AS
WITH repeated AS (
    SELECT patient_id, drug_code FROM _rs_op_fills WHERE patient_id IS NOT NULL
    GROUP BY patient_id, drug_code HAVING count(*) >= $min_fills
), pf AS (
    SELECT * FROM _rs_op_fills SEMI JOIN repeated USING (patient_id, drug_code)
), seq AS (
    SELECT *, lag(settled_at) OVER w AS prev_at, lag(supply_days) OVER w AS prev_supply,
           count(*) OVER (PARTITION BY patient_id, drug_code, prescriber_id) AS n_by_prescriber
    FROM pf
    WINDOW w AS (PARTITION BY patient_id, drug_code ORDER BY settled_at, settlement_id)
), per_pair AS (
    SELECT patient_id, drug_code, count(*) AS fills, sum(supply_days) AS supply,
           date_diff('day', min(settled_at), max(settled_at)) AS span,
           arg_max(supply_days, (settled_at, supply_days)) AS last_supply,
           arg_max(prescriber_id, CASE WHEN prescriber_id IS NOT NULL THEN (n_by_prescriber, prescriber_id) END) AS prescriber_id,
           count(prev_at) AS refills,
           count(*) FILTER (WHERE prev_at IS NOT NULL
                            AND date_diff('hour', prev_at, settled_at) / 24.0 < $early * prev_supply) AS early_refills,
           count(*) FILTER (WHERE declared_days > 0 AND supply_days <= $cover * declared_days) AS declared_cover,
           max(settled_at) AS last_at
    FROM seq GROUP BY patient_id, drug_code
), by_writer AS (
    SELECT patient_id, drug_code, prescriber_id, sum(supply_days) AS supply,
           date_diff('day', min(settled_at), max(settled_at)) AS span,
           arg_max(supply_days, (settled_at, supply_days)) AS last_supply
    FROM pf WHERE prescriber_id IS NOT NULL GROUP BY ALL
)
SELECT p.*, least((p.supply - p.last_supply) / greatest(p.span, $grace),
                  coalesce((w.supply - w.last_supply) / greatest(w.span, $grace), 0.0)) AS ratio
FROM per_pair p LEFT JOIN by_writer w
    ON w.patient_id = p.patient_id AND w.drug_code = p.drug_code AND w.prescriber_id = p.prescriber_id
"""

# The drug's own baseline: how much of it prescribers' patients usually get against the
# clinical maximum.  One vote per prescriber (the median of their patients), and a low
# quantile of those votes, so even rings that write a good part of a rare drug cannot
# lift it; with too few prescribers the clinical maximum (1.0) stands.  The same votes
# give the drug's usual early-refill rate.
_DRUG_BASELINE_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_baseline AS
WITH per_prescriber AS (
    SELECT drug_code, prescriber_id, median(ratio) AS ratio,
           sum(early_refills) / greatest(sum(refills), 1) AS early
    FROM _rs_op_pairs WHERE prescriber_id IS NOT NULL GROUP BY ALL
)
SELECT drug_code,
       CASE WHEN count(*) >= $min_prescribers THEN greatest(1.0, quantile_cont(ratio, $quantile)) ELSE 1.0 END AS baseline,
       CASE WHEN count(*) >= $min_prescribers THEN median(early) ELSE 0.0 END AS early_rate,
       count(*) AS prescribers
FROM per_prescriber GROUP BY drug_code
"""

_EXCESS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_excess AS
SELECT p.*, coalesce(b.baseline, 1.0) AS baseline, coalesce(b.early_rate, 0.0) AS early_rate
FROM _rs_op_pairs p LEFT JOIN _rs_op_baseline b ON b.drug_code = p.drug_code
WHERE p.ratio >= $min_ratio * coalesce(b.baseline, 1.0)
"""

# Patients who bought boxes that were reimbursed again elsewhere: their surplus is the
# trace_resale scheme's (a seller stocking up), not a prescriber's.
_SELLERS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_sellers AS
WITH repeated AS (
    SELECT trace_code FROM dispensings WHERE trace_code IS NOT NULL GROUP BY trace_code HAVING count(*) > 1
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

# The surplus as filled: each over-supplied patient's fills of the drug written by their main
# prescriber (a doctor shopper's many doctors are nobody's scheme).
_EXCESS_FILLS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_xfills AS
SELECT f.*, e.ratio FROM _rs_op_fills f
JOIN _rs_op_excess e ON e.patient_id = f.patient_id AND e.drug_code = f.drug_code AND e.prescriber_id = f.prescriber_id
WHERE NOT ($exclude_sellers AND f.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
"""

# Per prescriber and drug: patients and over-supplied patients; the others' rate for the drug
# leaves the prescriber out and is shrunk towards the all-drug rate by `prior` pseudo-patients.
_PRESCRIBER_SQL = """
WITH pd AS (
    SELECT p.prescriber_id, p.drug_code, count(*) AS n, count(e.patient_id) AS k
    FROM _rs_op_pairs p LEFT JOIN _rs_op_excess e USING (patient_id, drug_code)
    WHERE p.prescriber_id IS NOT NULL GROUP BY ALL
), drug AS (
    SELECT drug_code, sum(n) AS n_all, sum(k) AS k_all FROM pd GROUP BY drug_code
), everyone AS (
    SELECT greatest(sum(k), 1) / greatest(sum(n), 1) AS rate FROM pd
)
SELECT pd.prescriber_id, pd.drug_code, pd.n, pd.k,
       (drug.k_all - pd.k + $prior * everyone.rate) / (drug.n_all - pd.n + $prior) AS base_rate
FROM pd JOIN drug USING (drug_code) CROSS JOIN everyone
WHERE pd.prescriber_id IN (SELECT prescriber_id FROM _rs_op_xfills)
ORDER BY 1, 2
"""

# Flows: a prescriber's surplus to one filling place, kept when it repeats over patients and
# days.  The practice's own dispensary is a 'practice' node (a flow that qualifies the
# prescriber, but no ring member: the contract lists pharmacies).  Patients join their main
# prescriber's ring afterwards.
_FLOWS_SQL = """
WITH flow AS (
    SELECT prescriber_id, facility_id, any_value(own_practice) AS own, any_value(facility_kind) AS kind,
           count(DISTINCT patient_id) AS patients, count(DISTINCT CAST(settled_at AS DATE)) AS days,
           count(*) AS n, count(*) / sum(count(*)) OVER (PARTITION BY prescriber_id) AS share
    FROM _rs_op_xfills WHERE prescriber_id IS NOT NULL GROUP BY prescriber_id, facility_id
)
SELECT 'prescriber:' || prescriber_id,
       CASE WHEN own OR kind <> 'pharmacy' THEN 'practice:' ELSE 'facility:' END || facility_id, n
FROM flow WHERE patients >= $flow_patients AND days >= $flow_days AND share >= $share
ORDER BY 1, 2
"""

_PATIENTS_SQL = """
SELECT DISTINCT prescriber_id, patient_id FROM _rs_op_xfills WHERE prescriber_id IS NOT NULL ORDER BY 1, 2
"""


class GroupFacts(NamedTuple):
    """What the indications and explanations of one group are computed from."""

    grp: int
    patients: int
    median_excess: float  # median over patients of supply ratio / drug baseline
    early_share: float  # refills before the previous fill was used up
    early_base: float  # the drugs' usual early-refill rate
    cost_rank: float  # the drugs' daily cost, percentile among all drugs
    unfit: float  # patients whose diagnoses fit none of the drug's usual indications
    declared_cover: float  # surplus fills whose declared days cover their units
    died_soon: float  # patients who died within `palliative_days` of their last fill
    flow_share: float  # surplus fills at the group's filling places
    flow_ref: float  # where the prescribers' other fills and the drug's other fills go
    focus: float  # the group's surplus fills that are of its main surplus drug(s)


# Per drug: diagnoses that at least `fit_share` of its prescribers use on its fills (one vote
# per prescriber, so one ring cannot make its own diagnosis the drug's indication), and the
# daily cost at the clinical maximum, as a percentile among drugs.
_DRUG_FIT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_drug_fit AS
WITH votes AS (
    SELECT DISTINCT drug_code, prescriber_id, diagnosis_code FROM _rs_op_fills
    WHERE diagnosis_code IS NOT NULL AND prescriber_id IS NOT NULL
), writers AS (SELECT drug_code, count(DISTINCT prescriber_id) AS n FROM votes GROUP BY drug_code)
SELECT v.drug_code, v.diagnosis_code FROM votes v JOIN writers w USING (drug_code)
GROUP BY v.drug_code, v.diagnosis_code, w.n HAVING count(*) >= $fit_share * w.n AND w.n >= $min_prescribers
"""

_DRUG_COST_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_drug_cost AS
SELECT drug_code, percent_rank() OVER (ORDER BY daily) AS cost_rank FROM (
    SELECT drug_code, median(amount / supply_days) AS daily FROM _rs_op_fills WHERE supply_days > 0 GROUP BY drug_code)
"""

# Focus: a scheme pushes one or two drugs through all its patients; a practice's
# multi-morbid patients get a little too much of many different chronic drugs.  The share of
# everything the group's prescribers wrote for its patients that was surplus of the group's
# top `focus_drugs` surplus drugs.
_GROUP_FOCUS_SQL = """
WITH gpres AS (SELECT grp, id AS prescriber_id FROM _rs_op_groups WHERE type = 'prescriber'),
gpat AS (SELECT grp, id AS patient_id FROM _rs_op_groups WHERE type = 'patient'),
written AS (
    SELECT g.grp, f.settlement_id, f.drug_code, f.patient_id FROM _rs_op_fills f
    JOIN gpres g USING (prescriber_id) JOIN gpat t ON t.grp = g.grp AND t.patient_id = f.patient_id
), surplus AS (
    SELECT w.* FROM written w JOIN _rs_op_xfills x USING (settlement_id, drug_code)
), top AS (
    SELECT grp, drug_code, row_number() OVER (PARTITION BY grp ORDER BY count(*) DESC, drug_code) AS k
    FROM surplus GROUP BY grp, drug_code
)
SELECT w.grp, count(*) FILTER (WHERE s.settlement_id IS NOT NULL AND t.k <= $focus_drugs) / count(*)
FROM written w
LEFT JOIN surplus s ON s.grp = w.grp AND s.settlement_id = w.settlement_id AND s.drug_code = w.drug_code
LEFT JOIN top t ON t.grp = w.grp AND t.drug_code = w.drug_code
GROUP BY w.grp ORDER BY 1
"""

# One row per group: its patients' surplus pairs (with their main prescriber in the group).
# A drug with no usual diagnoses in the data (diagnoses not recorded) leaves its patients'
# fit unknown (one half), neither a sign nor an explanation.
_GROUP_PAIRS_SQL = """
WITH gp AS (
    SELECT g.grp, e.* FROM _rs_op_excess e
    JOIN _rs_op_groups g ON g.type = 'patient' AND g.id = e.patient_id
    JOIN _rs_op_groups gd ON gd.type = 'prescriber' AND gd.id = e.prescriber_id AND gd.grp = g.grp
), fits AS (
    SELECT DISTINCT gp.grp, gp.patient_id FROM gp
    JOIN settlements s ON s.patient_id = gp.patient_id
    JOIN _rs_op_drug_fit df ON df.drug_code = gp.drug_code AND df.diagnosis_code = s.diagnosis_code
), deaths AS (
    SELECT DISTINCT gp.grp, gp.patient_id FROM gp JOIN patients p USING (patient_id)
    WHERE p.death_date IS NOT NULL AND date_diff('day', CAST(gp.last_at AS DATE), p.death_date) <= $palliative
), per_patient AS (
    SELECT grp, patient_id, max(ratio / baseline) AS excess FROM gp GROUP BY ALL
)
SELECT gp.grp, count(DISTINCT gp.patient_id),
       (SELECT median(excess) FROM per_patient pp WHERE pp.grp = gp.grp),
       sum(gp.early_refills) / greatest(sum(gp.refills), 1),
       sum(gp.early_rate * gp.refills) / greatest(sum(gp.refills), 1),
       avg(coalesce(dc.cost_rank, 0.5)),
       ((SELECT count(DISTINCT patient_id) FROM gp g2 WHERE g2.grp = gp.grp
           AND g2.drug_code IN (SELECT drug_code FROM _rs_op_drug_fit))
        - (SELECT count(*) FROM fits f WHERE f.grp = gp.grp)
        + 0.5 * (SELECT count(DISTINCT patient_id) FROM gp g2 WHERE g2.grp = gp.grp
                 AND g2.drug_code NOT IN (SELECT drug_code FROM _rs_op_drug_fit))) / count(DISTINCT gp.patient_id),
       sum(gp.declared_cover) / sum(gp.fills),
       (SELECT count(*) FROM deaths d WHERE d.grp = gp.grp) / count(DISTINCT gp.patient_id)
FROM gp LEFT JOIN _rs_op_drug_cost dc USING (drug_code)
GROUP BY gp.grp ORDER BY 1
"""

# Concentration: the share of the group's surplus fills at its pharmacies, against the larger
# of where its prescribers' other fills go and the share of other prescribers' fills of the same
# drugs in the pharmacies' city that these pharmacies make (a specialist (DTP) pharmacy that
# fills a rare drug for the whole city is simply its market).  Surplus dispensed by the practice
# itself shows no concentration: every colleague dispenses there.
_GROUP_FLOW_SQL = """
WITH gpres AS (SELECT grp, id AS prescriber_id FROM _rs_op_groups WHERE type = 'prescriber'),
places AS (
    SELECT grp, id AS facility_id FROM _rs_op_groups WHERE type = 'facility'
), surplus AS (
    SELECT g.grp, x.facility_id, x.drug_code FROM _rs_op_xfills x
    JOIN gpres g USING (prescriber_id)
    JOIN _rs_op_groups gt ON gt.type = 'patient' AND gt.id = x.patient_id AND gt.grp = g.grp
), own_other AS (
    SELECT g.grp, avg(CASE WHEN pl.facility_id IS NOT NULL THEN 1.0 ELSE 0.0 END) AS share
    FROM _rs_op_fills f JOIN gpres g USING (prescriber_id)
    LEFT JOIN places pl ON pl.grp = g.grp AND pl.facility_id = f.facility_id
    WHERE NOT EXISTS (SELECT 1 FROM _rs_op_xfills x WHERE x.settlement_id = f.settlement_id AND x.drug_code = f.drug_code)
    GROUP BY g.grp
), drugs AS (SELECT DISTINCT grp, drug_code FROM surplus),
city_of AS (
    SELECT facility_id, left(region_code, $city_digits) AS city FROM facilities WHERE region_code IS NOT NULL
), cities AS (
    SELECT DISTINCT pl.grp, c.city FROM places pl JOIN city_of c USING (facility_id)
), everyone AS (
    SELECT f.drug_code, c.city, f.facility_id, count(*) AS n
    FROM _rs_op_fills f JOIN city_of c USING (facility_id) WHERE f.prescriber_id IS NOT NULL GROUP BY ALL
), own AS (
    SELECT g.grp, f.drug_code, c.city, f.facility_id, count(*) AS n
    FROM _rs_op_fills f JOIN gpres g USING (prescriber_id) JOIN city_of c USING (facility_id) GROUP BY ALL
), in_city AS (
    SELECT d.grp, sum(e.n) AS n, coalesce(sum(e.n) FILTER (WHERE pl.facility_id IS NOT NULL), 0) AS at_places
    FROM drugs d JOIN cities ct USING (grp) JOIN everyone e ON e.drug_code = d.drug_code AND e.city = ct.city
    LEFT JOIN places pl ON pl.grp = d.grp AND pl.facility_id = e.facility_id
    GROUP BY d.grp
), own_in_city AS (
    SELECT d.grp, sum(o.n) AS n, coalesce(sum(o.n) FILTER (WHERE pl.facility_id IS NOT NULL), 0) AS at_places
    FROM drugs d JOIN cities ct USING (grp) JOIN own o ON o.grp = d.grp AND o.drug_code = d.drug_code AND o.city = ct.city
    LEFT JOIN places pl ON pl.grp = d.grp AND pl.facility_id = o.facility_id
    GROUP BY d.grp
), market AS (
    SELECT i.grp, (i.at_places - coalesce(o.at_places, 0)) / nullif(i.n - coalesce(o.n, 0), 0) AS share
    FROM in_city i LEFT JOIN own_in_city o USING (grp)
)
SELECT s.grp, avg(CASE WHEN pl.facility_id IS NOT NULL THEN 1.0 ELSE 0.0 END),
       greatest(coalesce(any_value(o.share), 0.0), coalesce(any_value(m.share), 0.0))
FROM surplus s LEFT JOIN places pl ON pl.grp = s.grp AND pl.facility_id = s.facility_id
LEFT JOIN own_other o ON o.grp = s.grp LEFT JOIN market m ON m.grp = s.grp
GROUP BY s.grp ORDER BY 1
"""


def chance_of_so_many(k: int, n: int, base_rate: float) -> float:
    """P(at least ``k`` of ``n`` patients over-supplied) if this prescriber were like the others.

    The binomial upper tail: three of three patients at a 9 % drug rate is a 1-in-1,400
    chance, two of two at 55 % is an everyday 1-in-3.  It weighs count and rate together,
    so a doctor with a handful of patients and a hospital with hundreds are judged alike.
    """
    return float(binom.sf(k - 1, n, min(max(base_rate, 1e-9), 1.0)))


def _prescriber_views(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings) -> dict[str, tuple[int, int, float]]:
    """Per prescriber their most telling drug: (over-supplied patients, patients, others' rate).

    A scheme pushes one or two drugs; the drug whose count is least likely by chance
    against the other prescribers of it is the prescriber's view for the group test.
    """
    best: dict[str, tuple[float, int, int, float]] = {}
    for prescriber, _drug, n, k, rate in rows(con, _PRESCRIBER_SQL, {"prior": cfg.baseline_prior_patients}):
        if k == 0:
            continue
        chance = chance_of_so_many(k, n, rate)
        if chance < best.get(prescriber, (2.0,))[0]:
            best[prescriber] = (chance, k, n, rate)
    return {p: (k, n, rate) for p, (_c, k, n, rate) in best.items()}


def group_chance(prescribers: list[str], views: dict[str, tuple[int, int, float]]) -> float:
    """The chance test for a group's prescribers taken together (their telling view each).

    Colleagues who each look only mildly odd can make a very unlikely group; a busy
    doctor with a couple of over-supplied patients among many stays likely.
    """
    known = [views[p] for p in prescribers if p in views]
    k = sum(v[0] for v in known)
    n = sum(v[1] for v in known)
    expected = sum(v[1] * v[2] for v in known)
    return chance_of_so_many(k, n, expected / n) if n else 1.0


class Assessment(NamedTuple):
    """A group's indications (0-1 each), explanations (0-1 each) and combined score."""

    surplus: float
    unusual: float
    concentration: float
    early: float
    costly: float
    unfit: float
    focus: float
    long_prescription: float
    palliative: float
    score: float


def assess(facts: GroupFacts, chance: float, cfg: OverPrescriptionSettings) -> Assessment:
    """Indications against their baselines, averaged with their weights, minus explanations.

    Each indication is scaled to 0-1 at the point where an investigator would call it
    clear: supply four times the drug's baseline, a 1-in-10,000 chance, all surplus at
    places nobody else sends it to, every refill early where the drug's patients are on
    time, the costliest drug, no patient whose diagnoses fit the drug.  None decides
    alone; the weighted mean does.  Explanations then subtract: a long prescription
    whose declared days cover the units, patients in palliative care.
    """
    surplus = _clip(math.log2(max(facts.median_excess, 1.0)) / 2.0)
    unusual = _clip(-math.log10(max(chance, 1e-300)) / 4.0)
    concentration = _clip((facts.flow_share - facts.flow_ref) / max(1.0 - facts.flow_ref, 1e-9))
    early = _clip((facts.early_share - facts.early_base) / max(1.0 - facts.early_base, 1e-9))
    weights = cfg.indication_weights
    values = (surplus, unusual, concentration, early, facts.cost_rank, facts.unfit, facts.focus)
    mean = sum(w * v for w, v in zip(weights, values)) / sum(weights)
    score = mean - cfg.long_prescription_weight * facts.declared_cover - cfg.palliative_weight * facts.died_soon
    return Assessment(surplus, unusual, concentration, early, facts.cost_rank, facts.unfit, facts.focus,
                      facts.declared_cover, facts.died_soon, score)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _prepare(con: duckdb.DuckDBPyConnection, settings: DetectionSettings) -> None:
    """The named SQL steps up to the surplus fills (tables ``_rs_op_*``)."""
    cfg = settings.over_prescription
    con.execute(_FILLS_SQL)
    con.execute(_PAIRS_SQL, {"grace": cfg.grace_days, "min_fills": cfg.min_fills,
                             "early": cfg.early_refill_fraction, "cover": cfg.declared_cover_tolerance})
    con.execute(_DRUG_BASELINE_SQL, {"min_prescribers": cfg.baseline_min_prescribers,
                                     "quantile": cfg.baseline_quantile})
    con.execute(_EXCESS_SQL, {"min_ratio": cfg.min_supply_ratio})
    con.execute(_SELLERS_SQL, {"min_boxes": settings.trace_resale.min_resold_boxes_per_seller})
    con.execute(_EXCESS_FILLS_SQL, {"exclude_sellers": cfg.exclude_resale_sellers})


# Every pharmacy a prescriber's surplus reached (once is enough here), with the prescriber's
# practice: colleagues already share the practice, one shared pharmacy on top ties them.
_PRACTICE_SQL = """
SELECT DISTINCT x.prescriber_id, coalesce(pr.facility_id, x.prescriber_id), x.facility_id FROM _rs_op_xfills x
LEFT JOIN prescribers pr USING (prescriber_id)
WHERE x.prescriber_id IS NOT NULL AND NOT x.own_practice AND x.facility_kind = 'pharmacy' ORDER BY ALL
"""


def _groups(con: duckdb.DuckDBPyConnection, settings: DetectionSettings,
            engine: CommunityEngine | None) -> tuple[list[list[str]], list[tuple]]:
    """Rings split by behaviour, not by one shared place (see ``_ties``).  Each ring then holds
    every pharmacy its prescribers' repeated surplus flows reach (a pharmacy may be a member of
    several rings) and the prescribers' over-supplied patients."""
    cfg = settings.over_prescription
    flow_rows = rows(con, _FLOWS_SQL, {"flow_patients": cfg.flow_min_patients, "flow_days": cfg.flow_min_days,
                                       "share": cfg.pharmacy_share})
    reached = [(f"prescriber:{p}", practice, f"facility:{f}") for p, practice, f in rows(con, _PRACTICE_SQL)]
    comps = find_groups(WeightedEdges.from_rows(_ties(flow_rows, reached, cfg.unit_min_shared_places)), engine,
                        cfg.leiden_above, cfg.leiden_resolution, settings.seed, cfg.split_min_modularity)
    places: dict[str, set[str]] = defaultdict(set)
    for prescriber, place, _n in flow_rows:
        if place.startswith("facility:"):
            places[prescriber].add(place)
    patients: dict[str, list[str]] = defaultdict(list)
    for prescriber, patient in rows(con, _PATIENTS_SQL):
        patients[f"prescriber:{prescriber}"].append(f"patient:{patient}")
    groups = [g for g in (sorted(k for k in c if k.startswith("prescriber:")) for c in comps) if g]
    grouped = {k for g in groups for k in g}
    groups += [[p] for p in sorted(patients) if p not in grouped]
    groups = [g + sorted({f for k in g for f in places.get(k, ())}) + sorted({pt for k in g for pt in patients.get(k, [])})
              for g in groups]
    edge_rows = flow_rows + [(p, pt, 1) for p, pts in sorted(patients.items()) for pt in pts]
    return groups, edge_rows


def _ties(flow_rows: list[tuple], reached: list[tuple[str, str, str]], min_places: int) -> list[tuple]:
    """What ties prescribers into one ring: more than one shared place.

    A busy pharmacy fills for many prescribers and sometimes for two rings: one pharmacy in
    common is no tie (nor is the same common drug filled there: honest doctors write it too),
    and neither is one hospital alone (a large one has hundreds of doctors).  Prescribers with
    repeated surplus flows are tied when they dispense the surplus at their own practice
    together (a practice node), when colleagues of one practice send surplus to the same
    pharmacy (practice and pharmacy: two places in common), and across practices when their
    repeated flows reach ``min_places`` pharmacies in common (a ring that absorbed another and
    moved its fills to the same pharmacies).  Only prescribers with repeated surplus flows
    take part, so the pairs stay few even at a hub pharmacy.
    """
    flowing = {r[0] for r in flow_rows}
    links: list[tuple] = [(p, place, 1.0) for p, place, _n in flow_rows if place.startswith("practice:")]
    links += [(p, f"at:{practice}|{place}", 1.0) for p, practice, place in reached if p in flowing]
    places: dict[str, set[str]] = defaultdict(set)
    for prescriber, place, _n in flow_rows:
        if place.startswith("facility:"):
            places[prescriber].add(place)
    at_place: dict[str, list[str]] = defaultdict(list)
    for prescriber in sorted(places):
        for place in places[prescriber]:
            at_place[place].append(prescriber)
    pairs: set[tuple[str, str]] = set()
    for prescribers in at_place.values():
        for i, a in enumerate(prescribers):
            pairs.update((a, b) for b in prescribers[i + 1:] if len(places[a] & places[b]) >= min_places)
    return links + [(a, b, 1.0) for a, b in sorted(pairs)]


def _group_facts(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings,
                 groups: list[list[str]]) -> dict[int, GroupFacts]:
    """Per group the numbers behind its indications and explanations (two set-based queries)."""
    register_groups(con, "_rs_op_groups", groups)
    con.execute(_DRUG_FIT_SQL, {"fit_share": cfg.indication_fit_share, "min_prescribers": cfg.baseline_min_prescribers})
    con.execute(_DRUG_COST_SQL)
    flows = {r[0]: (r[1], r[2]) for r in rows(con, _GROUP_FLOW_SQL, {"city_digits": cfg.market_region_digits})}
    focus: dict[int, int] = dict(rows(con, _GROUP_FOCUS_SQL, {"focus_drugs": cfg.focus_drugs}))
    out = {}
    for grp, n, excess, early, early_base, cost, unfit, cover, died in rows(
            con, _GROUP_PAIRS_SQL, {"palliative": cfg.palliative_days}):
        share, ref = flows.get(grp, (0.0, 1.0))
        out[grp] = GroupFacts(grp, n, float(excess), float(early), float(early_base), float(cost), float(unfit),
                              float(cover), float(died), float(share), float(ref), float(focus.get(grp, 0.0)))
    return out


def _attach_milder_patients(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings,
                            groups: list[list[str]]) -> dict[str, float]:
    """Add to each ring the patients of its prescribers with a milder surplus filled at its places.

    The ring's context makes a weaker signal meaningful: a patient with a sustained
    half-again surplus, filled mostly where the ring's surplus goes.  A patient already in
    a ring stays; one who qualifies for two joins the ring whose places filled more.
    """
    if cfg.attach_min_ratio >= cfg.min_supply_ratio or not groups:
        return {}
    found = rows(con, _WEAK_FILLS_SQL, {"attach_ratio": cfg.attach_min_ratio, "exclude_sellers": cfg.exclude_resale_sellers})
    placed = {k for g in groups for k in g if k.startswith("patient:")}
    ring_of = {k.split(":", 1)[1]: i for i, g in enumerate(groups) for k in g if k.startswith("prescriber:")}
    places = [{k.split(":", 1)[1] for k in g if k.startswith(("facility:", "practice:"))} for g in groups]
    tally: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    ratio_of: dict[str, float] = {}
    for patient, ratio, prescriber, facility, n in found:
        ring = ring_of.get(prescriber)
        if ring is None or f"patient:{patient}" in placed:
            continue
        t = tally[(patient, ring)]
        t[0] += n if facility in places[ring] else 0
        t[1] += n
        ratio_of[patient] = max(ratio_of.get(patient, 0.0), ratio)
    best: dict[str, tuple[int, int]] = {}
    for (patient, ring), (at_ring, total) in sorted(tally.items()):
        if total and at_ring / total >= cfg.attach_pharmacy_share and at_ring > best.get(patient, (0, -1))[0]:
            best[patient] = (at_ring, ring)
    for patient, (_n, ring) in sorted(best.items()):
        groups[ring].append(f"patient:{patient}")
    return {p: ratio_of[p] for p in best}


_WEAK_FILLS_SQL = """
WITH weak AS (
    SELECT p.patient_id, p.drug_code, p.prescriber_id, p.ratio
    FROM _rs_op_pairs p LEFT JOIN _rs_op_baseline b ON b.drug_code = p.drug_code
    WHERE p.ratio >= $attach_ratio * coalesce(b.baseline, 1.0)
)
SELECT f.patient_id, w.ratio, f.prescriber_id, f.facility_id, count(*) AS n
FROM _rs_op_fills f JOIN weak w ON w.patient_id = f.patient_id AND w.drug_code = f.drug_code AND w.prescriber_id = f.prescriber_id
WHERE NOT ($exclude_sellers AND f.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
GROUP BY ALL ORDER BY ALL
"""

# The ring's transactions: its patients' fills of their over-supplied drugs written by the
# ring's prescribers at the ring's pharmacies or practice.
_LOSS_SQL = """
WITH g AS (SELECT * FROM _rs_op_groups)
SELECT DISTINCT gp.grp, f.settlement_id
FROM _rs_op_fills f
JOIN g gp ON gp.type = 'prescriber' AND gp.id = f.prescriber_id
JOIN g gt ON gt.type = 'patient' AND gt.id = f.patient_id AND gt.grp = gp.grp
JOIN _rs_op_pairs sp ON sp.patient_id = f.patient_id AND sp.drug_code = f.drug_code
LEFT JOIN _rs_op_baseline b ON b.drug_code = f.drug_code
WHERE (f.own_practice OR EXISTS (SELECT 1 FROM g gf WHERE gf.type = 'facility' AND gf.id = f.facility_id AND gf.grp = gp.grp))
  AND sp.ratio >= $attach * coalesce(b.baseline, 1.0)
ORDER BY 1, 2
"""


def detect_over_prescription(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Prescribers whose surplus flows repeatedly to the same places, scored on combined indications.

    Members: prescribers (``prescriber``), their over-supplied patients (``patient``),
    the pharmacies that filled the surplus (``pharmacy``).
    """
    cfg = settings.over_prescription
    with temp_tables(con, *_TEMP):
        _prepare(con, settings)
        views = _prescriber_views(con, cfg)
        groups, edge_rows = _groups(con, settings, engine)
        groups = [g for g in groups if sum(k.startswith("patient:") for k in g) >= cfg.min_patients]
        if not groups:
            return []
        facts = _group_facts(con, cfg, groups)
        keep = _verdicts(groups, facts, views, cfg)
        kept = [g for _i, g, _a in keep]
        weak_ratios = _attach_milder_patients(con, cfg, kept)
        register_groups(con, "_rs_op_groups", kept)
        loss: dict[int, list[str]] = defaultdict(list)
        for grp, sid in rows(con, _LOSS_SQL, {"attach": min(cfg.attach_min_ratio, cfg.min_supply_ratio)}):
            loss[grp].append(sid)
        ratios = {**weak_ratios, **dict(rows(con, "SELECT patient_id, max(ratio) FROM _rs_op_excess GROUP BY 1"))}
        period = {r[0]: (r[1], r[2]) for r in rows(con, """
            SELECT g.grp, min(x.settled_at), max(x.settled_at) FROM _rs_op_xfills x
            JOIN _rs_op_groups g ON g.type = 'patient' AND g.id = x.patient_id GROUP BY 1""")}
    return [_ring(group, verdict, facts[orig], loss.get(i, []), ratios, period.get(i), edge_rows)
            for i, (orig, group, verdict) in enumerate(keep)]


def _verdicts(groups: list[list[str]], facts: dict[int, GroupFacts], views: dict[str, tuple[int, int, float]],
              cfg: OverPrescriptionSettings) -> list[tuple[int, list[str], Assessment]]:
    """The groups whose combined score reaches ``min_score``, with their group number and assessment."""
    keep = []
    for grp, group in enumerate(groups):
        f = facts.get(grp)
        if f is None or f.patients < cfg.min_patients:
            continue
        prescribers = [k.split(":", 1)[1] for k in group if k.startswith("prescriber:")]
        verdict = assess(f, group_chance(prescribers, views), cfg)
        if verdict.score >= cfg.min_score:
            keep.append((grp, list(group), verdict))
    return keep


def _ring(group: list[str], a: Assessment, f: GroupFacts, settlement_ids: list[str], ratios: dict[str, float],
          period: tuple | None, edge_rows: list[tuple]) -> Ring:
    """The reported ring: members with roles, evidence an investigator reads, features for scoring."""
    prescribers = [k.split(":", 1)[1] for k in group if k.startswith("prescriber:")]
    patients = [k.split(":", 1)[1] for k in group if k.startswith("patient:")]
    pharmacies = [k.split(":", 1)[1] for k in group if k.startswith("facility:")]
    keys = set(group)
    ring_edges = [e for e in edge_rows if e[0] in keys and e[1] in keys]
    organizer = top_node(centrality(ring_edges), "prescriber:")
    members = [Member("prescriber", p, "organizer" if f"prescriber:{p}" == organizer else "prescriber") for p in prescribers]
    members += [Member("facility", ph, "pharmacy") for ph in pharmacies]
    members += [Member("patient", p, "patient") for p in patients]
    pat_ratios = sorted(ratios.get(p, 0.0) for p in patients)
    median_ratio = pat_ratios[len(pat_ratios) // 2]
    first_at, last_at = period or (None, None)
    return Ring(
        scheme=SCHEME, members=members, settlement_ids=settlement_ids, evidence=_evidence(len(prescribers), patients, pharmacies, median_ratio, a, f),
        features={
            "size": float(len(group)),
            "evidence_count": float(len(settlement_ids)),
            "per_member": median_ratio,
            "baseline_ratio": f.median_excess,
            "active_days": ((last_at - first_at).total_seconds() / 86400) if first_at else 0.0,
            "signal_strength": _clip(a.score),
        },
    )


def _evidence(n_prescribers: int, patients: list[str], pharmacies: list[str], median_ratio: float,
              a: Assessment, f: GroupFacts) -> list[Evidence]:
    """The indications in an investigator's words, each with its baseline."""
    n = len(patients)
    out = [
        Evidence("excess_supply",
                 f"{n} patients of {n_prescribers} prescriber(s) received a median {median_ratio:.1f} times the supply "
                 f"the clinical daily maximum allows for the time that passed ({f.median_excess:.1f} times what the "
                 f"drug's prescribers usually give).",
                 f"{n_prescribers}名医师的{n}名患者获得的药量中位数为按最大日用量计算应有量的{median_ratio:.1f}倍"
                 f"（为该药一般处方量的{f.median_excess:.1f}倍）。",
                 round(median_ratio, 2)),
        Evidence("unusual_prescriber",
                 f"So many over-supplied patients among the prescriber(s)' patients of the drug would happen by chance "
                 f"at the other prescribers' rate with strength {a.unusual:.2f} (1 = less than 1 in 10,000).",
                 f"与同药其他医师相比，该医师超量患者之多难以用偶然解释（强度{a.unusual:.2f}）。",
                 round(a.unusual, 3)),
        Evidence("pharmacy_concentration",
                 f"{f.flow_share:.0%} of the surplus was filled at the ring's "
                 f"{'pharmacies' if pharmacies else 'practice'}; the prescribers' other fills and other prescribers' "
                 f"fills of the same drugs go there {f.flow_ref:.0%}.",
                 f"超量处方中{f.flow_share:.0%}集中在该团伙的取药机构，而该医师其他处方及同药其他医师处方仅{f.flow_ref:.0%}。",
                 round(f.flow_share, 3)),
        Evidence("early_refills",
                 f"{f.early_share:.0%} of refills came before the previous supply could have been used up "
                 f"(usual for these drugs: {f.early_base:.0%}).",
                 f"{f.early_share:.0%}的续药发生在上次药量用完之前（该药一般为{f.early_base:.0%}）。",
                 round(f.early_share, 3)),
        Evidence("costly_drug",
                 f"The drugs' daily cost ranks above {f.cost_rank:.0%} of the drugs dispensed; "
                 f"{f.unfit:.0%} of the patients have no diagnosis that fits the drug's usual indications.",
                 f"该药日费用高于{f.cost_rank:.0%}的药品；{f.unfit:.0%}的患者无与该药常见适应症相符的诊断。",
                 round(f.cost_rank, 3)),
    ]
    if f.declared_cover > 0 or f.died_soon > 0:
        out.append(Evidence("explanations_weighed",
                            f"Weighed against: {f.declared_cover:.0%} of the fills were long prescriptions whose declared "
                            f"days cover the units; {f.died_soon:.0%} of the patients died soon after (palliative care).",
                            f"已考虑的合理解释：{f.declared_cover:.0%}的处方为申报天数覆盖药量的长处方；"
                            f"{f.died_soon:.0%}的患者在末次取药后不久死亡（安宁疗护）。",
                            round(f.declared_cover, 3)))
    return out
