"""Pools of borrowed or rented insurance cards.

A gang that rents cards presents them in batches: a stack of other people's
cards settled one after another, minutes apart, by the same operator, from
the same phone or simply at one counter, and the SAME cards come back
together on other days.  The holders may live next door and be alive; what
the gang cannot avoid is the repetition.  So the detector works in three
layers, like an investigator:

1. Coordination (candidates).  Two cards are *co-presented* when they were
   settled at one facility within ``facility_window_minutes`` (any counter)
   or within ``window_minutes`` by the same operator or device.  Windowed
   self-joins keep this linear at hub facilities.  A card pair is linked
   only when it was co-presented on ``min_shared_days`` or more days AND
   that is improbable by chance: the expected number of such days follows
   from the two cards' own visit counts at the facility and the facility's
   hourly volume (two regulars of a busy pharmacy meet by chance; two cards
   seen three times each, always together, do not).  Components of the
   links (Leiden above a size) are the pools; a card tied to a pool as
   improbably (same test against the pool's volume there) joins it.
   Gangs rotate their cards, so a pair may meet in few batches while the
   gang's batches keep coming back: the batch is also a unit.  A run of
   returning cards at one facility and day, each within the facility's
   normal gap of the previous one, is a batch when it holds far more cards
   than the facility's pace predicts; batches on different days sharing
   cards are one gang's, and the cards that came in its batches on repeated
   days (and on a good share of their visits) are its pool.  This needs no
   operator, no device and no two cards within the facility window (slow
   batches at a counter that records nothing).
2. Indications, each against its own baseline, summed into one score, none
   required: cards used far from home (vs the facility's far share), after
   death, for another person, for care misfitting sex/age, at two places
   at once; amounts above the facility's and the holder's own baseline;
   care the holder never gets otherwise; a phone presenting the cards of
   more unrelated households than phones used at several places ever do.
3. Explanations lowering the score: one household/address (a family
   sharing a phone, a carer presenting nursing-home residents' cards), care
   that fits each holder's own history (chronic refills).  One-off events
   (a screening day) never repeat and never link.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import (
    pair_settlements_sql,
    register_groups,
    rows,
    temp_tables,
    union_groups,
)
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import BorrowedCardsSettings, DetectionSettings

SCHEME = "borrowed_cards"
_TEMP = ("_rs_bc_events", "_rs_bc_repeat", "_rs_bc_near", "_rs_bc_chance", "_rs_bc_visits", "_rs_bc_edges",
         "_rs_bc_groups", "_rs_bc_pool", "_rs_bc_fac_base", "_rs_bc_devices", "_rs_bc_spacing",
         "_rs_bc_sessions", "_rs_bc_runs", "_rs_bc_batch_links")

_EVENTS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_events AS
SELECT settlement_id, card_id, facility_id, operator_id, device_id,
       CAST(settled_at AS DATE) AS day, epoch(settled_at) AS ts, hour(settled_at) AS hh
FROM settlements WHERE card_id IS NOT NULL AND settled_at IS NOT NULL AND facility_id IS NOT NULL
  AND NOT (coalesce(kind, '') = 'inpatient' AND $skip_inpatient)
"""

# Only cards seen on two days or more can be co-presented on repeated days: the joins skip the
# rest (a cheap superset; the edge test counts the days exactly).
_REPEAT_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_repeat AS
SELECT * FROM _rs_bc_events WHERE $min_days <= 1 OR card_id IN (
    SELECT card_id FROM _rs_bc_events GROUP BY 1 HAVING min(day) < max(day))
"""

# Co-presentations: one windowed self-join per facility and day (only neighbours in time pair,
# so a hub stays linear): within the facility window at any counter, or within the longer
# window by the same operator or device.
_NEAR_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_near AS
WITH j AS (
    SELECT a.settlement_id AS s1, b.settlement_id AS s2,
           least(a.card_id, b.card_id) AS card_a, greatest(a.card_id, b.card_id) AS card_b, a.facility_id, a.day,
           b.ts - a.ts <= $facility_window AS close_any,
           b.ts - a.ts <= $window AND (coalesce(a.operator_id = b.operator_id, false)
                                        OR coalesce(a.device_id = b.device_id, false)) AS close_strong
    FROM _rs_bc_repeat a JOIN _rs_bc_repeat b
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
_CHANCE_SQL = """
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

_VISITS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_visits AS
SELECT card_id, facility_id, count(*) AS n FROM _rs_bc_events GROUP BY ALL
"""

# log10 of the Poisson upper tail P(X >= k | mean e), bounded above by its first term times a
# geometric factor (exact enough for k > e; 0 when k <= e: nothing unusual).
_LOG10_TAIL = """CASE WHEN {k} > {e} THEN
    (-{e} + {k} * ln(greatest({e}, 1e-12)) - lgamma({k} + 1) + ln(({k} + 1) / ({k} + 1 - {e}))) / ln(10)
  ELSE 0.0 END"""

# Card pairs co-presented on repeated days, more often than chance predicts.
_EDGES_SQL = f"""
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
    SELECT *, least({_LOG10_TAIL.format(k='k_any', e='e_any')},
                    {_LOG10_TAIL.format(k='k_strong', e='e_strong')}) AS log10_p
    FROM tested
)
SELECT card_a, card_b, greatest(k_any, k_strong) AS shared_days, log10_p FROM scored
WHERE greatest(k_any, k_strong) >= $min_days AND log10_p <= $log10_alpha
  AND greatest(k_any, k_strong) >= $share * more_visits
"""

# Cards outside every pool that were co-presented with a pool's cards on repeated days, more
# often than the pool's batch days at those facilities explain, and on a good share of their
# own visits there, join it (batches bring new cards; a regular who met a batch twice does not).
_ATTACH_SQL = f"""
INSERT INTO _rs_bc_groups
WITH ends AS (
    SELECT g.grp, n.card_b AS card_id, n.card_a AS partner, n.facility_id, n.day, n.close_any, n.close_strong
    FROM _rs_bc_near n JOIN _rs_bc_groups g ON g.id = n.card_a
    UNION ALL
    SELECT g.grp, n.card_a, n.card_b, n.facility_id, n.day, n.close_any, n.close_strong
    FROM _rs_bc_near n JOIN _rs_bc_groups g ON g.id = n.card_b
), outside AS (
    SELECT * FROM ends WHERE card_id NOT IN (SELECT id FROM _rs_bc_groups)
), pool_volume AS (
    SELECT g.grp, e.facility_id, count(DISTINCT e.day) AS n FROM _rs_bc_events e JOIN _rs_bc_groups g ON g.id = e.card_id
    GROUP BY ALL
), per_facility AS (
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
    SELECT grp, card_id, least({_LOG10_TAIL.format(k='k_any', e='e_any')},
                               {_LOG10_TAIL.format(k='k_strong', e='e_strong')}) AS log10_p
    FROM tested
    WHERE greatest(k_any, k_strong) >= $min_days AND n_partners >= $min_links
      AND greatest(k_any, k_strong) >= $share * own_visits
)
SELECT arg_min(grp, (log10_p, grp)) AS grp, 'card:' || card_id, 'card', card_id
FROM scored WHERE log10_p <= $log10_alpha GROUP BY card_id
"""

# Two pools whose cards were co-presented with each other on repeated days, beyond what the
# two pools' batch days at those facilities explain, and through several cards on each side, are
# one gang (its batches mix old and new cards); unrelated gangs at one busy counter meet only
# by chance, and one stray card is no link.
_LINKED_POOLS_SQL = f"""
WITH cross_days AS (
    SELECT least(g1.grp, g2.grp) AS ga, greatest(g1.grp, g2.grp) AS gb, n.facility_id,
           list(DISTINCT n.day) FILTER (WHERE n.close_any) AS d_any,
           list(DISTINCT n.day) FILTER (WHERE n.close_strong) AS d_strong,
           list(DISTINCT CASE WHEN g1.grp < g2.grp THEN n.card_a ELSE n.card_b END) AS cards_a,
           list(DISTINCT CASE WHEN g1.grp < g2.grp THEN n.card_b ELSE n.card_a END) AS cards_b
    FROM _rs_bc_near n JOIN _rs_bc_groups g1 ON g1.id = n.card_a JOIN _rs_bc_groups g2 ON g2.id = n.card_b
    WHERE g1.grp <> g2.grp GROUP BY ALL
), pool_volume AS (
    SELECT g.grp, e.facility_id, count(DISTINCT e.day) AS n FROM _rs_bc_events e JOIN _rs_bc_groups g ON g.id = e.card_id
    GROUP BY ALL
), tested AS (
    SELECT x.ga, x.gb,
           len(list_distinct(flatten(list(coalesce(x.d_any, []))))) AS k_any,
           len(list_distinct(flatten(list(coalesce(x.d_strong, []))))) AS k_strong,
           len(list_distinct(flatten(list(x.cards_a)))) AS n_a,
           len(list_distinct(flatten(list(x.cards_b)))) AS n_b,
           sum(va.n * vb.n * c.c_any) AS e_any, sum(va.n * vb.n * c.c_strong) AS e_strong
    FROM cross_days x
    JOIN pool_volume va ON va.grp = x.ga AND va.facility_id = x.facility_id
    JOIN pool_volume vb ON vb.grp = x.gb AND vb.facility_id = x.facility_id
    JOIN _rs_bc_chance c ON c.facility_id = x.facility_id
    GROUP BY ALL
)
SELECT ga, gb FROM tested
WHERE greatest(k_any, k_strong) >= $min_days AND least(n_a, n_b) >= $min_links
  AND least({_LOG10_TAIL.format(k='k_any', e='e_any')}, {_LOG10_TAIL.format(k='k_strong', e='e_strong')}) <= $log10_alpha
ORDER BY 1, 2
"""

# Batches seen without any pool.  A run is a sequence of settlements of returning cards (seen
# on two days or more) at one facility and day, each following the previous one within the
# facility's normal gap between settlements (at least the facility window, at most the
# operator window): at a quiet clinic a stack of cards settled every quarter hour is one run;
# at a hub, where someone is settled every minute, runs stay short.  A run is a batch when it
# holds far more cards than the facility's own pace explains (Poisson: the settlements its
# normal gap predicts over the run's span) -- a stack of cards, not the ordinary trickle.
# Works without operators or devices recorded.  Only the batches' cards are kept.
_RUNS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _rs_bc_runs AS
WITH ordered AS (
    SELECT r.settlement_id, r.card_id, r.facility_id, r.day, r.ts, c.normal_gap,
           r.ts - lag(r.ts) OVER w AS gap, lead(r.ts) OVER w - r.ts AS next_gap,
           least($window, greatest($facility_window, c.normal_gap)) AS chain
    FROM _rs_bc_repeat r JOIN _rs_bc_chance c USING (facility_id)
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
    SELECT * FROM sizes WHERE {_LOG10_TAIL.format(k='(m - 1)', e='e')} <= $log10_alpha
)
SELECT DISTINCT n.facility_id, n.day, n.run, n.card_id FROM numbered n
SEMI JOIN batches b ON b.facility_id = n.facility_id AND b.day = n.day AND b.run = n.run
"""

# Two batches at one facility on different days sharing ``min_links`` cards are one gang's:
# one-off bursts (a screening day, an outbreak) never share their cards again.  Batches are
# joined through their cards (each card's own days only), never all pairs of runs.
_BATCH_LINKS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_batch_links AS
SELECT a.facility_id, a.day AS d1, a.run AS r1, b.day AS d2, b.run AS r2
FROM _rs_bc_runs a JOIN _rs_bc_runs b ON a.card_id = b.card_id AND a.facility_id = b.facility_id AND a.day < b.day
GROUP BY ALL HAVING count(*) >= $min_links
"""

# The cards of the linked batches, with their visits to the facility.
_BATCH_CARDS_SQL = """
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
_SESSIONS_SQL = """
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
_SESSION_POOL_SQL = """
INSERT INTO _rs_bc_pool
SELECT s.grp, e.settlement_id FROM _rs_bc_sessions s
JOIN _rs_bc_events e ON e.facility_id = s.facility_id AND e.day = s.day AND e.ts BETWEEN s.t0 AND s.t1
JOIN _rs_bc_groups g ON g.id = e.card_id AND g.grp = s.grp
EXCEPT SELECT grp, settlement_id FROM _rs_bc_pool
"""

# Pool settlements: those taking part in a co-presentation between two cards of one pool.
_POOL_SQL = pair_settlements_sql("_rs_bc_pool", "_rs_bc_near", "_rs_bc_groups", "card_a", "card_b")

# Each facility's own baseline, without the pools: its share of far-from-home patients, and its
# median fund payment per kind of settlement and, where it has enough of them, per diagnosis
# group (a specialist's patients cost what that care costs there, not what a cold costs).
_FAC_BASE_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_fac_base AS
WITH base AS (
    SELECT s.facility_id, coalesce(s.kind, '') AS kind, coalesce(left(s.diagnosis_code, 3), '') AS dx, s.fund_paid,
           CASE WHEN left(p.region_code, $plen) <> left(f.region_code, $plen) THEN 1.0 ELSE 0.0 END AS far
    FROM settlements s JOIN cards c ON c.card_id = s.card_id JOIN patients p ON p.patient_id = c.patient_id
    JOIN facilities f ON f.facility_id = s.facility_id
    WHERE s.settlement_id NOT IN (SELECT settlement_id FROM _rs_bc_pool)
      AND s.facility_id IN (SELECT DISTINCT e.facility_id FROM _rs_bc_events e JOIN _rs_bc_pool USING (settlement_id))
), by_kind AS (
    SELECT facility_id, kind, avg(far) AS far_base, median(fund_paid) AS fund_median FROM base GROUP BY ALL
), by_dx AS (
    SELECT facility_id, kind, dx, median(fund_paid) AS dx_median FROM base
    WHERE dx <> '' GROUP BY ALL HAVING count(*) >= $min_dx
)
SELECT facility_id, kind, '' AS dx, far_base, fund_median FROM by_kind
UNION ALL
SELECT facility_id, kind, dx, NULL, dx_median FROM by_dx
"""

# Phones and terminals: how many households' cards each presented, at how many facilities, and
# how unusual that is among devices used at several places (a family phone travels with one
# household; a terminal stays at one counter; a gang phone does neither).
_DEVICES_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_devices AS
WITH places AS (
    SELECT device_id, count(*) AS n, count(DISTINCT facility_id) AS facilities
    FROM settlements WHERE device_id IS NOT NULL GROUP BY 1
), pool_devices AS (
    SELECT DISTINCT s.device_id FROM settlements s JOIN _rs_bc_groups g ON g.id = s.card_id
    WHERE s.device_id IS NOT NULL
), d AS (  -- households only where they matter: devices used at several places, and the pools'
    SELECT s.device_id, count(DISTINCT coalesce(p.address, p.phone, c.patient_id)) AS households
    FROM settlements s JOIN cards c ON c.card_id = s.card_id JOIN patients p ON p.patient_id = c.patient_id
    WHERE s.device_id IN (SELECT device_id FROM places WHERE facilities >= 2 UNION SELECT device_id FROM pool_devices)
    GROUP BY 1
), roaming AS (SELECT d.households FROM d JOIN places USING (device_id) WHERE places.facilities >= 2)
SELECT pl.device_id, pl.n, pl.facilities, d.households,
       CASE WHEN pl.facilities >= 2
            THEN (SELECT count(*) FROM roaming r WHERE r.households >= d.households) / (SELECT count(*) FROM roaming)
            ELSE 1.0 END AS tail_share
FROM pool_devices JOIN places pl USING (device_id) JOIN d USING (device_id)
"""


# Strict sequence: how much closer together a card's batch settlements follow each other than
# the facility's own settlements normally do (its mean gap: effective opening hours over its
# daily volume).  Minutes apart means nothing at a hub that settles one patient a minute.
_SPACING_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_bc_spacing AS
WITH normal AS (SELECT facility_id, normal_gap FROM _rs_bc_chance),
pool_rows AS (
    SELECT g.grp, e.* FROM _rs_bc_events e JOIN _rs_bc_pool p USING (settlement_id)
    JOIN _rs_bc_groups g ON g.id = e.card_id AND g.grp = p.grp
), pool_gaps AS (
    SELECT card_id, facility_id,
           ts - lag(ts) OVER (PARTITION BY grp, facility_id, day ORDER BY ts, settlement_id) AS gap,
           count(DISTINCT card_id) OVER (PARTITION BY grp, facility_id, day) AS batch_cards
    FROM pool_rows
)
SELECT card_id, coalesce(median(n.normal_gap / greatest(pg.gap, 30.0))
                         FILTER (WHERE pg.gap IS NOT NULL AND pg.gap <= $window), 0.0) AS spacing_ratio,
       median(batch_cards) AS batch_cards
FROM pool_gaps pg JOIN normal n USING (facility_id) GROUP BY 1
"""


class CardSigns(NamedTuple):
    """One pool card: its holder, its misuse signs and how its pool use fits its own history."""

    grp: int
    card_id: str
    holder_id: str
    household: str
    far_share: float
    far_base: float
    after_death: int
    other_person: int
    care_mismatch: int
    overlaps: int
    spacing_ratio: float
    batch_cards: float
    pool_settlements: int
    pool_fund_median: float
    facility_fund_median: float
    own_settlements: int
    own_fund_median: float | None
    care_fit_share: float | None
    facilities: list[str]
    operators: list[str]
    devices: list[str]
    first_at: datetime
    last_at: datetime


_SEX_AGE_MISFIT = """(diagnosis_code LIKE 'O%' AND (gender = 'M'
        OR date_diff('year', birth_date, CAST(settled_at AS DATE)) NOT BETWEEN 12 AND 55))
     OR (diagnosis_code SIMILAR TO 'N4[0-2].*' AND gender = 'F')
     OR (diagnosis_code LIKE 'P%' AND date_diff('year', birth_date, CAST(settled_at AS DATE)) > 1)"""

# Per pool card: misuse signs on its pool settlements, and its own other settlements
# (amounts, the care it gets) as the holder's own baseline.
_CARD_SIGNS_SQL = f"""
WITH pool_cards AS (SELECT grp, id AS card_id FROM _rs_bc_groups),
all_rows AS (
    SELECT pc.grp, s.*, (s.settlement_id IN (SELECT settlement_id FROM _rs_bc_pool)) AS in_pool,
           c.patient_id AS holder_id, p.region_code AS holder_region, p.death_date, p.gender, p.birth_date,
           coalesce(p.address, p.phone, c.patient_id) AS household, f.region_code AS facility_region,
           fb.far_base, coalesce(fd.fund_median, fb.fund_median) AS fund_median
    FROM pool_cards pc JOIN settlements s ON s.card_id = pc.card_id
    JOIN cards c ON c.card_id = s.card_id JOIN patients p ON p.patient_id = c.patient_id
    JOIN facilities f ON f.facility_id = s.facility_id
    LEFT JOIN _rs_bc_fac_base fb ON fb.facility_id = s.facility_id AND fb.kind = coalesce(s.kind, '') AND fb.dx = ''
    LEFT JOIN _rs_bc_fac_base fd ON fd.facility_id = s.facility_id AND fd.kind = coalesce(s.kind, '')
     AND fd.dx = left(s.diagnosis_code, 3)
), care AS (  -- what each settlement was for: diagnosis group and drugs
    SELECT a.settlement_id, a.card_id, a.in_pool, 'dx:' || left(a.diagnosis_code, 3) AS item
    FROM all_rows a WHERE a.diagnosis_code IS NOT NULL
    UNION
    SELECT a.settlement_id, a.card_id, a.in_pool, 'drug:' || d.drug_code
    FROM all_rows a JOIN dispensings d ON d.settlement_id = a.settlement_id
), fit AS (  -- pool settlements whose care the holder also gets outside the pool
    SELECT p.card_id, count(DISTINCT p.settlement_id) AS fitting
    FROM care p JOIN care o ON o.card_id = p.card_id AND o.item = p.item AND NOT o.in_pool
    WHERE p.in_pool GROUP BY 1
), own_kind AS (  -- the card's own payments outside the pool, per kind of settlement
    SELECT card_id, coalesce(kind, '') AS kind, median(fund_paid) AS own_median
    FROM all_rows WHERE NOT in_pool GROUP BY ALL
), overlap AS (  -- the same card at another facility within hours of a pool settlement
    SELECT a.card_id, count(DISTINCT a.settlement_id) AS n
    FROM all_rows a JOIN all_rows b ON b.card_id = a.card_id AND b.facility_id <> a.facility_id
     AND abs(epoch(b.settled_at) - epoch(a.settled_at)) <= $overlap
    WHERE a.in_pool GROUP BY 1
)
SELECT a.grp, a.card_id, any_value(a.holder_id), any_value(a.household),
       coalesce(avg(CASE WHEN left(a.holder_region, $plen) <> left(a.facility_region, $plen) THEN 1.0 ELSE 0.0 END)
                FILTER (WHERE a.in_pool), 0.0),
       coalesce(max(a.far_base) FILTER (WHERE a.in_pool), 0.0),
       count(*) FILTER (WHERE a.in_pool AND a.death_date IS NOT NULL AND CAST(a.settled_at AS DATE) > a.death_date),
       count(*) FILTER (WHERE a.in_pool AND a.patient_id IS NOT NULL AND a.patient_id <> a.holder_id),
       count(*) FILTER (WHERE a.in_pool AND ({_SEX_AGE_MISFIT})),
       coalesce(any_value(ov.n), 0), coalesce(any_value(sp.spacing_ratio), 0.0),
       coalesce(any_value(sp.batch_cards), 0.0),
       count(*) FILTER (WHERE a.in_pool),
       coalesce(median(a.fund_paid) FILTER (WHERE a.in_pool), 0.0),
       coalesce(median(a.fund_median) FILTER (WHERE a.in_pool), 0.0),
       count(*) FILTER (WHERE NOT a.in_pool),
       median(ok.own_median) FILTER (WHERE a.in_pool),
       CASE WHEN count(*) FILTER (WHERE NOT a.in_pool) > 0
            THEN coalesce(any_value(fit.fitting), 0) / count(*) FILTER (WHERE a.in_pool) END,
       coalesce(list(DISTINCT a.facility_id ORDER BY a.facility_id) FILTER (WHERE a.in_pool), []),
       coalesce(list(DISTINCT a.operator_id ORDER BY a.operator_id) FILTER (WHERE a.in_pool AND a.operator_id IS NOT NULL), []),
       coalesce(list(DISTINCT a.device_id ORDER BY a.device_id) FILTER (WHERE a.in_pool AND a.device_id IS NOT NULL), []),
       min(a.settled_at) FILTER (WHERE a.in_pool), max(a.settled_at) FILTER (WHERE a.in_pool)
FROM all_rows a LEFT JOIN fit USING (card_id) LEFT JOIN overlap ov USING (card_id)
LEFT JOIN _rs_bc_spacing sp ON sp.card_id = a.card_id
LEFT JOIN own_kind ok ON ok.card_id = a.card_id AND ok.kind = coalesce(a.kind, '')
GROUP BY a.grp, a.card_id HAVING count(*) FILTER (WHERE a.in_pool) > 0
ORDER BY a.grp, a.card_id
"""


class Device(NamedTuple):
    device_id: str
    settlements: int
    facilities: int
    households: int
    tail_share: float


@dataclass
class Assessment:
    """A pool's indications and explanations, each in [0, 1], and the combined score."""

    misuse: float = 0.0
    far: float = 0.0
    amount_facility: float = 0.0
    amount_own: float = 0.0
    care_misfit: float = 0.0
    roaming_device: float = 0.0
    overlap: float = 0.0
    strict_sequence: float = 0.0
    one_household: float = 0.0
    care_fits_history: float = 0.0

    def score(self, cfg: BorrowedCardsSettings) -> float:
        """Indications add, explanations subtract; no single term is required."""
        signs = (cfg.misuse_weight * self.misuse + self.amount_facility + self.amount_own
                 + self.care_misfit + self.roaming_device + self.overlap + self.strict_sequence)
        return signs - cfg.household_weight * self.one_household - self.care_fits_history


def _far(c: CardSigns, cfg: BorrowedCardsSettings) -> bool:
    """Used mostly far from home, clearly above the facility's own far share."""
    return c.far_share > cfg.far_min_share and c.far_share >= min(cfg.far_over_baseline * c.far_base, cfg.far_cap)


def _misused(c: CardSigns, cfg: BorrowedCardsSettings) -> bool:
    return _far(c, cfg) or c.after_death > 0 or c.other_person > 0 or c.care_mismatch > 0


def _ratio_strength(ratio: float, cap: float) -> float:
    """log2 of a ratio above 1, scaled so that ``cap`` times the baseline counts fully."""
    if ratio <= 1.0:
        return 0.0
    return min(1.0, math.log2(ratio) / math.log2(cap))


def assess(cards: list[CardSigns], devices: dict[str, Device], cfg: BorrowedCardsSettings) -> Assessment:
    """Indications and explanations of one pool, each against its own baseline."""
    n = len(cards)
    a = Assessment()
    a.misuse = sum(_misused(c, cfg) for c in cards) / n
    a.far = sum(_far(c, cfg) for c in cards) / n
    fac_ratios = [c.pool_fund_median / c.facility_fund_median for c in cards if c.facility_fund_median > 0]
    if fac_ratios:
        a.amount_facility = _ratio_strength(statistics.median(fac_ratios), cfg.amount_ratio_full)
    own = [c for c in cards if c.own_settlements > 0]
    coverage = len(own) / n
    own_ratios = [c.pool_fund_median / c.own_fund_median for c in own if c.own_fund_median]
    if own_ratios:
        a.amount_own = coverage * _ratio_strength(statistics.median(own_ratios), cfg.amount_ratio_full)
    fits = [c.care_fit_share for c in own if c.care_fit_share is not None]
    if fits:
        a.care_misfit = coverage * (1.0 - statistics.mean(fits))
        a.care_fits_history = coverage * statistics.mean(fits)
    pool_devices = {d for c in cards for d in c.devices}
    tails = [devices[d].tail_share for d in pool_devices if d in devices and devices[d].facilities >= 2]
    if tails:
        a.roaming_device = min(1.0, -math.log10(max(min(tails), 1e-9)) / cfg.roaming_device_full)
    a.overlap = sum(c.overlaps > 0 for c in cards) / n
    # closer together than the facility's usual spacing, in runs of more than two cards
    run = min(1.0, max(0.0, (statistics.median(c.batch_cards for c in cards) - 2) / 3))
    a.strict_sequence = run * _ratio_strength(statistics.median(c.spacing_ratio for c in cards), cfg.spacing_ratio_full)
    households: dict[str, int] = defaultdict(int)
    for c in cards:
        households[c.household] += 1
    a.one_household = max(0.0, 1.0 - (len(households) - 1) / max(n - 1, 1))
    return a



def _coordinated_pools(con: duckdb.DuckDBPyConnection, settings: DetectionSettings,
                       engine: CommunityEngine | None) -> list[tuple[str, str, float]] | None:
    """Co-presentations, the chance test, pools (registered as _rs_bc_groups); returns the pair
    edges (empty when the pools come from batches alone), or None when there is no pool."""
    cfg = settings.borrowed_cards
    windows = {"window": cfg.window_minutes * 60, "facility_window": cfg.facility_window_minutes * 60}
    alpha = math.log10(cfg.chance_alpha)
    con.execute(_EVENTS_SQL, {"skip_inpatient": cfg.skip_inpatient})
    con.execute(_REPEAT_SQL, {"min_days": cfg.min_shared_days})
    con.execute(_NEAR_SQL, windows)
    con.execute(_CHANCE_SQL, windows)
    con.execute(_VISITS_SQL)
    con.execute(_EDGES_SQL, {"min_days": cfg.min_shared_days, "log10_alpha": alpha, "share": cfg.min_visit_share})
    edge_rows = rows(con, "SELECT 'card:' || card_a, 'card:' || card_b, shared_days FROM _rs_bc_edges ORDER BY 1, 2")
    groups = [g for g in find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above,
                                     cfg.leiden_resolution, settings.seed, cfg.leiden_min_modularity)
              if len(g) >= 2] if edge_rows else []
    groups = _with_batch_gangs(groups, _batch_gangs(con, cfg, windows, alpha))
    if not groups:
        return None
    register_groups(con, "_rs_bc_groups", groups)
    con.execute(_ATTACH_SQL, {"min_days": cfg.min_shared_days, "min_links": cfg.attach_min_links,
                              "log10_alpha": alpha, "share": cfg.min_visit_share})
    links = rows(con, _LINKED_POOLS_SQL, {"min_days": cfg.min_shared_days, "log10_alpha": alpha,
                                          "min_links": cfg.attach_min_links})
    if links:
        _regroup(con, links)
    con.execute(_POOL_SQL)
    con.execute(_SESSIONS_SQL, {"window": windows["window"], "min_links": cfg.attach_min_links})
    con.execute(_SESSION_POOL_SQL)
    return edge_rows


def _batch_gangs(con: duckdb.DuckDBPyConnection, cfg: BorrowedCardsSettings, windows: dict[str, int],
                 alpha: float) -> list[list[str]]:
    """Gangs found from their batches: runs linked (chance test) into chains of one gang.

    A card belongs to the gang when it came in the chain's batches on ``min_shared_days``
    days and on ``min_visit_share`` of its visits there: a rotating gang's cards come back
    with its batches while any two of them rarely meet twice; a regular who was settled next
    to a batch once or twice among many visits does not belong.
    """
    con.execute(_RUNS_SQL, {**windows, "min_links": cfg.attach_min_links, "log10_alpha": alpha})
    con.execute(_BATCH_LINKS_SQL, {"min_links": cfg.attach_min_links})
    parent: dict[tuple, tuple] = {}

    def root(b: tuple) -> tuple:
        parent.setdefault(b, b)
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for fac, d1, r1, d2, r2 in rows(con, "SELECT * FROM _rs_bc_batch_links ORDER BY ALL"):
        ra, rb = root((fac, d1, r1)), root((fac, d2, r2))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    days: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    visits: dict[tuple[str, str], int] = {}
    for fac, day, run, card, n in rows(con, _BATCH_CARDS_SQL):
        days[root((fac, day, run))][card].add(day)
        visits[(fac, card)] = n
    gangs = []
    for chain, cards in sorted(days.items()):
        keep = [f"card:{c}" for c, ds in sorted(cards.items())
                if len(ds) >= cfg.min_shared_days and len(ds) >= cfg.min_visit_share * visits[(chain[0], c)]]
        if len(keep) >= 2:
            gangs.append(keep)
    return gangs


def _with_batch_gangs(groups: list[list[str]], gangs: list[list[str]]) -> list[list[str]]:
    """Pools from repeated pairs and gangs from linked batches, joined where they share a card."""
    everything = groups + gangs
    first: dict[str, int] = {}
    links = []
    for i, group in enumerate(everything):
        for key in group:
            if key in first:
                links.append((first[key], i))
            else:
                first[key] = i
    return union_groups(everything, links) if everything else []


def _regroup(con: duckdb.DuckDBPyConnection, links: list[tuple[int, int]]) -> None:
    """Re-register the pools with ``links`` (pairs of pool numbers) merged."""
    current: dict[int, list[str]] = defaultdict(list)
    for grp, node in rows(con, "SELECT grp, node FROM _rs_bc_groups ORDER BY grp, node"):
        current[grp].append(node)
    register_groups(con, "_rs_bc_groups", union_groups([current[g] for g in range(max(current) + 1)], links))


def _merge_by_gang_device(by_group: dict[int, list[CardSigns]], devices: dict[str, Device],
                          cfg: BorrowedCardsSettings) -> dict[int, list[CardSigns]]:
    """Pools presented from one gang phone are one gang's pools.

    Only a device that is the pools' own (at least half of everything it ever presented is
    pool settlements) merges: a counter terminal serves every gang and every patient.
    """
    if not cfg.merge_by_device:
        return by_group
    pool_use: dict[str, float] = defaultdict(float)
    groups_of: dict[str, set[int]] = defaultdict(set)
    for grp, cards in by_group.items():
        per_device: dict[str, int] = defaultdict(int)
        for c in cards:
            for d in c.devices:
                per_device[d] += 1
                pool_use[d] += c.pool_settlements / max(len(c.devices), 1)
        for d, k in per_device.items():
            if k >= 2:
                groups_of[d].add(grp)
    parent = {g: g for g in by_group}

    def root(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for d in sorted(groups_of):
        own = d in devices and pool_use[d] >= 0.5 * devices[d].settlements
        gs = sorted(groups_of[d])
        for g in gs[1:] if own else []:
            ra, rb = root(gs[0]), root(g)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    merged: dict[int, list[CardSigns]] = defaultdict(list)
    for grp in sorted(by_group):
        merged[root(grp)].extend(by_group[grp])
    return dict(merged)


def detect_borrowed_cards(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Pools of cards presented together on repeated days, scored on indications minus explanations.

    Members are the cards (role ``borrowed``, the most connected ``hub``) and the devices
    two or more of them were presented from (role ``device``).
    """
    cfg = settings.borrowed_cards
    with temp_tables(con, *_TEMP):
        edge_rows = _coordinated_pools(con, settings, engine)
        if edge_rows is None:
            return []
        con.execute(_FAC_BASE_SQL, {"plen": cfg.far_prefix_len, "min_dx": cfg.min_baseline_settlements})
        con.execute(_DEVICES_SQL)
        con.execute(_SPACING_SQL, {"window": cfg.window_minutes * 60})
        signs = [CardSigns(*r) for r in rows(con, _CARD_SIGNS_SQL, {"plen": cfg.far_prefix_len,
                                                                    "overlap": cfg.overlap_minutes * 60})]
        devices = {r[0]: Device(*r) for r in rows(con, "SELECT * FROM _rs_bc_devices")}
        pool_rows = rows(con, """SELECT p.grp, p.settlement_id, s.card_id FROM _rs_bc_pool p
                                 JOIN settlements s USING (settlement_id) ORDER BY 1, 2""")
    by_group: dict[int, list[CardSigns]] = defaultdict(list)
    for c in signs:
        by_group[c.grp].append(c)
    pool: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for grp, sid, card in pool_rows:
        pool[grp].append((sid, card))
    rings = []
    for cards in _merge_by_gang_device(by_group, devices, cfg).values():
        if len(cards) < cfg.min_cards:
            continue
        assessment = assess(cards, devices, cfg)
        if assessment.score(cfg) >= cfg.report_score:
            rings.append(_ring(cards, assessment, pool, edge_rows, devices, cfg))
    return rings


def _evidence(cards: list[CardSigns], a: Assessment, mean_days: float, devices: list[str],
              cfg: BorrowedCardsSettings) -> list[Evidence]:
    """Plain-language evidence: the coordination, then each indication and explanation present."""
    n = len(cards)
    households = len({c.household for c in cards})
    operators = sorted({o for c in cards for o in c.operators})
    via = f"operator(s) {', '.join(operators[:3])}" if operators else "shared devices or one counter"
    ev = [Evidence(
        "card_pool",
        f"{n} cards of {households} households were presented together by {via}, minutes apart, "
        f"on {mean_days:.1f} days per card pair on average (far more often than the facilities' volume explains).",
        f"{n}张分属{households}个家庭的医保卡被集中在几分钟内连续结算，每对卡平均共同出现{mean_days:.1f}天，远超机构就诊量可解释的程度。",
        float(n))]
    counts = {
        "far_from_home": (sum(_far(c, cfg) for c in cards), ("were used mostly far from the holder's home region, "
                          "well above the facilities' usual share"), "主要在参保地以外使用，明显高于机构平时的异地比例"),
        "after_death": (sum(c.after_death > 0 for c in cards), "were used after the holder's recorded death",
                        "在持卡人死亡后仍被使用"),
        "other_person": (sum(c.other_person > 0 for c in cards), "were used for someone other than the holder",
                         "的就诊人与持卡人不一致"),
        "care_mismatch": (sum(c.care_mismatch > 0 for c in cards), "were used for care not fitting the holder's sex or age",
                          "的诊疗与持卡人性别或年龄不符"),
        "two_places": (sum(c.overlaps > 0 for c in cards), "were also used at another facility within hours",
                       "在数小时内又在另一机构使用"),
    }
    for kind, (k, en, zh) in counts.items():
        if k:
            ev.append(Evidence(kind, f"{k} of {n} cards {en}.", f"{n}张卡中有{k}张{zh}。", float(k)))
    graded = [
        ("amount_above_facility", a.amount_facility, "Amounts in the batches are above the facilities' usual payments.",
         "批量结算金额高于机构平时水平。"),
        ("amount_above_own", a.amount_own, "Amounts are above what the same cards are paid otherwise.",
         "批量结算金额高于同一张卡平时的水平。"),
        ("care_not_in_history", a.care_misfit, "The batches bring care the holders do not get otherwise.",
         "批量结算的诊疗或药品不符合持卡人自己的就医史。"),
        ("roaming_device", a.roaming_device, (f"{len(devices)} device(s) presented cards of more unrelated households, "
         "at several places, than phones normally do."), f"{len(devices)}台设备在多处为多个无关家庭的卡结算，远超一般手机。"),
        ("explained_household", -a.one_household, "Part of the pool is one household or one address (explanation).",
         "部分卡属于同一家庭或同一地址（可解释因素）。"),
        ("explained_history", -a.care_fits_history, "Part of the batches is care the holders always get (explanation).",
         "部分结算是持卡人一贯的诊疗（可解释因素）。"),
    ]
    for kind, value, en, zh in graded:
        if abs(value) >= 0.2:
            ev.append(Evidence(kind, en, zh, round(value, 3)))
    return ev


def _ring(cards: list[CardSigns], a: Assessment, pool: dict[int, list[tuple[str, str]]],
          edge_rows: list[tuple[str, str, float]], devices: dict[str, Device], cfg: BorrowedCardsSettings) -> Ring:
    """One reported pool: members, settlements, evidence and scoring features."""
    n = len(cards)
    kept = {c.card_id for c in cards}
    pool_ids = sorted({sid for g in {c.grp for c in cards} for sid, card in pool.get(g, []) if card in kept})
    device_cards: dict[str, set[str]] = defaultdict(set)
    for c in cards:
        for d in c.devices:
            device_cards[d].add(c.card_id)
    pool_devices = sorted(d for d, cs in device_cards.items() if len(cs) >= 2)
    keys = {f"card:{c}" for c in kept}
    ring_edges = [e for e in edge_rows if e[0] in keys and e[1] in keys]
    hub = top_node(centrality(ring_edges), "card:")
    members = [Member("card", c.card_id, "hub" if f"card:{c.card_id}" == hub else "borrowed") for c in cards]
    members += [Member("device", d, "device") for d in pool_devices]
    mean_days = sum(e[2] for e in ring_edges) / len(ring_edges) if ring_edges else 0.0
    score = a.score(cfg)
    first_at, last_at = min(c.first_at for c in cards), max(c.last_at for c in cards)
    far_base = max((c.far_base for c in cards), default=0.0)
    return Ring(
        scheme=SCHEME, members=members, settlement_ids=pool_ids,
        evidence=_evidence(cards, a, mean_days, pool_devices, cfg),
        features={
            "size": float(n), "evidence_count": float(len(pool_ids)), "per_member": mean_days,
            "baseline_ratio": a.far / max(far_base, 0.01),
            "active_days": (last_at - first_at).total_seconds() / 86400,
            "signal_strength": round(1.0 / (1.0 + math.exp(-(score - cfg.report_score) * 2.0)), 4),
        },
    )
