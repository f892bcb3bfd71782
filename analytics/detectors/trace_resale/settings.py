"""Settings of the trace_resale detector (``[detection.trace_resale]``), each with the reason for its default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TraceResaleSettings:
    min_ring_evidence: float = 2.0
    """A seller–facility group is reported when its weighed resales (1 per box that reached a
    stranger through an unrelated facility, less for one a returned box would explain),
    counted fully only once they come from ``spread_days`` occasions, reach this.  One box
    settled again may be a slip; two that reached strangers on separate occasions (another
    day, or bought at another place) have no innocent path and are a pattern, while a
    pharmacy's few returns (0.25 each) or one seller's one-day batch stay below."""
    spread_days: int = 2
    """Occasions (distinct pairs of resale day and place of purchase) a group's resales must
    come from to count fully; from fewer they count proportionally less: one day's resales of
    boxes bought at one place may be a single event (a bag of boxes returned, a batch keyed
    twice); organised resale repeats across days and places."""
    explained_resale_weight: float = 0.25
    """Weight of a resale settled where the box was bought, or at a branch of the same chain
    (``chain_id``): a returned box put back on the shelf, stock moved between branches.  A
    group's explained resales, of summed weight e, add e / (1 + e): under one box however many.
    A resale counts fully (1) when its seller is a repeat seller."""
    min_resold_boxes_per_seller: int = 2
    """A seller with at least this many boxes settled again, on at least two days, is a repeat
    seller: nobody returns box after box, so the returned-box explanation no longer holds for
    them.  over_prescription leaves such sellers' fills to this detector."""
    min_sellers: int = 1
    """Sellers per ring; one prolific seller feeding a pharmacy is already a ring."""
    correction_same_day_only: bool = True
    """A second scan by the same card at the same facility on the same day is a
    correction (contract section 1), not resale."""
    same_holder_is_not_resale: bool = True
    """A later scan by a holder who already had the box (the same card or the same patient),
    on any day and at any facility, is the box coming back to its owner (a refund and
    re-purchase, a transfer between hospitals recording the patient's own medicine), not a
    second person buying it; a code on a different drug is a keying error.  Resale needs a
    second person."""
    household_is_not_resale: bool = True
    """A later scan by a patient of the seller's household (the same address or phone) is a
    family sharing its medicine, not a box sold to a stranger."""
    leiden_above: int = 60
    """Components with more nodes than this are split with Leiden, so that two
    buy-back networks joined by one stray box are reported apart."""
    leiden_resolution: float = 1.0
    """Modularity resolution for that split; higher gives smaller rings."""
