"""Settings of the trace_resale detector (``[detection.trace_resale]``), each with the reason for its default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TraceResaleSettings:
    min_resold_boxes_per_seller: int = 2
    """A seller must have at least this many boxes reimbursed again elsewhere: one
    re-scanned box can be a scanning slip, a habit of selling is a pattern."""
    min_boxes_per_ring: int = 4
    """A ring needs this many resold boxes in total before it is reported."""
    attach_one_box_sellers: bool = True
    """A seller with a single resold box joins the network of a facility that already
    re-sold ``min_boxes_per_ring`` boxes from repeat sellers (a known buy-back point)."""
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
    leiden_above: int = 60
    """Components with more nodes than this are split with Leiden, so that two
    buy-back networks joined by one stray box are reported apart."""
    leiden_resolution: float = 1.0
    """Modularity resolution for that split; higher gives smaller rings."""
