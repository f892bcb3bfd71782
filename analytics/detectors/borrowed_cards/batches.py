"""Borrowed cards: batches and sessions, for gangs that rotate their cards.

A pair may meet in few batches while the gang's batches keep coming back, so the batch
is a unit too: a run of returning cards settled far faster than the facility's own pace.
This needs no operator, no device and no two cards within the facility window.
"""
from __future__ import annotations

from ringscope.analytics.detectors.base import pair_settlements_sql
from ringscope.analytics.detectors.borrowed_cards.copresence import LOG10_TAIL, REPEAT_EVENTS

# Batches seen without any pool.  A run is a sequence of settlements of returning cards (seen
# on two days or more) at one facility and day, each following the previous one within the
# facility's normal gap between settlements (at least the facility window, at most the
# operator window): at a quiet clinic a stack of cards settled every quarter hour is one run;
# at a hub, where someone is settled every minute, runs stay short.  A run is a batch when it
# holds far more cards than the facility's own pace explains (Poisson: the settlements its
# normal gap predicts over the run's span) -- a stack of cards, not the ordinary trickle.
# Works without operators or devices recorded.  Only the batches' cards are kept.
RUNS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _rs_bc_runs AS
WITH ordered AS (
    SELECT r.settlement_id, r.card_id, r.facility_id, r.day, r.ts, c.normal_gap,
           r.ts - lag(r.ts) OVER w AS gap, lead(r.ts) OVER w - r.ts AS next_gap,
           least($window, greatest($facility_window, c.normal_gap)) AS chain
    FROM {REPEAT_EVENTS} r JOIN _rs_bc_chance c USING (facility_id)
    WINDOW w AS (PARTITION BY r.facility_id, r.day ORDER BY r.ts, r.settlement_id)
), chained AS (  -- settlements alone in their run cannot be part of a batch
    SELECT * FROM ordered WHERE gap <= chain OR next_gap <= chain
), numbered AS MATERIALIZED (
    SELECT *, sum(CASE WHEN gap IS NULL OR gap > chain THEN 1 ELSE 0 END)
              OVER (PARTITION BY facility_id, day ORDER BY ts, settlement_id ROWS UNBOUNDED PRECEDING) AS run
    FROM chained
), sizes AS (
    SELECT facility_id, day, run, count(DISTINCT card_id) AS m,
           (max(ts) - min(ts) + any_value(chain)) / any_value(normal_gap) AS e
    FROM numbered GROUP BY ALL HAVING count(DISTINCT card_id) >= $min_links
), batches AS (
    SELECT * FROM sizes WHERE {LOG10_TAIL.format(k='(m - 1)', e='e')} <= $log10_alpha
)
SELECT DISTINCT n.facility_id, n.day, n.run, n.card_id FROM numbered n
SEMI JOIN batches b ON b.facility_id = n.facility_id AND b.day = n.day AND b.run = n.run
"""

# Two batches at one facility on different days sharing ``min_links`` cards are one gang's:
# one-off bursts (a screening day, an outbreak) never share their cards again.  Batches are
# joined through their cards (each card's own days only), never all pairs of runs.
BATCH_LINKS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_batch_links AS
SELECT a.facility_id, a.day AS d1, a.run AS r1, b.day AS d2, b.run AS r2
FROM _rs_bc_runs a JOIN _rs_bc_runs b ON a.card_id = b.card_id AND a.facility_id = b.facility_id AND a.day < b.day
GROUP BY ALL HAVING count(*) >= $min_links
"""

# The cards of the linked batches, with their visits to the facility.
BATCH_CARDS_SQL = """
WITH linked AS (
    SELECT facility_id, d1 AS day, r1 AS run FROM _rs_bc_batch_links
    UNION SELECT facility_id, d2, r2 FROM _rs_bc_batch_links
)
SELECT DISTINCT r.facility_id, r.day, r.run, r.card_id, v.n FROM _rs_bc_runs r
SEMI JOIN linked l ON l.facility_id = r.facility_id AND l.day = r.day AND l.run = r.run
JOIN _rs_bc_visits v ON v.card_id = r.card_id AND v.facility_id = r.facility_id
ORDER BY ALL
"""

# A pool's batches (sessions): runs of its cards settled at one facility on one day, each
# within the window of the previous one, holding at least ``min_links`` of its cards, widened
# by the window on both sides (the batch's next card may come that late).  They say which
# settlements are the pool's: a card found through the batches may never sit within the
# window of one particular partner.
SESSIONS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_sessions AS
WITH pool_events AS (
    SELECT g.grp, e.facility_id, e.day, e.ts, e.card_id,
           lag(e.ts) OVER (PARTITION BY g.grp, e.facility_id, e.day ORDER BY e.ts, e.settlement_id) AS prev_ts
    FROM _rs_bc_events e JOIN _rs_bc_groups g ON g.id = e.card_id
), runs AS (
    SELECT *, sum(CASE WHEN prev_ts IS NULL OR ts - prev_ts > $window THEN 1 ELSE 0 END)
              OVER (PARTITION BY grp, facility_id, day ORDER BY ts, card_id ROWS UNBOUNDED PRECEDING) AS run
    FROM pool_events
)
SELECT grp, facility_id, day, run, min(ts) - $window AS t0, max(ts) + $window AS t1
FROM runs GROUP BY ALL HAVING count(DISTINCT card_id) >= $min_links
"""

# The settlements of each pool's cards inside its own batches belong to the pool too
# (windowed join on facility and day: linear).
SESSION_POOL_SQL = """
INSERT INTO _rs_bc_pool
SELECT s.grp, e.settlement_id FROM _rs_bc_sessions s
JOIN _rs_bc_events e ON e.facility_id = s.facility_id AND e.day = s.day AND e.ts BETWEEN s.t0 AND s.t1
JOIN _rs_bc_groups g ON g.id = e.card_id AND g.grp = s.grp
EXCEPT SELECT grp, settlement_id FROM _rs_bc_pool
"""

# Pool settlements: those taking part in a co-presentation between two cards of one pool.
POOL_SQL = pair_settlements_sql("_rs_bc_pool", "_rs_bc_near", "_rs_bc_groups", "card_a", "card_b")
