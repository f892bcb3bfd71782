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
   dispense the surplus of the same drug at their practice together, when colleagues send it
   to the same pharmacy, or across practices when several pharmacies (not
   one busy pharmacy) tie them, or when they hand over patients (the same
   over-supplied patients' surplus written again and again by both); a
   pharmacy is a member of every ring whose surplus it fills, and honest
   doctors filling there stay out.  A group needs a core: a prescriber
   who repeats the surplus over patients or pharmacies (colleagues with one
   patient each at the pharmacy next door are a large practice's chance).
   The drug's baseline is voted by practices without suspects.  A ring's
   newest patients, with too few fills to measure, join it on an early
   refill of its drug at its pharmacy (never a group on their own).
2. INDICATIONS, each against its own baseline, combined into one score:
   the surplus against the drug's baseline; the prescriber's share of
   over-supplied patients against the drug's peers, its prescribers who
   are not suspects themselves (a binomial chance); the flow's concentration on the group's pharmacies
   against where the prescribers' other fills and the drug's other fills
   go; early refills against the peers' usual refill rhythm; costly
   drugs (daily cost against the other drugs); patients whose own
   diagnoses fit none of the drug's usual indications.  None is a gate.
3. EXPLANATIONS lower the score: long prescriptions whose declared days
   cover the units (the chronic patient's 60-90 day prescription, refilled
   on visits), a specialist/DTP pharmacy that fills the drug for the whole
   region (it is the drug's market, concentration means nothing there),
   palliative care (patients who died soon after the last fill), a
   roster (sessions or a clinic's patients written by colleagues in turn).
4. Fund loss: the fills the ring's prescribers wrote for its patients at its
   pharmacies or practice, of a drug the patient is over-supplied with over
   time, or of a drug the ring over-supplies unless the patient's own supply
   of it, measured over several fills, fits the days with no prescription
   over its declared days (ordinary care).
"""
from __future__ import annotations

from collections import defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine
from ringscope.analytics.detectors.base import register_groups, rows, temp_tables
from ringscope.analytics.detectors.over_prescription.assessment import prescriber_views
from ringscope.analytics.detectors.over_prescription.groups import (
    LOSS_SQL,
    attach_milder_patients,
    has_core,
    measured_group_facts,
    prepare,
    prescriber_groups,
    with_late_patients,
)
from ringscope.analytics.detectors.over_prescription.rings import group_ring, verdicts
from ringscope.analytics.detectors.over_prescription.supply import TEMP
from ringscope.analytics.ring import Ring
from ringscope.analytics.settings import DetectionSettings


def detect_over_prescription(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Prescribers whose surplus flows repeatedly to the same places, scored on combined indications.

    Members: prescribers (``prescriber``), their over-supplied patients (``patient``),
    the pharmacies that filled the surplus (``pharmacy``).
    """
    cfg = settings.over_prescription
    with temp_tables(con, *TEMP):
        prepare(con, settings)
        groups, edge_rows = prescriber_groups(con, settings, engine)
        views = prescriber_views(con, cfg)
        groups = with_late_patients(con, cfg, groups)
        groups = [g for g in groups if sum(k.startswith("patient:") for k in g) >= cfg.min_patients
                  and has_core(g, edge_rows, cfg.core_min_repeats)]
        if not groups:
            return []
        facts = measured_group_facts(con, cfg, groups)
        keep = verdicts(groups, facts, views, cfg)
        kept = [g for _i, g, _a in keep]
        weak_ratios = attach_milder_patients(con, cfg, kept)
        register_groups(con, "_rs_op_groups", kept)
        loss: dict[int, list[str]] = defaultdict(list)
        for grp, sid in rows(con, LOSS_SQL, {"attach": min(cfg.attach_min_ratio, cfg.min_supply_ratio)}):
            loss[grp].append(sid)
        ratios = {**weak_ratios, **dict(rows(con, "SELECT patient_id, max(ratio) FROM _rs_op_excess GROUP BY 1"))}
        period = {r[0]: (r[1], r[2]) for r in rows(con, """
            SELECT g.grp, min(x.settled_at), max(x.settled_at) FROM _rs_op_xfills x
            JOIN _rs_op_groups g ON g.type = 'patient' AND g.id = x.patient_id GROUP BY 1""")}
    return [group_ring(group, verdict, facts[orig], loss.get(i, []), ratios, period.get(i), edge_rows)
            for i, (orig, group, verdict) in enumerate(keep)]
