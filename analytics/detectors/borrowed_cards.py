"""Pools of borrowed or rented insurance cards.

Rented cards are used in batches: one operator (or one phone/terminal)
settles a stack of other people's cards within minutes, again and again,
usually far from where the holders live, sometimes after a holder died or
for care that does not fit the holder.  Steps:

1. SQL: card pairs settled by the same operator at the same facility, or
   through the same device, within ``window_minutes`` on the same day.  The
   time window keeps hub facilities linear: only neighbours in time pair.
2. SQL: keep pairs that co-occur on at least ``min_shared_days`` days
   (repeated co-occurrence, not one shared queue).
3. Graph: components of the card graph (Leiden above a size) are pools.
4. SQL: per card, misuse signs measured against the facility's own
   baseline (share of its settlements far from the holder's region), the
   holder's death date, the recorded patient, sex/age fit of the diagnosis;
   per pool, how many unrelated households the holders come from.
   Pools with enough misuse signs from unrelated holders are rings.

A family sharing one phone, a nursing home or a screening day produce
co-occurring cards too; they fail the household-diversity test, the
repetition test or the misuse test.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import drop, pair_settlements_sql, register_groups, rows
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import DetectionSettings

SCHEME = "borrowed_cards"

_EVENTS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_events AS
SELECT settlement_id, card_id, facility_id, operator_id, device_id, settled_at,
       CAST(settled_at AS DATE) AS day, epoch(settled_at) AS ts
FROM settlements WHERE card_id IS NOT NULL AND settled_at IS NOT NULL
"""

# Co-occurrence within the window: by operator at one facility, or by device anywhere.
_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_pairs AS
WITH by_operator AS (
    SELECT a.settlement_id AS s1, b.settlement_id AS s2, a.card_id AS c1, b.card_id AS c2, a.day, 'operator' AS via
    FROM _rs_bc_events a JOIN _rs_bc_events b
      ON a.facility_id = b.facility_id AND a.operator_id = b.operator_id AND a.day = b.day
     AND b.ts >= a.ts AND b.ts <= a.ts + $window AND a.settlement_id <> b.settlement_id
    WHERE a.operator_id IS NOT NULL AND a.card_id <> b.card_id
), by_device AS (
    SELECT a.settlement_id AS s1, b.settlement_id AS s2, a.card_id AS c1, b.card_id AS c2, a.day, 'device' AS via
    FROM _rs_bc_events a JOIN _rs_bc_events b
      ON a.device_id = b.device_id AND a.day = b.day
     AND b.ts >= a.ts AND b.ts <= a.ts + $window AND a.settlement_id <> b.settlement_id
    WHERE a.device_id IS NOT NULL AND a.card_id <> b.card_id
), by_facility AS (
    SELECT a.settlement_id AS s1, b.settlement_id AS s2, a.card_id AS c1, b.card_id AS c2, a.day, 'facility' AS via
    FROM _rs_bc_events a JOIN _rs_bc_events b
      ON a.facility_id = b.facility_id AND a.day = b.day
     AND b.ts >= a.ts AND b.ts <= a.ts + $facility_window AND a.settlement_id <> b.settlement_id
    WHERE a.card_id <> b.card_id
), both_ AS (SELECT * FROM by_operator UNION SELECT * FROM by_device UNION SELECT * FROM by_facility)
SELECT least(c1, c2) AS card_a, greatest(c1, c2) AS card_b, s1, s2, day, via FROM both_
"""

_EDGES_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_edges AS
SELECT card_a, card_b, count(DISTINCT day) AS shared_days
FROM _rs_bc_pairs GROUP BY card_a, card_b
HAVING count(DISTINCT day) >= $min_days
   AND count(DISTINCT day) FILTER (WHERE via <> 'facility') >= $min_strong_days
"""

# Per card misuse signs over all its settlements, against each facility's baseline
# far-from-home share.  Used to let cards join a pool and to judge pools.
_MISUSE_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_misuse AS
WITH s AS (
    SELECT s.settlement_id, s.card_id, s.facility_id, s.settled_at, s.patient_id, s.diagnosis_code,
           c.patient_id AS holder_id, p.region_code AS holder_region, p.death_date, p.gender, p.birth_date,
           f.region_code AS facility_region,
           CASE WHEN left(p.region_code, $plen) <> left(f.region_code, $plen) THEN 1.0 ELSE 0.0 END AS far
    FROM settlements s JOIN cards c ON c.card_id = s.card_id JOIN patients p ON p.patient_id = c.patient_id
    JOIN facilities f ON f.facility_id = s.facility_id
), fac AS (  -- the facility's own baseline, without the pools' cards
    SELECT facility_id, avg(far) AS far_base FROM s
    WHERE card_id NOT IN (SELECT id FROM _rs_bc_groups) GROUP BY facility_id
)
SELECT card_id,
       max(far_share) AS far_share, max(far_base) AS far_base,
       bool_or(far_share > 0.5 AND far_share >= least($far_x * far_base, $far_cap)) AS far_from_home,
       sum(after_death) AS after_death, sum(other_person) AS other_person, sum(care_mismatch) AS care_mismatch
FROM (  -- per card and facility: a borrowed card is used far from home where that is rare
    SELECT s.card_id, s.facility_id,
           avg(s.far) AS far_share, coalesce(any_value(fac.far_base), 0.0) AS far_base,
           sum(CASE WHEN s.death_date IS NOT NULL AND CAST(s.settled_at AS DATE) > s.death_date THEN 1 ELSE 0 END) AS after_death,
           sum(CASE WHEN s.patient_id IS NOT NULL AND s.patient_id <> s.holder_id THEN 1 ELSE 0 END) AS other_person,
           sum(CASE WHEN (s.diagnosis_code LIKE 'O%' AND (s.gender = 'M'
                          OR date_diff('year', s.birth_date, CAST(s.settled_at AS DATE)) NOT BETWEEN 12 AND 55))
                      OR (s.diagnosis_code SIMILAR TO 'N4[0-2].*' AND s.gender = 'F')
                      OR (s.diagnosis_code LIKE 'P%' AND date_diff('year', s.birth_date, CAST(s.settled_at AS DATE)) > 1)
                    THEN 1 ELSE 0 END) AS care_mismatch
    FROM s LEFT JOIN fac USING (facility_id)
    WHERE s.card_id IN (SELECT card_a FROM _rs_bc_pairs UNION SELECT card_b FROM _rs_bc_pairs)
    GROUP BY s.card_id, s.facility_id
)
GROUP BY card_id
"""

# Cards outside every core that co-occurred with several cards of one core, and show a
# misuse sign of their own, join it: batches bring partly new cards each time.
_ATTACH_SQL = """
INSERT INTO _rs_bc_groups
WITH links AS (
    SELECT g.grp, x.card AS card_id, count(DISTINCT x.partner) AS n_links
    FROM _rs_bc_pairs p
    CROSS JOIN LATERAL (SELECT p.card_a AS card, p.card_b AS partner UNION ALL SELECT p.card_b, p.card_a) x
    JOIN _rs_bc_groups g ON g.id = x.partner
    WHERE x.card NOT IN (SELECT id FROM _rs_bc_groups)
      AND (p.via <> 'facility' OR NOT $strong_only)  -- joining needs the same operator or device
    GROUP BY g.grp, x.card
), best AS (
    SELECT card_id, arg_min(grp, (-n_links, grp)) AS grp, max(n_links) AS n_links FROM links GROUP BY card_id
)
SELECT grp, 'card:' || card_id, 'card', card_id FROM best JOIN _rs_bc_misuse m USING (card_id)
WHERE n_links >= $min_links
  AND (m.far_from_home OR m.after_death > 0
       OR m.other_person > 0 OR m.care_mismatch > 0)
"""

# Pool settlements: those taking part in a co-occurrence between two cards of one group.
_POOL_SQL = pair_settlements_sql("_rs_bc_pool", "_rs_bc_pairs", "_rs_bc_groups", "card_a", "card_b")

_CARD_SIGNS_SQL = """
WITH fac_base AS (
    SELECT s.facility_id,
           avg(CASE WHEN left(p.region_code, $plen) <> left(f.region_code, $plen) THEN 1.0 ELSE 0.0 END) AS far_base
    FROM settlements s JOIN cards c USING (card_id) JOIN patients p ON p.patient_id = c.patient_id
    JOIN facilities f ON f.facility_id = s.facility_id
    WHERE p.region_code IS NOT NULL AND f.region_code IS NOT NULL
      AND s.settlement_id NOT IN (SELECT settlement_id FROM _rs_bc_pool)  -- the facility's own baseline, not the pool
    GROUP BY s.facility_id
), pool AS (
    SELECT pl.grp, s.*, c.patient_id AS holder_id, p.region_code AS holder_region, p.death_date,
           p.gender, p.birth_date, p.address, p.phone, f.region_code AS facility_region, fb.far_base
    FROM _rs_bc_pool pl JOIN settlements s USING (settlement_id)
    JOIN cards c ON c.card_id = s.card_id JOIN patients p ON p.patient_id = c.patient_id
    JOIN facilities f ON f.facility_id = s.facility_id LEFT JOIN fac_base fb ON fb.facility_id = s.facility_id
)
SELECT grp, card_id, any_value(holder_id),
       coalesce(any_value(address), any_value(phone), any_value(holder_id)) AS household,
       avg(CASE WHEN left(holder_region, $plen) <> left(facility_region, $plen) THEN 1.0 ELSE 0.0 END) AS far_share,
       max(coalesce(far_base, 0)) AS far_base,
       sum(CASE WHEN death_date IS NOT NULL AND CAST(settled_at AS DATE) > death_date THEN 1 ELSE 0 END) AS after_death,
       sum(CASE WHEN patient_id IS NOT NULL AND patient_id <> holder_id THEN 1 ELSE 0 END) AS other_person,
       sum(CASE WHEN (diagnosis_code LIKE 'O%' AND (gender = 'M'
                      OR date_diff('year', birth_date, CAST(settled_at AS DATE)) NOT BETWEEN 12 AND 55))
                  OR (diagnosis_code SIMILAR TO 'N4[0-2].*' AND gender = 'F')
                  OR (diagnosis_code LIKE 'P%' AND date_diff('year', birth_date, CAST(settled_at AS DATE)) > 1)
                THEN 1 ELSE 0 END) AS care_mismatch,
       count(*) AS settlements,
       list(DISTINCT facility_id ORDER BY facility_id) AS facilities,
       list(DISTINCT operator_id ORDER BY operator_id) FILTER (WHERE operator_id IS NOT NULL) AS operators,
       list(DISTINCT device_id ORDER BY device_id) FILTER (WHERE device_id IS NOT NULL) AS devices,
       min(settled_at), max(settled_at)
FROM pool GROUP BY grp, card_id ORDER BY grp, card_id
"""


def _misused(card: tuple, cfg) -> bool:
    """A misuse sign on one card row of _CARD_SIGNS_SQL."""
    far = card[4] > 0.5 and card[4] >= min(cfg.far_over_baseline * card[5], cfg.far_cap)
    return bool(far or card[6] > 0 or card[7] > 0 or card[8] > 0)


def _trim_and_merge(by_group: dict[int, list[tuple]], edge_rows: list[tuple], cfg) -> dict[int, list[tuple]]:
    """Trim unsigned hangers-on from each pool, then merge pools presented from one device.

    Trim: a card without a misuse sign stays only when tied by kept edges to
    ``trim_min_links`` misused cards (busy facilities otherwise drag regular
    patients in).  Merge: two pools whose cards were presented from the same
    device (two or more cards of each) are one gang's pools.
    """
    ties: dict[str, set[str]] = defaultdict(set)
    signed_all = {c[1] for cards in by_group.values() for c in cards if _misused(c, cfg)}
    for a, b_, _ in edge_rows:
        ca, cb = a.split(":", 1)[1], b_.split(":", 1)[1]
        if cb in signed_all:
            ties[ca].add(cb)
        if ca in signed_all:
            ties[cb].add(ca)
    trimmed: dict[int, list[tuple]] = {}
    for grp, cards in sorted(by_group.items()):
        if cfg.trim_min_links:
            cards = [c for c in cards if c[1] in signed_all or len(ties[c[1]] & {x[1] for x in cards}) >= cfg.trim_min_links]
        if cards:
            trimmed[grp] = cards
    parent = {g: g for g in trimmed}

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    if cfg.merge_by_device:
        device_groups: dict[str, set[int]] = defaultdict(set)
        for grp, cards in trimmed.items():
            per_device: dict[str, int] = defaultdict(int)
            for c in cards:
                for d in c[12] or []:
                    per_device[d] += 1
            for d, k in per_device.items():
                if k >= 2:
                    device_groups[d].add(grp)
        for d in sorted(device_groups):
            gs = sorted(device_groups[d])
            for g in gs[1:]:
                ra, rb = find(gs[0]), find(g)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    merged: dict[int, list[tuple]] = defaultdict(list)
    for grp in sorted(trimmed):
        merged[find(grp)].extend(trimmed[grp])
    return dict(merged)


def detect_borrowed_cards(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Pools of cards used together, with misuse signs, from unrelated holders.

    Members are the cards (role ``borrowed``) and the devices two or more of
    them were presented from (role ``device``).
    """
    cfg = settings.borrowed_cards
    con.execute(_EVENTS_SQL)
    con.execute(_PAIRS_SQL, {"window": cfg.window_minutes * 60, "facility_window": cfg.facility_window_minutes * 60})
    con.execute(_EDGES_SQL, {"min_days": cfg.min_shared_days, "min_strong_days": cfg.min_operator_or_device_days})
    edge_rows = rows(con, "SELECT 'card:' || card_a, 'card:' || card_b, shared_days FROM _rs_bc_edges ORDER BY 1, 2")
    temp = ("_rs_bc_events", "_rs_bc_pairs", "_rs_bc_edges", "_rs_bc_groups", "_rs_bc_pool", "_rs_bc_misuse")
    if not edge_rows:
        drop(con, *temp)
        return []
    groups = [
        g for g in find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above,
                               cfg.leiden_resolution, settings.seed)
        if len(g) >= cfg.min_cards
    ]
    if not groups:
        drop(con, *temp)
        return []
    register_groups(con, "_rs_bc_groups", groups)
    con.execute(_MISUSE_SQL, {"plen": cfg.far_prefix_len, "far_x": cfg.far_over_baseline, "far_cap": cfg.far_cap})
    con.execute(_ATTACH_SQL, {"min_links": cfg.attach_min_links, "strong_only": cfg.attach_by_operator_or_device})
    con.execute(_POOL_SQL)
    signs = rows(con, _CARD_SIGNS_SQL, {"plen": cfg.far_prefix_len})
    pool_rows = rows(con, """SELECT p.grp, p.settlement_id, s.card_id FROM _rs_bc_pool p
                             JOIN settlements s USING (settlement_id) ORDER BY 1, 2""")
    drop(con, *temp)

    by_group: dict[int, list[tuple]] = defaultdict(list)
    for r in signs:
        by_group[r[0]].append(r)
    pool: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for grp, sid, card in pool_rows:
        pool[grp].append((sid, card))
    edges_by_card: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for a, b, w in edge_rows:
        edges_by_card[a].append((a, b, w))

    by_group = _trim_and_merge(by_group, edge_rows, cfg)
    rings: list[Ring] = []
    for grp, cards in sorted(by_group.items()):
        n = len(cards)
        if n < cfg.min_cards:
            continue
        kept_cards = {c[1] for c in cards}
        pool_ids = sorted({sid for g in {c[0] for c in cards} for sid, card in pool.get(g, []) if card in kept_cards})
        far = [c for c in cards if c[4] > 0.5 and c[4] >= min(cfg.far_over_baseline * c[5], cfg.far_cap)]
        dead = [c for c in cards if c[6] > 0]
        other = [c for c in cards if c[7] > 0]
        mismatch = [c for c in cards if c[8] > 0]
        anomalous = {c[1] for c in far + dead + other + mismatch}
        anomaly_share = len(anomalous) / n
        diversity = len({c[3] for c in cards}) / n
        if anomaly_share < cfg.min_anomaly_share or diversity < cfg.min_holder_diversity:
            continue
        device_cards: dict[str, set[str]] = defaultdict(set)
        operators: set[str] = set()
        facilities: set[str] = set()
        for c in cards:
            for d in c[12] or []:
                device_cards[d].add(c[1])
            operators.update(c[11] or [])
            facilities.update(c[10] or [])
        devices = sorted(d for d, cs in device_cards.items() if len(cs) >= 2)
        group_keys = {f"card:{c[1]}" for c in cards}
        ring_edges = [e for k in sorted(group_keys) for e in edges_by_card.get(k, []) if e[1] in group_keys]
        scores = centrality(ring_edges)
        hub = top_node(scores, "card:")
        members = [Member("card", c[1], "hub" if f"card:{c[1]}" == hub else "borrowed") for c in cards]
        members += [Member("device", d, "device") for d in devices]
        shared_days = [e[2] for e in ring_edges]
        mean_days = sum(shared_days) / len(shared_days) if shared_days else 0.0
        first_at, last_at = min(c[13] for c in cards), max(c[14] for c in cards)
        far_base = max((c[5] for c in cards), default=0.0)
        far_share = len(far) / n
        via = (f"operator(s) {', '.join(sorted(operators)[:3])}" if operators else "shared devices")
        evidence = [
            Evidence(
                "card_pool",
                f"{n} cards of {len({c[3] for c in cards})} unrelated households were settled together by {via} "
                f"within {cfg.window_minutes} minutes, on {mean_days:.1f} days per card pair on average.",
                f"{n}张分属{len({c[3] for c in cards})}个不同家庭的医保卡被同一经办人或设备在{cfg.window_minutes}分钟内集中结算，"
                f"每对卡平均共同出现{mean_days:.1f}天。",
                float(n),
            ),
        ]
        if far:
            evidence.append(Evidence(
                "far_from_home",
                f"{len(far)} of {n} cards were used mostly far from the holder's home region "
                f"(the facilities' usual share of such patients is {far_base:.0%}).",
                f"{n}张卡中有{len(far)}张主要在参保人户籍地以外使用（这些机构平时异地就医比例为{far_base:.0%}）。",
                round(far_share, 3),
            ))
        if dead:
            evidence.append(Evidence(
                "after_death",
                f"{len(dead)} card(s) were used after the holder's recorded death.",
                f"{len(dead)}张卡在持卡人死亡后仍被使用。", float(len(dead)),
            ))
        if other:
            evidence.append(Evidence(
                "other_person",
                f"{len(other)} card(s) were used for care recorded for someone other than the holder.",
                f"{len(other)}张卡的就诊记录人员与持卡人不一致。", float(len(other)),
            ))
        if mismatch:
            evidence.append(Evidence(
                "care_mismatch",
                f"{len(mismatch)} card(s) were used for care that does not fit the holder's sex or age.",
                f"{len(mismatch)}张卡的诊疗项目与持卡人性别或年龄不符。", float(len(mismatch)),
            ))
        if devices:
            evidence.append(Evidence(
                "shared_device",
                f"{len(devices)} device(s) presented two or more of these cards.",
                f"{len(devices)}台设备为其中两张及以上的卡结算。", float(len(devices)),
            ))
        rings.append(Ring(
            scheme=SCHEME,
            members=members,
            settlement_ids=pool_ids,
            evidence=evidence,
            features={
                "size": float(n),
                "evidence_count": float(len(pool_ids)),
                "per_member": mean_days,
                "baseline_ratio": far_share / max(far_base, 0.01),
                "active_days": (last_at - first_at).total_seconds() / 86400,
                "signal_strength": min(1.0, 0.4 + 0.3 * anomaly_share + 0.3 * diversity),
            },
        ))
    return rings
