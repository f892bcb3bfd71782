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

from collections import defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine
from ringscope.analytics.detectors.base import (
    rows,
    temp_tables,
)
from ringscope.analytics.detectors.borrowed_cards.assessment import Device, assess
from ringscope.analytics.detectors.borrowed_cards.copresence import TEMP
from ringscope.analytics.detectors.borrowed_cards.evidence import ring
from ringscope.analytics.detectors.borrowed_cards.pools import coordinated_pools, merge_by_gang_device
from ringscope.analytics.detectors.borrowed_cards.signs import (
    CARD_SIGNS_SQL,
    DEVICES_SQL,
    FAC_BASE_SQL,
    SPACING_SQL,
    CardSigns,
)
from ringscope.analytics.ring import Ring
from ringscope.analytics.settings import DetectionSettings

# The pool's transactions: its cards' settlements in its co-presentations and sessions at a
# place where the pool works (its cards met there on ``min_shared_days`` days) or from a gang
# phone (one that presented two or more of its cards, as for the ring's members).  Two holders of pool
# cards who happen to be settled minutes apart once, somewhere the gang never works and on
# their own phones, are two people's own care: a single co-occurrence is nobody's scheme.
POOL_LOSS_SQL = """
WITH pool AS (
    SELECT p.grp, p.settlement_id, s.card_id, s.facility_id, s.device_id, CAST(s.settled_at AS DATE) AS day
    FROM _rs_bc_pool p JOIN settlements s USING (settlement_id)
), venues AS (
    SELECT grp, facility_id FROM pool GROUP BY grp, facility_id HAVING count(DISTINCT day) >= $min_days
), phones AS (
    SELECT grp, device_id FROM pool WHERE device_id IS NOT NULL GROUP BY grp, device_id
    HAVING count(DISTINCT card_id) >= 2
)
SELECT p.grp, p.settlement_id, p.card_id FROM pool p
LEFT JOIN venues v ON v.grp = p.grp AND v.facility_id = p.facility_id
LEFT JOIN phones g ON g.grp = p.grp AND g.device_id = p.device_id
WHERE v.facility_id IS NOT NULL OR g.device_id IS NOT NULL
ORDER BY 1, 2
"""


def detect_borrowed_cards(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Pools of cards presented together on repeated days, scored on indications minus explanations.

    Members are the cards (role ``borrowed``, the most connected ``hub``) and the devices
    two or more of them were presented from (role ``device``).
    """
    cfg = settings.borrowed_cards
    with temp_tables(con, *TEMP):
        edge_rows = coordinated_pools(con, settings, engine)
        if edge_rows is None:
            return []
        con.execute(FAC_BASE_SQL, {"plen": cfg.far_prefix_len, "min_dx": cfg.min_baseline_settlements})
        con.execute(DEVICES_SQL)
        con.execute(SPACING_SQL, {"window": cfg.window_minutes * 60})
        signs = [CardSigns(*r) for r in rows(con, CARD_SIGNS_SQL, {"plen": cfg.far_prefix_len,
                                                                    "overlap": cfg.overlap_minutes * 60})]
        devices = {r[0]: Device(*r) for r in rows(con, "SELECT * FROM _rs_bc_devices")}
        pool_rows = rows(con, POOL_LOSS_SQL, {"min_days": cfg.min_shared_days})
    by_group: dict[int, list[CardSigns]] = defaultdict(list)
    for c in signs:
        by_group[c.grp].append(c)
    pool: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for grp, sid, card in pool_rows:
        pool[grp].append((sid, card))
    rings = []
    for cards in merge_by_gang_device(by_group, devices, cfg).values():
        if len(cards) < cfg.min_cards:
            continue
        assessment = assess(cards, devices, cfg)
        if assessment.score(cfg) >= cfg.report_score:
            rings.append(ring(cards, assessment, pool, edge_rows, devices, cfg))
    return rings
