"""Borrowed cards, steps 2 and 3: a pool's indications and explanations as one score.

Indications add, explanations (one household, care fitting the holders' history)
subtract; none is required, because most bureaus' data lacks one sign or another.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from ringscope.analytics.detectors.borrowed_cards.settings import BorrowedCardsSettings
from ringscope.analytics.detectors.borrowed_cards.signs import CardSigns


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


def used_far(c: CardSigns, cfg: BorrowedCardsSettings) -> bool:
    """Used mostly far from home, clearly above the facility's own far share."""
    return c.far_share > cfg.far_min_share and c.far_share >= min(cfg.far_over_baseline * c.far_base, cfg.far_cap)


def _misused(c: CardSigns, cfg: BorrowedCardsSettings) -> bool:
    return used_far(c, cfg) or c.after_death > 0 or c.other_person > 0 or c.care_mismatch > 0


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
    a.far = sum(used_far(c, cfg) for c in cards) / n
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
    # households are known only where the holders' address or phone is recorded: elsewhere a
    # family's phone or a carer's run of one household's cards cannot be told from a gang's
    recorded = sum(c.household_recorded for c in cards) / n
    pool_devices = {d for c in cards for d in c.devices}
    tails = [devices[d].tail_share for d in pool_devices if d in devices and devices[d].facilities >= 2]
    if tails:
        a.roaming_device = recorded * min(1.0, -math.log10(max(min(tails), 1e-9)) / cfg.roaming_device_full)
    a.overlap = sum(c.overlaps > 0 for c in cards) / n
    # closer together than the facility's usual spacing, in runs of more than two cards; telling
    # only between households known to differ (a carer or a parent presents one household's
    # cards in a run as well)
    run = min(1.0, max(0.0, (statistics.median(c.batch_cards for c in cards) - 2) / 3))
    a.strict_sequence = recorded * run * _ratio_strength(statistics.median(c.spacing_ratio for c in cards),
                                                         cfg.spacing_ratio_full)
    households: dict[str, int] = defaultdict(int)
    for c in cards:
        households[c.household] += 1
    a.one_household = max(0.0, 1.0 - (len(households) - 1) / max(n - 1, 1))
    return a
