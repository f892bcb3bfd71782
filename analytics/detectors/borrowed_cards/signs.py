"""Borrowed cards, step 2: what each pool card shows against its facility's baseline.

Far from home, after death, for another person, care misfitting sex or age, two places at
once, amounts above the facility's and the holder's own: each measured against the
facility without the pools, so a tourist city's far patients do not read as misuse.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

# Each facility's own baseline, without the pools: its share of far-from-home patients, and its
# median fund payment per kind of settlement and, where it has enough of them, per diagnosis
# group (a specialist's patients cost what that care costs there, not what a cold costs).
FAC_BASE_SQL = """
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
DEVICES_SQL = """
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
SPACING_SQL = """
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
    household_recorded: bool
    """The holder's address or phone is recorded: ``household`` is a household, not the holder alone."""
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


SEX_AGE_MISFIT = """(diagnosis_code LIKE 'O%' AND (gender = 'M'
        OR date_diff('year', birth_date, CAST(settled_at AS DATE)) NOT BETWEEN 12 AND 55))
     OR (diagnosis_code SIMILAR TO 'N4[0-2].*' AND gender = 'F')
     OR (diagnosis_code LIKE 'P%' AND date_diff('year', birth_date, CAST(settled_at AS DATE)) > 1)"""



def two_places(a: str, b: str, a_region: str, b_region: str) -> str:
    """SQL: settlement ``b`` is the card of settlement ``a`` in another city within ``$overlap``
    seconds (``$plen`` region digits).  A clinic and then a pharmacy of the same town is an
    ordinary morning, not two places at once.  One rule for detection and the referral's rows."""
    return (f"{b}.card_id = {a}.card_id AND {b}.facility_id <> {a}.facility_id"
            f" AND abs(epoch({b}.settled_at) - epoch({a}.settled_at)) <= $overlap"
            f" AND left({b_region}, $plen) IS DISTINCT FROM left({a_region}, $plen)")


# Per pool card: misuse signs on its pool settlements, and its own other settlements
# (amounts, the care it gets) as the holder's own baseline.
CARD_SIGNS_SQL = f"""
WITH pool_cards AS (SELECT grp, id AS card_id FROM _rs_bc_groups),
all_rows AS (
    SELECT pc.grp, s.*, (s.settlement_id IN (SELECT settlement_id FROM _rs_bc_pool)) AS in_pool,
           c.patient_id AS holder_id, p.region_code AS holder_region, p.death_date, p.gender, p.birth_date,
           coalesce(p.address, p.phone, c.patient_id) AS household,
           (p.address IS NOT NULL OR p.phone IS NOT NULL) AS household_recorded, f.region_code AS facility_region,
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
), overlap AS (  -- the same card in another city within hours of a pool settlement
    SELECT a.card_id, count(DISTINCT a.settlement_id) AS n
    FROM all_rows a JOIN all_rows b ON {two_places("a", "b", "a.facility_region", "b.facility_region")}
    WHERE a.in_pool GROUP BY 1
)
SELECT a.grp, a.card_id, any_value(a.holder_id), any_value(a.household), bool_or(a.household_recorded),
       coalesce(avg(CASE WHEN left(a.holder_region, $plen) <> left(a.facility_region, $plen) THEN 1.0 ELSE 0.0 END)
                FILTER (WHERE a.in_pool), 0.0),
       coalesce(max(a.far_base) FILTER (WHERE a.in_pool), 0.0),
       count(*) FILTER (WHERE a.in_pool AND a.death_date IS NOT NULL AND CAST(a.settled_at AS DATE) > a.death_date),
       count(*) FILTER (WHERE a.in_pool AND a.patient_id IS NOT NULL AND a.patient_id <> a.holder_id),
       count(*) FILTER (WHERE a.in_pool AND ({SEX_AGE_MISFIT})),
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
