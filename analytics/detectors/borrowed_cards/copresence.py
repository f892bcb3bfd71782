"""Borrowed cards, step 1: cards co-presented on repeated days, beyond chance.

A gang cannot avoid presenting the same cards together again and again; two regulars of
a busy pharmacy meet by chance, two cards seen a few times, always together, do not. The
chance test predicts co-presentation from both cards' visits and the facility's hourly
volume, so a hub facility is judged by its own crowd.
"""
from __future__ import annotations

NAME = "borrowed_cards"
TEMP = ("_rs_bc_events", "_rs_bc_repeat", "_rs_bc_near", "_rs_bc_chance", "_rs_bc_visits", "_rs_bc_edges",
         "_rs_bc_groups", "_rs_bc_pool", "_rs_bc_fac_base", "_rs_bc_devices", "_rs_bc_spacing",
         "_rs_bc_sessions", "_rs_bc_runs", "_rs_bc_batch_links")

EVENTS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_events AS
SELECT settlement_id, card_id, facility_id, operator_id, device_id,
       CAST(settled_at AS DATE) AS day, epoch(settled_at) AS ts, hour(settled_at) AS hh
FROM settlements WHERE card_id IS NOT NULL AND settled_at IS NOT NULL AND facility_id IS NOT NULL
  AND NOT (coalesce(kind, '') = 'inpatient' AND $skip_inpatient)
"""

# Only cards seen on two days or more can be co-presented on repeated days: the joins skip the
# rest (a cheap superset; the edge test counts the days exactly).  Kept as the cards, a filter,
# not as a copy of their events: nearly every card returns, so a copy doubled the settlements'
# footprint (at 5M patients the temp tables outgrew 16 GB of memory and the spill disk).
REPEAT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_repeat AS
SELECT card_id FROM _rs_bc_events GROUP BY 1 HAVING $min_days <= 1 OR min(day) < max(day)
"""

# The events of returning cards, for the joins that need only those.
REPEAT_EVENTS = "(SELECT * FROM _rs_bc_events WHERE card_id IN (SELECT card_id FROM _rs_bc_repeat))"

# Co-presentations: one windowed self-join per facility and day (only neighbours in time pair,
# so a hub stays linear): within the facility window at any counter, or within the longer
# window by the same operator or device.
NEAR_SQL = f"""
CREATE OR REPLACE TEMP TABLE _rs_bc_near AS
WITH j AS (
    SELECT a.settlement_id AS s1, b.settlement_id AS s2,
           least(a.card_id, b.card_id) AS card_a, greatest(a.card_id, b.card_id) AS card_b, a.facility_id, a.day,
           b.ts - a.ts <= $facility_window AS close_any,
           b.ts - a.ts <= $window AND (coalesce(a.operator_id = b.operator_id, false)
                                        OR coalesce(a.device_id = b.device_id, false)) AS close_strong
    FROM {REPEAT_EVENTS} a JOIN {REPEAT_EVENTS} b
      ON a.facility_id = b.facility_id AND a.day = b.day
     AND b.ts BETWEEN a.ts AND a.ts + greatest($window, $facility_window)
    WHERE (b.ts > a.ts OR b.settlement_id > a.settlement_id) AND a.card_id <> b.card_id
)
SELECT * FROM j WHERE close_any OR close_strong
"""

# What chance predicts at each facility: the probability that two of its settlements fall on
# the same open day within the window (hour-of-day profile), and also share an operator or a
# device (how concentrated its operators and terminals are).  Computed over all days, so one
# batch hardly moves it.
CHANCE_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_chance AS
WITH hours AS (SELECT facility_id, hh, count(*) AS n FROM _rs_bc_events GROUP BY ALL),
profile AS (SELECT facility_id, sum(n * n) / (sum(n) * sum(n)) AS conc, sum(n) AS total FROM hours GROUP BY 1),
open_days AS (SELECT facility_id, count(DISTINCT day) AS n_days FROM _rs_bc_events GROUP BY 1),
ops AS (SELECT facility_id, sum(n * n) / (sum(n) * sum(n)) AS q FROM
        (SELECT facility_id, operator_id, count(*) AS n FROM _rs_bc_events
         WHERE operator_id IS NOT NULL GROUP BY ALL) GROUP BY 1),
devs AS (SELECT facility_id, sum(n * n) / (sum(n) * sum(n)) AS q FROM
         (SELECT facility_id, device_id, count(*) AS n FROM _rs_bc_events
          WHERE device_id IS NOT NULL GROUP BY ALL) GROUP BY 1)
SELECT facility_id,
       3600.0 / conc / (total / n_days) AS normal_gap,  -- mean gap: effective opening hours / daily volume
       conc / n_days * least(1.0, 2.0 * $facility_window / 3600.0) AS c_any,
       conc / n_days * least(1.0, 2.0 * $window / 3600.0)
           * least(1.0, coalesce(ops.q, 0.0) + coalesce(devs.q, 0.0)) AS c_strong
FROM profile JOIN open_days USING (facility_id) LEFT JOIN ops USING (facility_id) LEFT JOIN devs USING (facility_id)
"""

VISITS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_visits AS
SELECT card_id, facility_id, count(*) AS n FROM _rs_bc_events GROUP BY ALL
"""

# log10 of the Poisson upper tail P(X >= k | mean e), bounded above by its first term times a
# geometric factor (exact enough for k > e; 0 when k <= e: nothing unusual).
LOG10_TAIL = """CASE WHEN {k} > {e} THEN
    (-{e} + {k} * ln(greatest({e}, 1e-12)) - lgamma({k} + 1) + ln(({k} + 1) / ({k} + 1 - {e}))) / ln(10)
  ELSE 0.0 END"""

# Card pairs co-presented on repeated days, more often than chance predicts.
EDGES_SQL = f"""
CREATE OR REPLACE TEMP TABLE _rs_bc_edges AS
WITH candidates AS (  -- pairs seen on two days at least (cheap test first)
    SELECT card_a, card_b FROM _rs_bc_near GROUP BY ALL HAVING $min_days <= 1 OR min(day) < max(day)
), per_facility AS (
    SELECT n.card_a, n.card_b, n.facility_id,
           list(DISTINCT n.day) FILTER (WHERE n.close_any) AS d_any,
           list(DISTINCT n.day) FILTER (WHERE n.close_strong) AS d_strong
    FROM _rs_bc_near n SEMI JOIN candidates c ON c.card_a = n.card_a AND c.card_b = n.card_b
    GROUP BY ALL
), tested AS (
    SELECT p.card_a, p.card_b,
           len(list_distinct(flatten(list(coalesce(p.d_any, []))))) AS k_any,
           len(list_distinct(flatten(list(coalesce(p.d_strong, []))))) AS k_strong,
           sum(va.n * vb.n * c.c_any) AS e_any, sum(va.n * vb.n * c.c_strong) AS e_strong,
           greatest(sum(va.n), sum(vb.n)) AS more_visits
    FROM per_facility p
    JOIN _rs_bc_visits va ON va.card_id = p.card_a AND va.facility_id = p.facility_id
    JOIN _rs_bc_visits vb ON vb.card_id = p.card_b AND vb.facility_id = p.facility_id
    JOIN _rs_bc_chance c ON c.facility_id = p.facility_id
    GROUP BY ALL
), scored AS (
    SELECT *, least({LOG10_TAIL.format(k='k_any', e='e_any')},
                    {LOG10_TAIL.format(k='k_strong', e='e_strong')}) AS log10_p
    FROM tested
)
SELECT card_a, card_b, greatest(k_any, k_strong) AS shared_days, log10_p FROM scored
WHERE greatest(k_any, k_strong) >= $min_days AND log10_p <= $log10_alpha
  AND greatest(k_any, k_strong) >= $share * more_visits
"""

# Each pool's days at each facility: what chance has to work with when its cards meet others.
POOL_VOLUME_CTE = """pool_volume AS (
    SELECT g.grp, e.facility_id, count(DISTINCT e.day) AS n FROM _rs_bc_events e JOIN _rs_bc_groups g ON g.id = e.card_id
    GROUP BY ALL
)"""

# Cards outside every pool that were co-presented with a pool's cards on repeated days, more
# often than the pool's batch days at those facilities explain, and on a good share of their
# own visits there, join it (batches bring new cards; a regular who met a batch twice does not).
ATTACH_SQL = f"""
INSERT INTO _rs_bc_groups
WITH ends AS (
    SELECT g.grp, n.card_b AS card_id, n.card_a AS partner, n.facility_id, n.day, n.close_any, n.close_strong
    FROM _rs_bc_near n JOIN _rs_bc_groups g ON g.id = n.card_a
    UNION ALL
    SELECT g.grp, n.card_a, n.card_b, n.facility_id, n.day, n.close_any, n.close_strong
    FROM _rs_bc_near n JOIN _rs_bc_groups g ON g.id = n.card_b
), outside AS (
    SELECT * FROM ends WHERE card_id NOT IN (SELECT id FROM _rs_bc_groups)
), {POOL_VOLUME_CTE}, per_facility AS (
    SELECT o.grp, o.card_id, o.facility_id,
           list(DISTINCT o.day) FILTER (WHERE o.close_any) AS d_any,
           list(DISTINCT o.day) FILTER (WHERE o.close_strong) AS d_strong,
           list(DISTINCT o.partner) AS partners
    FROM outside o GROUP BY ALL
), tested AS (
    SELECT p.grp, p.card_id,
           len(list_distinct(flatten(list(coalesce(p.d_any, []))))) AS k_any,
           len(list_distinct(flatten(list(coalesce(p.d_strong, []))))) AS k_strong,
           len(list_distinct(flatten(list(p.partners)))) AS n_partners, sum(v.n) AS own_visits,
           sum(v.n * pv.n * c.c_any) AS e_any, sum(v.n * pv.n * c.c_strong) AS e_strong
    FROM per_facility p
    JOIN _rs_bc_visits v ON v.card_id = p.card_id AND v.facility_id = p.facility_id
    JOIN pool_volume pv ON pv.grp = p.grp AND pv.facility_id = p.facility_id
    JOIN _rs_bc_chance c ON c.facility_id = p.facility_id
    GROUP BY ALL
), scored AS (
    SELECT grp, card_id, least({LOG10_TAIL.format(k='k_any', e='e_any')},
                               {LOG10_TAIL.format(k='k_strong', e='e_strong')}) AS log10_p
    FROM tested
    WHERE greatest(k_any, k_strong) >= $min_days AND n_partners >= $min_links
      AND greatest(k_any, k_strong) >= $share * own_visits
)
SELECT arg_min(grp, (log10_p, grp)) AS grp, 'card:' || card_id, 'card', card_id
FROM scored WHERE log10_p <= $log10_alpha GROUP BY card_id
"""

# Two pools whose cards were co-presented with each other on repeated days at one facility,
# beyond what the two pools' batch days there explain, and through several cards on each side,
# are one gang (its batches mix old and new cards); unrelated gangs at one busy counter meet
# only by chance, one stray card is no link, and chance meetings at two different places on a
# day each are not one repeated meeting.
LINKED_POOLS_SQL = f"""
WITH cross_days AS (
    SELECT least(g1.grp, g2.grp) AS ga, greatest(g1.grp, g2.grp) AS gb, n.facility_id,
           list(DISTINCT n.day) FILTER (WHERE n.close_any) AS d_any,
           list(DISTINCT n.day) FILTER (WHERE n.close_strong) AS d_strong,
           list(DISTINCT CASE WHEN g1.grp < g2.grp THEN n.card_a ELSE n.card_b END) AS cards_a,
           list(DISTINCT CASE WHEN g1.grp < g2.grp THEN n.card_b ELSE n.card_a END) AS cards_b
    FROM _rs_bc_near n JOIN _rs_bc_groups g1 ON g1.id = n.card_a JOIN _rs_bc_groups g2 ON g2.id = n.card_b
    WHERE g1.grp <> g2.grp GROUP BY ALL
), {POOL_VOLUME_CTE}, tested AS (
    SELECT x.ga, x.gb, array_length(coalesce(x.d_any, [])) AS k_any, array_length(coalesce(x.d_strong, [])) AS k_strong,
           array_length(x.cards_a) AS n_a, array_length(x.cards_b) AS n_b,
           va.n * vb.n * c.c_any AS e_any, va.n * vb.n * c.c_strong AS e_strong
    FROM cross_days x
    JOIN pool_volume va ON va.grp = x.ga AND va.facility_id = x.facility_id
    JOIN pool_volume vb ON vb.grp = x.gb AND vb.facility_id = x.facility_id
    JOIN _rs_bc_chance c ON c.facility_id = x.facility_id
)
SELECT DISTINCT ga, gb FROM tested
WHERE greatest(k_any, k_strong) >= $min_days AND least(n_a, n_b) >= $min_links
  AND least({LOG10_TAIL.format(k='k_any', e='e_any')}, {LOG10_TAIL.format(k='k_strong', e='e_strong')}) <= $log10_alpha
ORDER BY 1, 2
"""
