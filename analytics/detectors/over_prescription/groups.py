"""Over-prescription: prescriber groups tied by behaviour, and the patients they over-supply.

Rings are split by what their prescribers do, not by where they fill: a busy pharmacy
filling for two rings and for honest doctors is no tie, several pharmacies in common are.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import register_groups, rows
from ringscope.analytics.detectors.over_prescription.group_facts import (
    DRUG_COST_SQL,
    DRUG_FIT_SQL,
    GROUP_FLOW_SQL,
    GROUP_FOCUS_SQL,
    GROUP_PAIRS_SQL,
    GroupFacts,
)
from ringscope.analytics.detectors.over_prescription.settings import OverPrescriptionSettings
from ringscope.analytics.detectors.over_prescription.supply import (
    DRUG_BASELINE_SQL,
    EXCESS_FILLS_SQL,
    EXCESS_SQL,
    FILLS_SQL,
    FLOWS_SQL,
    LATE_PATIENTS_SQL,
    PAIRS_SQL,
    PATIENTS_SQL,
    PEERS_SQL,
    SELLERS_SQL,
    SHARED_PATIENTS_SQL,
)
from ringscope.analytics.settings import DetectionSettings


def prepare(con: duckdb.DuckDBPyConnection, settings: DetectionSettings) -> None:
    """The named SQL steps up to the surplus fills (tables ``_rs_op_*``).

    The drug baselines are measured twice: first with every practice voting, then without
    the suspects that baseline reveals (prescribers with a repeated surplus flow).  Where
    rings write most of a pushed drug, as they may in a large population, their own votes
    would otherwise set the drug's norm and hide the milder rings.
    """
    cfg = settings.over_prescription
    con.execute(FILLS_SQL)
    con.execute(PAIRS_SQL, {"grace": cfg.grace_days, "min_fills": cfg.min_fills,
                             "early": cfg.early_refill_fraction, "cover": cfg.declared_cover_tolerance})
    con.execute(SELLERS_SQL, {"min_boxes": settings.trace_resale.min_resold_boxes_per_seller})
    register_groups(con, "_rs_op_suspects", [])
    _surplus(con, cfg)
    register_groups(con, "_rs_op_suspects", [suspects_of(flow_rows_of(con, cfg))])
    _surplus(con, cfg)


def _surplus(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings) -> None:
    """The drugs' baselines (without the current suspects), the over-supplied pairs and their fills."""
    con.execute(DRUG_BASELINE_SQL, {"min_prescribers": cfg.baseline_min_prescribers,
                                     "quantile": cfg.baseline_quantile})
    con.execute(EXCESS_SQL, {"min_ratio": cfg.min_supply_ratio})
    con.execute(EXCESS_FILLS_SQL, {"exclude_sellers": cfg.exclude_resale_sellers})


def flow_rows_of(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings) -> list[tuple]:
    """The repeated surplus flows (prescriber key, place key, fills)."""
    return rows(con, FLOWS_SQL, {"flow_patients": cfg.flow_min_patients, "flow_days": cfg.flow_min_days,
                                 "share": cfg.pharmacy_share})


def suspects_of(flow_rows: list[tuple]) -> list[str]:
    """The prescribers with a repeated surplus flow, as node keys."""
    return sorted({r[0] for r in flow_rows})


# Every pharmacy a prescriber's surplus reached (once is enough here), with the prescriber's
# practice: colleagues already share the practice, one shared pharmacy on top ties them.
_PRACTICE_SQL = """
SELECT DISTINCT x.prescriber_id, coalesce(pr.facility_id, x.prescriber_id), x.facility_id FROM _rs_op_xfills x
LEFT JOIN prescribers pr USING (prescriber_id)
WHERE x.prescriber_id IS NOT NULL AND NOT x.own_practice AND x.facility_kind = 'pharmacy' ORDER BY ALL
"""


# The surplus drugs each prescriber dispensed at a practice (its own or another non-pharmacy).
_DISPENSED_SQL = """
SELECT DISTINCT prescriber_id, facility_id, drug_code FROM _rs_op_xfills
WHERE prescriber_id IS NOT NULL AND (own_practice OR facility_kind <> 'pharmacy') ORDER BY ALL
"""


def prescriber_groups(con: duckdb.DuckDBPyConnection, settings: DetectionSettings,
            engine: CommunityEngine | None) -> tuple[list[list[str]], list[tuple]]:
    """Rings split by behaviour, not by one shared place (see ``_ties``).  Each ring then holds
    every pharmacy its prescribers' repeated surplus flows reach (a pharmacy may be a member of
    several rings) and the prescribers' over-supplied patients."""
    cfg = settings.over_prescription
    flow_rows = flow_rows_of(con, cfg)
    # the prescribers with repeated surplus flows (``id``), through the path both engines run
    register_groups(con, "_rs_op_suspects", [suspects_of(flow_rows)])
    con.execute(PEERS_SQL, {"min_prescribers": cfg.baseline_min_prescribers})
    reached = [(f"prescriber:{p}", practice, f"facility:{f}") for p, practice, f in rows(con, _PRACTICE_SQL)]
    handovers = rows(con, SHARED_PATIENTS_SQL, {"min_fills": cfg.handover_min_fills, "min_patients": cfg.handover_min_patients,
                                               "exclude_sellers": cfg.exclude_resale_sellers})
    dispensed = [(f"prescriber:{p}", f"practice:{f}", drug) for p, f, drug in rows(con, _DISPENSED_SQL)]
    ties = _ties(flow_rows, reached, dispensed, cfg.unit_min_shared_places) + _handovers(flow_rows, handovers)
    comps = find_groups(WeightedEdges.from_rows(ties), engine,
                        cfg.leiden_above, cfg.leiden_resolution, settings.seed, cfg.split_min_modularity)
    places: dict[str, set[str]] = defaultdict(set)
    for prescriber, place, _n in flow_rows:
        if place.startswith("facility:"):
            places[prescriber].add(place)
    patients: dict[str, list[str]] = defaultdict(list)
    for prescriber, patient in rows(con, PATIENTS_SQL):
        patients[f"prescriber:{prescriber}"].append(f"patient:{patient}")
    groups = [g for g in (sorted(k for k in c if k.startswith("prescriber:")) for c in comps) if g]
    grouped = {k for g in groups for k in g}
    groups += [[p] for p in sorted(patients) if p not in grouped]
    groups = [g + sorted({f for k in g for f in places.get(k, ())}) + sorted({pt for k in g for pt in patients.get(k, [])})
              for g in groups]
    edge_rows = flow_rows + [(p, pt, 1) for p, pts in sorted(patients.items()) for pt in pts]
    return groups, edge_rows


def with_late_patients(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings,
                       groups: list[list[str]]) -> list[list[str]]:
    """Each group with its late patients (see ``LATE_PATIENTS_SQL``).

    A ring's patient who joined near the end of the data has two fills: too few to measure
    supply over time, yet a refill long before the first supply could be used, of the drug
    the group's prescriber over-supplies, filled at the group's pharmacy, is the same flow.
    A small ring would otherwise fall under ``min_patients`` because its newest patient has
    not been in it long.  Such patients never make a group: they only join one.
    """
    register_groups(con, "_rs_op_groups", groups)
    late: dict[int, set[str]] = defaultdict(set)
    for grp, patient in rows(con, LATE_PATIENTS_SQL, {"min_fills": cfg.min_fills, "early": cfg.early_refill_fraction,
                                                      "exclude_sellers": cfg.exclude_resale_sellers}):
        late[grp].add(f"patient:{patient}")
    return [g + sorted(late[i] - set(g)) for i, g in enumerate(groups)]


def has_core(group: list[str], edge_rows: list[tuple], min_repeats: int) -> bool:
    """Whether one of the group's prescribers repeats the surplus over ``min_repeats`` patients
    or over as many pharmacies (its repeated flows).

    Each doctor enters the candidates with a first over-supplied patient filling at a first
    place; a scheme shows in a doctor who repeats it, over several patients or by sending a
    patient's surplus round several pharmacies.  Single-patient colleagues who each fill at
    the practice's neighbourhood pharmacy are what a large practice produces by chance.
    """
    members = set(group)
    patients: dict[str, int] = defaultdict(int)
    places: dict[str, int] = defaultdict(int)
    for a, b, _n in edge_rows:
        if a in members and b in members and a.startswith("prescriber:"):
            if b.startswith("patient:"):
                patients[a] += 1
            elif b.startswith("facility:"):
                places[a] += 1
    return max([*patients.values(), *places.values()], default=0) >= min_repeats


def _ties(flow_rows: list[tuple], reached: list[tuple[str, str, str]], dispensed: list[tuple[str, str, str]],
          min_places: int) -> list[tuple]:
    """What ties prescribers into one ring: more than one shared place.

    A busy pharmacy fills for many prescribers and sometimes for two rings: one pharmacy in
    common is no tie (nor is the same common drug filled there: honest doctors write it too),
    and neither is one hospital alone (a large one has hundreds of doctors).  Prescribers with
    repeated surplus flows are tied when they dispense the surplus of the same drug at their
    own practice together (a practice and drug node: a ring pushes its drugs through all its
    doctors, while a colleague's chance surplus of some chronic drug is no tie), when colleagues of one practice send surplus to the same
    pharmacy (practice and pharmacy: two places in common), and across practices when their
    repeated flows reach ``min_places`` pharmacies in common (a ring that absorbed another and
    moved its fills to the same pharmacies).  Only prescribers with repeated surplus flows
    take part, so the pairs stay few even at a hub pharmacy.
    """
    flowing = {r[0] for r in flow_rows}
    at_practice = {(p, place) for p, place, _n in flow_rows if place.startswith("practice:")}
    links: list[tuple] = [(p, f"{place}|{drug}", 1.0) for p, place, drug in dispensed if (p, place) in at_practice]
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


def _handovers(flow_rows: list[tuple], shared: list[tuple]) -> list[tuple]:
    """Prescribers who share over-supplied patients, each writing their surplus drug repeatedly.

    A ring that takes over another's patients (a merger, a doctor who moves on) keeps
    writing the same patients' surplus: the same people are the tie, not a place.  Only
    prescribers with repeated surplus flows of their own take part (a patient's one-off
    visit to a colleague is no handover).
    """
    flowing = {r[0] for r in flow_rows}
    return [(a, b, 1.0) for a, b, _n in shared if a in flowing and b in flowing]


def measured_group_facts(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings,
                 groups: list[list[str]]) -> dict[int, GroupFacts]:
    """Per group the numbers behind its indications and explanations (two set-based queries)."""
    register_groups(con, "_rs_op_groups", groups)
    con.execute(DRUG_FIT_SQL, {"fit_share": cfg.indication_fit_share, "min_prescribers": cfg.baseline_min_prescribers})
    con.execute(DRUG_COST_SQL)
    flows = {r[0]: (r[1], r[2]) for r in rows(con, GROUP_FLOW_SQL, {"city_digits": cfg.market_region_digits})}
    focus: dict[int, int] = dict(rows(con, GROUP_FOCUS_SQL, {"focus_drugs": cfg.focus_drugs}))
    out = {}
    for grp, n, excess, early, early_base, cost, unfit, cover, died, roster in rows(
            con, GROUP_PAIRS_SQL, {"palliative": cfg.palliative_days, "roster": cfg.roster_min_prescribers}):
        share, ref = flows.get(grp, (0.0, 1.0))
        out[grp] = GroupFacts(grp, n, float(excess), float(early), float(early_base), float(cost), float(unfit),
                              float(cover), float(died), float(roster), float(share), float(ref),
                              float(focus.get(grp, 0.0)))
    return out


def attach_milder_patients(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings,
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

# The ring's transactions (contract section 3: every transaction the scheme made, not only
# those with direct evidence), fills written by the ring's prescribers for its patients at
# its pharmacies or practice: each fill of a drug the patient is over-supplied with over time,
# and each fill of a drug the ring over-supplies (its prescribers wrote a surplus of it to one
# of its patients) unless that patient's own supply of it, measured over several fills, fits
# the days and none of those prescriptions carried more than its declared days allow: then
# the patient takes that drug as prescribed, ordinary care.  A fill counts whole, once.
LOSS_SQL = """
WITH g AS (SELECT * FROM _rs_op_groups), ring_drugs AS (
    SELECT DISTINCT gt.grp, sp.drug_code
    FROM _rs_op_pairs sp
    JOIN g gt ON gt.type = 'patient' AND gt.id = sp.patient_id
    JOIN g gw ON gw.type = 'prescriber' AND gw.id = sp.prescriber_id AND gw.grp = gt.grp
    LEFT JOIN _rs_op_baseline b ON b.drug_code = sp.drug_code
    WHERE sp.ratio >= $attach * coalesce(b.baseline, 1.0)
), over_declared AS (
    SELECT DISTINCT gw.grp, f.patient_id, f.drug_code
    FROM _rs_op_fills f
    JOIN g gw ON gw.type = 'prescriber' AND gw.id = f.prescriber_id
    LEFT JOIN _rs_op_baseline b ON b.drug_code = f.drug_code
    WHERE f.declared_days > 0 AND f.supply_days >= $attach * coalesce(b.baseline, 1.0) * f.declared_days
)
SELECT DISTINCT gp.grp, f.settlement_id
FROM _rs_op_fills f
JOIN g gp ON gp.type = 'prescriber' AND gp.id = f.prescriber_id
JOIN g gt ON gt.type = 'patient' AND gt.id = f.patient_id AND gt.grp = gp.grp
LEFT JOIN _rs_op_pairs sp ON sp.patient_id = f.patient_id AND sp.drug_code = f.drug_code
LEFT JOIN _rs_op_baseline b ON b.drug_code = f.drug_code
LEFT JOIN ring_drugs rd ON rd.grp = gp.grp AND rd.drug_code = f.drug_code
LEFT JOIN over_declared od ON od.grp = gp.grp AND od.patient_id = f.patient_id AND od.drug_code = f.drug_code
WHERE (f.own_practice OR EXISTS (SELECT 1 FROM g gf WHERE gf.type = 'facility' AND gf.id = f.facility_id AND gf.grp = gp.grp))
  AND (sp.ratio >= $attach * coalesce(b.baseline, 1.0)
       OR (rd.drug_code IS NOT NULL AND (sp.patient_id IS NULL OR od.patient_id IS NOT NULL)))
ORDER BY 1, 2
"""
