"""Over-prescription, step 2: what a prescriber group's surplus looks like, as numbers.

Each fact is measured against its own baseline (the drug's other prescribers, the places
the prescribers' other fills go, the drug's usual indications and cost), so that the score
says how unusual the group is, not how large.
"""
from __future__ import annotations

from typing import NamedTuple


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
    roster: float  # patients whose drug colleagues wrote in turn and dispensed at their practice
    flow_share: float  # surplus fills at the group's filling places
    flow_ref: float  # where the prescribers' other fills and the drug's other fills go
    focus: float  # the group's surplus fills that are of its main surplus drug(s)


# Per drug: diagnoses that at least `fit_share` of its prescribers use on its fills (one vote
# per prescriber, so one ring cannot make its own diagnosis the drug's indication), and the
# daily cost at the clinical maximum, as a percentile among drugs.
DRUG_FIT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_drug_fit AS
WITH votes AS (
    SELECT DISTINCT drug_code, prescriber_id, diagnosis_code FROM _rs_op_fills
    WHERE diagnosis_code IS NOT NULL AND prescriber_id IS NOT NULL
), writers AS (SELECT drug_code, count(DISTINCT prescriber_id) AS n FROM votes GROUP BY drug_code)
SELECT v.drug_code, v.diagnosis_code FROM votes v JOIN writers w USING (drug_code)
GROUP BY v.drug_code, v.diagnosis_code, w.n HAVING count(*) >= $fit_share * w.n AND w.n >= $min_prescribers
"""

DRUG_COST_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_drug_cost AS
SELECT drug_code, percent_rank() OVER (ORDER BY daily) AS cost_rank FROM (
    SELECT drug_code, median(amount / supply_days) AS daily FROM _rs_op_fills WHERE supply_days > 0 GROUP BY drug_code)
"""

# Focus: a scheme pushes one or two drugs through all its patients; a practice's
# multi-morbid patients get a little too much of many different chronic drugs.  The share of
# everything the group's prescribers wrote for its patients that was surplus of the group's
# top `focus_drugs` surplus drugs (whichever of them wrote it: after a handover the new
# prescriber writes the same surplus).
GROUP_FOCUS_SQL = """
WITH gpres AS (SELECT grp, id AS prescriber_id FROM _rs_op_groups WHERE type = 'prescriber'),
gpat AS (SELECT grp, id AS patient_id FROM _rs_op_groups WHERE type = 'patient'),
written AS (
    SELECT g.grp, f.prescriber_id, f.settlement_id, f.drug_code, f.patient_id FROM _rs_op_fills f
    JOIN gpres g USING (prescriber_id) JOIN gpat t ON t.grp = g.grp AND t.patient_id = f.patient_id
), surplus AS (
    SELECT w.* FROM written w SEMI JOIN _rs_op_excess e USING (patient_id, drug_code)
), top AS (
    SELECT grp, prescriber_id, drug_code,
           row_number() OVER (PARTITION BY grp, prescriber_id ORDER BY count(*) DESC, drug_code) AS k
    FROM surplus GROUP BY grp, prescriber_id, drug_code
)
SELECT w.grp, count(*) FILTER (WHERE s.settlement_id IS NOT NULL AND t.k <= $focus_drugs) / count(*)
FROM written w
LEFT JOIN surplus s ON s.grp = w.grp AND s.settlement_id = w.settlement_id AND s.drug_code = w.drug_code
LEFT JOIN top t ON t.grp = w.grp AND t.prescriber_id = w.prescriber_id AND t.drug_code = w.drug_code
GROUP BY w.grp ORDER BY 1
"""

# One row per group: its patients' surplus pairs (with their main prescriber in the group).
# A drug with no usual diagnoses in the data (diagnoses not recorded) leaves its patients'
# fit unknown (one half), neither a sign nor an explanation.
GROUP_PAIRS_SQL = """
WITH gp AS (
    SELECT g.grp, e.*, coalesce(pe.early_rate, 0.0) AS early_rate FROM _rs_op_excess e
    JOIN _rs_op_groups g ON g.type = 'patient' AND g.id = e.patient_id
    LEFT JOIN _rs_op_peers pe ON pe.drug_code = e.drug_code
    JOIN _rs_op_groups gd ON gd.type = 'prescriber' AND gd.id = e.prescriber_id AND gd.grp = g.grp
), fits AS (
    SELECT DISTINCT gp.grp, gp.patient_id FROM gp
    JOIN settlements s ON s.patient_id = gp.patient_id
    JOIN _rs_op_drug_fit df ON df.drug_code = gp.drug_code AND df.diagnosis_code = s.diagnosis_code
), deaths AS (
    SELECT DISTINCT gp.grp, gp.patient_id FROM gp JOIN patients p USING (patient_id)
    WHERE p.death_date IS NOT NULL AND date_diff('day', CAST(gp.last_at AS DATE), p.death_date) <= $palliative
), per_patient AS (
    SELECT grp, patient_id, max(ratio / baseline) AS excess, max(roster_writers) >= $roster AS roster
    FROM gp GROUP BY ALL
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
       (SELECT count(*) FROM deaths d WHERE d.grp = gp.grp) / count(DISTINCT gp.patient_id),
       (SELECT avg(CASE WHEN roster THEN 1.0 ELSE 0.0 END) FROM per_patient pp WHERE pp.grp = gp.grp)
FROM gp LEFT JOIN _rs_op_drug_cost dc USING (drug_code)
GROUP BY gp.grp ORDER BY 1
"""

# Concentration: the share of the group's surplus fills at its pharmacies, against the larger
# of where its prescribers' other fills go and the share of other prescribers' fills of the same
# drugs in the pharmacies' city that these pharmacies make (a specialist (DTP) pharmacy that
# fills a rare drug for the whole city is simply its market).  Surplus dispensed by the practice
# itself shows no concentration: every colleague dispenses there.
GROUP_FLOW_SQL = """
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
