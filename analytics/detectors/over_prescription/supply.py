"""Over-prescription, step 1: over-supplied patients and the flows of their surplus.

Units supplied against days elapsed, judged against the drug's own baseline (the lower
quartile of its prescribers' votes), so a drug whose listed maximum is off does not make
every prescriber look guilty; a prescriber's surplus that keeps flowing to one place is
the coordination a scheme cannot avoid.
"""
from __future__ import annotations

NAME = "over_prescription"

TEMP = ("_rs_op_sellers", "_rs_op_fills", "_rs_op_pairs", "_rs_op_baseline", "_rs_op_excess", "_rs_op_xfills",
         "_rs_op_groups", "_rs_op_drug_fit", "_rs_op_drug_cost", "_rs_op_suspects", "_rs_op_peers")



# One row per settlement and drug: a prescription as filled.  Lines of one settlement are
# added up (a box per line when trace codes are recorded); `declared_days` is what the
# prescription stated, when recorded.
FILLS_SQL = """
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
# used up, fills whose declared days cover their units (a long prescription), and how many
# prescribers wrote it (a roster: dialysis sessions, a clinic whose doctors take turns).
PAIRS_SQL = """
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
           count(DISTINCT prescriber_id) AS roster_writers,
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

# The drug's own baseline: how much of it its ordinary prescribers' patients usually get
# against the clinical maximum.  One vote per practice (the median of its prescribers'
# patients): the doctors of one practice share its habits, and a ring's doctors share its
# practice, so a ring of three doctors votes once.  A low quantile of those votes, so rings
# that write a good part of a rare drug cannot lift it; with too few practices the clinical
# maximum (1.0) stands.  Suspects (prescribers with a repeated surplus flow, found against a
# first baseline of every practice) do not vote: in a large population a pushed drug may be
# written by more rings than honest practices, and the rings would then set its norm.
DRUG_BASELINE_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_baseline AS
WITH per_practice AS (
    SELECT p.drug_code, coalesce(pr.facility_id, p.prescriber_id) AS practice, median(p.ratio) AS ratio
    FROM _rs_op_pairs p LEFT JOIN prescribers pr USING (prescriber_id)
    WHERE p.prescriber_id IS NOT NULL AND p.prescriber_id NOT IN (SELECT id FROM _rs_op_suspects) GROUP BY ALL
)
SELECT drug_code,
       CASE WHEN count(*) >= $min_prescribers THEN greatest(1.0, quantile_cont(ratio, $quantile)) ELSE 1.0 END AS baseline,
       count(*) AS practices
FROM per_practice GROUP BY drug_code
"""

# Suspects: prescribers whose surplus flows repeatedly to one place (the candidates).  The
# drug's usual early-refill rate is its peers': the prescribers of it who are not suspects,
# one vote each (the median); an investigator compares a suspect with ordinary colleagues,
# not with other suspects, so where rings write most of a drug they do not set its norm.
PEERS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_peers AS
WITH per_prescriber AS (
    SELECT drug_code, prescriber_id, sum(early_refills) / greatest(sum(refills), 1) AS early
    FROM _rs_op_pairs WHERE prescriber_id IS NOT NULL
      AND prescriber_id NOT IN (SELECT id FROM _rs_op_suspects) GROUP BY ALL
)
SELECT drug_code, CASE WHEN count(*) >= $min_prescribers THEN median(early) ELSE 0.0 END AS early_rate
FROM per_prescriber GROUP BY drug_code
"""

EXCESS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_excess AS
SELECT p.*, coalesce(b.baseline, 1.0) AS baseline
FROM _rs_op_pairs p LEFT JOIN _rs_op_baseline b ON b.drug_code = p.drug_code
WHERE p.ratio >= $min_ratio * coalesce(b.baseline, 1.0)
"""

# Patients who bought boxes that were reimbursed again elsewhere: their surplus is the
# trace_resale scheme's (a seller stocking up), not a prescriber's.
SELLERS_SQL = """
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
EXCESS_FILLS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_op_xfills AS
SELECT f.*, e.ratio FROM _rs_op_fills f
JOIN _rs_op_excess e ON e.patient_id = f.patient_id AND e.drug_code = f.drug_code AND e.prescriber_id = f.prescriber_id
WHERE NOT ($exclude_sellers AND f.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
"""

# Per prescriber and drug: patients and over-supplied patients; the others' rate for the drug
# is its peers' (prescribers of it who are not suspects, the prescriber left out), shrunk
# towards the peers' all-drug rate by `prior` pseudo-patients.
PRESCRIBER_SQL = """
WITH pd AS (
    SELECT p.prescriber_id, p.drug_code, count(*) AS n, count(e.patient_id) AS k, s.id IS NULL AS peer
    FROM _rs_op_pairs p LEFT JOIN _rs_op_excess e USING (patient_id, drug_code)
    LEFT JOIN _rs_op_suspects s ON s.id = p.prescriber_id  -- one row per suspect: no pair is repeated
    WHERE p.prescriber_id IS NOT NULL GROUP BY ALL
), drug AS (
    SELECT drug_code, sum(n) FILTER (WHERE peer) AS n_all, sum(k) FILTER (WHERE peer) AS k_all FROM pd GROUP BY drug_code
), everyone AS (
    SELECT greatest(sum(k), 1) / greatest(sum(n), 1) AS rate FROM pd WHERE peer
)
SELECT pd.prescriber_id, pd.drug_code, pd.n, pd.k,
       (coalesce(drug.k_all, 0) - CASE WHEN pd.peer THEN pd.k ELSE 0 END + $prior * everyone.rate)
       / (coalesce(drug.n_all, 0) - CASE WHEN pd.peer THEN pd.n ELSE 0 END + $prior) AS base_rate
FROM pd JOIN drug USING (drug_code) CROSS JOIN everyone
WHERE pd.prescriber_id IN (SELECT prescriber_id FROM _rs_op_xfills)
ORDER BY 1, 2
"""

# Flows: a prescriber's surplus to one filling place, kept when it repeats over patients and
# days, or when the practice's surplus to that pharmacy repeats (at least two colleagues
# together on `flow_days` days: a ring of three doctors with a patient each).  The practice's own dispensary is a 'practice' node (a flow that qualifies the
# prescriber, but no ring member: the contract lists pharmacies).  Patients join their main
# prescriber's ring afterwards.
FLOWS_SQL = """
WITH flow AS (
    SELECT prescriber_id, facility_id, any_value(own_practice) AS own, any_value(facility_kind) AS kind,
           count(DISTINCT patient_id) AS patients, count(DISTINCT CAST(settled_at AS DATE)) AS days,
           count(*) AS n, count(*) / sum(count(*)) OVER (PARTITION BY prescriber_id) AS share
    FROM _rs_op_xfills WHERE prescriber_id IS NOT NULL GROUP BY prescriber_id, facility_id
), practice_of AS (
    SELECT DISTINCT x.prescriber_id, coalesce(pr.facility_id, x.prescriber_id) AS practice
    FROM _rs_op_xfills x LEFT JOIN prescribers pr USING (prescriber_id) WHERE x.prescriber_id IS NOT NULL
), colleagues AS (
    SELECT po.practice, x.facility_id, count(DISTINCT x.prescriber_id) AS writers,
           count(DISTINCT CAST(x.settled_at AS DATE)) AS days
    FROM _rs_op_xfills x JOIN practice_of po USING (prescriber_id)
    WHERE NOT x.own_practice AND x.facility_kind = 'pharmacy' GROUP BY ALL
)
SELECT 'prescriber:' || f.prescriber_id,
       CASE WHEN f.own OR f.kind <> 'pharmacy' THEN 'practice:' ELSE 'facility:' END || f.facility_id, f.n
FROM flow f JOIN practice_of po USING (prescriber_id)
LEFT JOIN colleagues c ON c.practice = po.practice AND c.facility_id = f.facility_id
WHERE f.patients >= $flow_patients AND f.share >= $share
  AND (f.days >= $flow_days OR (c.writers >= 2 AND c.days >= $flow_days))
ORDER BY 1, 2
"""

# Handover: over-supplied patients whom two prescribers each wrote a surplus drug again and
# again (a ring that took over another ring's patients keeps over-supplying them, with its own
# pushed drug or theirs).  Counted per prescriber pair over the patients they share; a doctor
# shopper's doctors share one patient, not several, and honest colleagues' shared patients are
# not over-supplied.  Colleagues of one practice stand in for each other (a shift, a holiday),
# so there each must have written the drug repeatedly; prescribers of two practices have no
# such routine, and patients passing between their surplus flows (a merged ring whose patients
# see its doctors in turn, once or twice each) tie them on one fill each.
SHARED_PATIENTS_SQL = """
WITH writers AS (
    SELECT f.patient_id, f.drug_code, f.prescriber_id, coalesce(pr.facility_id, f.prescriber_id) AS practice,
           count(*) AS fills
    FROM _rs_op_fills f
    SEMI JOIN _rs_op_excess e ON e.patient_id = f.patient_id AND e.drug_code = f.drug_code
    LEFT JOIN prescribers pr ON pr.prescriber_id = f.prescriber_id
    WHERE f.prescriber_id IS NOT NULL
      AND NOT ($exclude_sellers AND f.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
    GROUP BY ALL
)
SELECT 'prescriber:' || a.prescriber_id, 'prescriber:' || b.prescriber_id, count(DISTINCT a.patient_id)
FROM writers a JOIN writers b ON b.patient_id = a.patient_id AND a.prescriber_id < b.prescriber_id
WHERE a.practice <> b.practice OR (a.fills >= $min_fills AND b.fills >= $min_fills)
GROUP BY ALL HAVING count(DISTINCT a.patient_id) >= $min_patients ORDER BY ALL
"""

# A group's late patients: too few fills to measure over time (`min_fills`), but the refill of a
# drug the prescriber over-supplies, written by the group's prescriber and filled at the group's
# pharmacy, came before `early` of the previous fill's supply was used (a ring's patient who
# joined near the end of the data).  Counted with the group, never a candidate on their own.
LATE_PATIENTS_SQL = """
WITH seq AS (
    SELECT patient_id, drug_code, prescriber_id, facility_id, settled_at,
           lag(settled_at) OVER w AS prev_at, lag(supply_days) OVER w AS prev_supply,
           count(*) OVER (PARTITION BY patient_id, drug_code) AS fills
    FROM _rs_op_fills WHERE patient_id IS NOT NULL
    WINDOW w AS (PARTITION BY patient_id, drug_code ORDER BY settled_at, settlement_id)
), pushed AS (
    SELECT DISTINCT prescriber_id, drug_code FROM _rs_op_xfills WHERE prescriber_id IS NOT NULL
)
SELECT DISTINCT gp.grp, s.patient_id FROM seq s
JOIN pushed USING (prescriber_id, drug_code)
JOIN _rs_op_groups gp ON gp.type = 'prescriber' AND gp.id = s.prescriber_id
JOIN _rs_op_groups gf ON gf.type = 'facility' AND gf.id = s.facility_id AND gf.grp = gp.grp
WHERE s.fills < $min_fills AND s.prev_at IS NOT NULL
  AND date_diff('hour', s.prev_at, s.settled_at) / 24.0 < $early * s.prev_supply
  AND NOT ($exclude_sellers AND s.patient_id IN (SELECT patient_id FROM _rs_op_sellers))
ORDER BY 1, 2
"""

PATIENTS_SQL = """
SELECT DISTINCT prescriber_id, patient_id FROM _rs_op_xfills WHERE prescriber_id IS NOT NULL ORDER BY 1, 2
"""
