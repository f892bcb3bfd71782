"""Resale of reimbursed drug boxes, found by their 20-digit trace codes.

Each box of a traced drug carries one code; reimbursing the same code twice
means the box went back into the supply chain (NHSA 2024 "回流药" notices:
patients buy with their card, collectors buy the boxes, pharmacies sell
and claim them again).  Steps:

1. SQL: every trace code in more than one settlement, in time order; a
   later scan by the same card at the same facility on the same day is a
   correction (contract section 1) and is dropped, and so is a later scan by
   a holder who already had the box or by the seller's own household (a
   refund and re-purchase, a transfer between hospitals, a family sharing
   its medicine: the box never reached a stranger).  The first buyer is the
   seller; each later settlement is a resale at its facility.
2. Each resale is weighed: a box that moved from one facility's customer to
   another, unrelated facility has no legitimate path (weight 1); a box
   settled again where it was bought, or at a branch of the same chain, may
   be a returned box put back on the shelf (a lower weight, and together
   under one box's worth however many), unless its seller's boxes keep
   coming back on several days (nobody returns box after box: a seller).
3. Graph: seller–facility components (Leiden above a size) are candidate
   buy-back networks; one is reported when its weighed resales, from
   several occasions (days, places of purchase), reach ``min_ring_evidence``:
   no single count is a gate, a small ring whose few boxes come back on
   different occasions is reported, a pharmacy's returns or one stray box
   are not.
4. SQL: fund loss per the contract: the resale settlements plus the
   sellers' purchases of the resold drugs at the facilities where they
   bought them, within the ring's active period.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

import duckdb

from ringscope.analytics.community import CommunityEngine
from ringscope.analytics.detectors.base import register_groups, rows, temp_tables
from ringscope.analytics.detectors.trace_resale.settings import TraceResaleSettings
from ringscope.analytics.detectors.trace_resale.weighing import Assessment, Rescan, assess_groups, reported
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings

NAME = "trace_resale"

_EVENTS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_tr_scans AS
WITH repeated AS (
    -- two lines of one settlement with the same code (a keying slip) pass here and are then
    -- the same card at the same facility on the same day: a correction, never a resale
    SELECT trace_code FROM dispensings WHERE trace_code IS NOT NULL GROUP BY trace_code HAVING count(*) > 1
), scans AS (
    SELECT d.trace_code, d.drug_code, s.settlement_id, s.card_id,
           coalesce(s.patient_id, c.patient_id) AS patient_id,
           s.facility_id, s.settled_at,
           row_number() OVER (PARTITION BY d.trace_code ORDER BY s.settled_at, s.settlement_id) AS scan_no
    FROM dispensings d
    JOIN repeated USING (trace_code)
    JOIN settlements s USING (settlement_id)
    LEFT JOIN cards c ON c.card_id = s.card_id
)
SELECT *,
       min(scan_no) OVER (PARTITION BY trace_code, card_id, facility_id, CAST(settled_at AS DATE)) AS first_same_day,
       min(scan_no) OVER (PARTITION BY trace_code, card_id, facility_id) AS first_same_place,
       min(scan_no) OVER (PARTITION BY trace_code, card_id) AS first_same_card,
       min(scan_no) OVER (PARTITION BY trace_code, patient_id) AS first_same_patient
FROM scans
"""

# A later scan is a correction when an earlier scan of the same box has the same card,
# facility and calendar day.  A later scan by a holder who already had the box (same card or
# same patient) is the box coming back to its owner, never a second person: a refund and
# re-purchase at the pharmacy, a transfer between hospitals that records the patient's own
# medicine again; a later holder of the seller's household (same address or phone) is a family
# sharing its medicine.  A code on a different drug is a keying error, not the same box.
# Everything else after the first scan is resale; ``explained`` marks a resale where the box
# was bought (or at a branch of the same chain): a returned box put back on the shelf looks so.
_RESALES_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_tr_resales AS
SELECT later.trace_code, later.drug_code,
       first.patient_id AS seller_id, first.facility_id AS origin_facility_id,
       first.settlement_id AS origin_settlement_id, first.settled_at AS bought_at,
       later.settlement_id AS resale_settlement_id, later.facility_id AS reseller_id,
       later.card_id AS collector_card_id, later.settled_at AS resold_at,
       (later.facility_id = first.facility_id
        OR coalesce(fo.chain_id = fr.chain_id, false)) AS explained
FROM _rs_tr_scans later
JOIN _rs_tr_scans first ON first.trace_code = later.trace_code AND first.scan_no = 1
LEFT JOIN facilities fo ON fo.facility_id = first.facility_id
LEFT JOIN facilities fr ON fr.facility_id = later.facility_id
LEFT JOIN patients ps ON ps.patient_id = first.patient_id
LEFT JOIN patients pb ON pb.patient_id = later.patient_id
WHERE later.scan_no > 1
  AND first.patient_id IS NOT NULL
  AND NOT (CASE WHEN $same_day THEN later.first_same_day ELSE later.first_same_place END < later.scan_no)
  AND NOT ($same_holder AND (later.first_same_card < later.scan_no
                             OR (later.patient_id IS NOT NULL AND later.first_same_patient < later.scan_no)
                             OR later.drug_code IS DISTINCT FROM first.drug_code))
  AND NOT ($household AND ps.patient_id <> pb.patient_id
           AND coalesce(ps.address = pb.address OR ps.phone = pb.phone, false))
"""

# Per group: resold boxes, sellers, the resale settlements and the sellers' purchases of
# the resold drugs at their origin facilities inside the active period.
_GROUP_FACTS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_tr_ring_resales AS
SELECT g.grp, r.*
FROM _rs_tr_resales r
JOIN _rs_tr_groups g ON g.type = 'patient' AND g.id = r.seller_id
JOIN _rs_tr_groups gf ON gf.type = 'facility' AND gf.id = r.reseller_id AND gf.grp = g.grp
"""

_LOSS_SQL = """
WITH period AS (
    SELECT grp, min(bought_at) AS first_at, max(resold_at) AS last_at FROM _rs_tr_ring_resales GROUP BY grp
), bought AS (
    SELECT DISTINCT grp, seller_id, origin_facility_id, drug_code FROM _rs_tr_ring_resales
), purchases AS (
    SELECT b.grp, s.settlement_id
    FROM bought b
    JOIN settlements s ON s.facility_id = b.origin_facility_id
    LEFT JOIN cards c ON c.card_id = s.card_id
    JOIN period p ON p.grp = b.grp
    WHERE coalesce(s.patient_id, c.patient_id) = b.seller_id
      AND s.settled_at BETWEEN p.first_at AND p.last_at
      AND EXISTS (SELECT 1 FROM dispensings d WHERE d.settlement_id = s.settlement_id AND d.drug_code = b.drug_code)
)
SELECT grp, settlement_id FROM purchases
UNION
SELECT grp, resale_settlement_id FROM _rs_tr_ring_resales
UNION
SELECT grp, origin_settlement_id FROM _rs_tr_ring_resales
ORDER BY 1, 2
"""

_BASELINE_SQL = """
WITH resold AS (SELECT reseller_id, count(DISTINCT trace_code) AS resold FROM _rs_tr_ring_resales GROUP BY reseller_id),
traced AS (
    SELECT s.facility_id, count(DISTINCT d.trace_code) AS traced FROM dispensings d JOIN settlements s USING (settlement_id)
    WHERE d.trace_code IS NOT NULL AND s.facility_id IN (SELECT reseller_id FROM resold) GROUP BY s.facility_id)
SELECT r.reseller_id, r.resold, coalesce(t.traced, 0) AS traced
FROM resold r LEFT JOIN traced t ON t.facility_id = r.reseller_id
"""


class Resale(NamedTuple):
    """One resold box: who sold it, who re-sold it, with which card, when."""

    grp: int
    seller_id: str
    reseller_id: str
    collector_card_id: str
    trace_code: str
    drug_code: str
    origin_facility_id: str
    bought_at: datetime
    resold_at: datetime


# Every resale, for the weighing (weighing.py): small (one row per box settled twice).
_RESCANS_SQL = """
SELECT seller_id, reseller_id, origin_facility_id, trace_code, resale_settlement_id, CAST(resold_at AS DATE), explained
FROM _rs_tr_resales ORDER BY seller_id, reseller_id, trace_code, resale_settlement_id
"""

_TEMP = ("_rs_tr_scans", "_rs_tr_resales", "_rs_tr_groups", "_rs_tr_ring_resales")



def detect_trace_resale(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Buy-back networks of resold boxes.

    Parameters
    ----------
    con : a DuckDB connection with the contract tables.
    settings : detection settings; ``settings.trace_resale`` holds the thresholds.

    Returns
    -------
    Rings with sellers (patients), re-selling facilities and collectors' cards as
    members, ordered deterministically.
    """
    cfg = settings.trace_resale
    with temp_tables(con, *_TEMP):
        con.execute(_EVENTS_SQL)
        con.execute(_RESALES_SQL, {"same_day": cfg.correction_same_day_only, "same_holder": cfg.same_holder_is_not_resale,
                                   "household": cfg.household_is_not_resale})
        rescans = [Rescan(*r) for r in rows(con, _RESCANS_SQL)]
        if not rescans:
            return []
        kept = reported(assess_groups(rescans, cfg, engine, settings.seed), cfg)
        if not kept:
            return []
        register_groups(con, "_rs_tr_groups", [a.nodes for a in kept])
        con.execute(_GROUP_FACTS_SQL)
        facts = [Resale(*r) for r in rows(con, """
            SELECT grp, seller_id, reseller_id, collector_card_id, trace_code, drug_code,
                   origin_facility_id, bought_at, resold_at
            FROM _rs_tr_ring_resales ORDER BY grp, trace_code, resold_at""")]
        loss_rows = rows(con, _LOSS_SQL)
        baseline = {r[0]: (r[1], r[2]) for r in rows(con, _BASELINE_SQL)}
    by_group: dict[int, list[Resale]] = defaultdict(list)
    for f in facts:
        by_group[f.grp].append(f)
    settlements: dict[int, list[str]] = defaultdict(list)
    for grp, sid in loss_rows:
        settlements[grp].append(sid)
    return [_ring(items, settlements.get(grp, []), baseline, kept[grp], cfg)
            for grp, items in sorted(by_group.items())]


def _ring(items: list[Resale], settlement_ids: list[str], baseline: dict[str, tuple[int, int]],
          assessment: Assessment, cfg: TraceResaleSettings) -> Ring:
    """One buy-back network: members with roles (the busiest re-seller organises), evidence, features."""
    boxes = {f.trace_code for f in items}
    sellers = sorted({f.seller_id for f in items})
    resellers = sorted({f.reseller_id for f in items})
    collectors = sorted({f.collector_card_id for f in items})
    weights: dict[tuple[str, str], float] = defaultdict(float)
    for f in items:
        weights[(f"patient:{f.seller_id}", f"facility:{f.reseller_id}")] += 1
        weights[(f"card:{f.collector_card_id}", f"facility:{f.reseller_id}")] += 1
    organizer = top_node(centrality((a, b, w) for (a, b), w in weights.items()), "facility:")
    members = [Member("patient", s, "seller") for s in sellers]
    members += [Member("facility", r, "organizer" if f"facility:{r}" == organizer else "reseller") for r in resellers]
    members += [Member("card", c, "collector") for c in collectors]
    days = sorted((f.resold_at - f.bought_at).total_seconds() / 86400 for f in items)
    resold_share = max(
        (baseline[r][0] / baseline[r][1]) if baseline.get(r) and baseline[r][1] else 0.0 for r in resellers
    )
    first_at, last_at = min(f.bought_at for f in items), max(f.resold_at for f in items)
    return Ring(
        scheme=NAME,
        members=members,
        settlement_ids=settlement_ids,
        evidence=_evidence(items, boxes, sellers, resellers, collectors, days[len(days) // 2], resold_share),
        features={
            "size": float(len(sellers) + len(resellers)),
            "evidence_count": float(len(boxes)),
            "per_member": len(boxes) / max(1, len(sellers)),
            "baseline_ratio": resold_share,
            "active_days": (last_at - first_at).total_seconds() / 86400,
            "signal_strength": min(1.0, 0.5 + 0.5 * min(1.0, assessment.score / (4 * cfg.min_ring_evidence))),
        },
    )


def _evidence(items: list[Resale], boxes: set[str], sellers: list[str], resellers: list[str], collectors: list[str],
              median_days: float, resold_share: float) -> list[Evidence]:
    """The boxes, an example chain, the speed of return and the re-seller's share, in words."""
    cross_facility = sum(1 for f in items if f.origin_facility_id != f.reseller_id) / len(items)
    sample = items[0]
    evidence = [
        Evidence(
            "duplicate_trace_code",
            f"{len(boxes)} drug boxes bought with {len(sellers)} patients' cards were reimbursed a second time "
            f"at {len(resellers)} other facilit{'y' if len(resellers) == 1 else 'ies'}.",
            f"{len(boxes)}盒药品先由{len(sellers)}名参保人购买报销，又在{len(resellers)}家机构再次医保结算（追溯码重复）。",
            float(len(boxes)),
        ),
        Evidence(
            "resale_chain",
            f"Example: box {sample.trace_code} was bought by patient {sample.seller_id} at {sample.origin_facility_id} on "
            f"{sample.bought_at:%Y-%m-%d} and reimbursed again at {sample.reseller_id} on {sample.resold_at:%Y-%m-%d}.",
            f"示例：追溯码{sample.trace_code}于{sample.bought_at:%Y-%m-%d}由参保人{sample.seller_id}在{sample.origin_facility_id}购买，"
            f"{sample.resold_at:%Y-%m-%d}在{sample.reseller_id}再次结算。",
        ),
        Evidence(
            "resale_speed",
            f"Half of the boxes came back within {median_days:.0f} days of the first purchase; "
            f"{cross_facility:.0%} were re-sold at a different facility.",
            f"半数药盒在首次购买后{median_days:.0f}天内回流；{cross_facility:.0%}在另一家机构再次销售。",
            round(median_days, 1),
        ),
        Evidence(
            "reseller_share",
            f"At the main re-selling facility {resold_share:.0%} of its traced boxes had been reimbursed before.",
            f"主要回收销售机构的追溯码药品中有{resold_share:.0%}此前已报销过。",
            round(resold_share, 3),
        ),
    ]
    if len(collectors) < len(boxes):
        evidence.append(Evidence(
            "collector_cards",
            f"The resold boxes were claimed again through {len(collectors)} card(s).",
            f"回流药品通过{len(collectors)}张医保卡再次结算。",
            float(len(collectors)),
        ))
    return evidence
