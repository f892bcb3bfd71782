"""Settings of the borrowed_cards detector (``[detection.borrowed_cards]``), each with the reason for its default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BorrowedCardsSettings:
    window_minutes: int = 30
    """Two cards settled at one facility by the same operator or the same device within this
    many minutes are co-presented: a handler settles a stack of cards in one sitting."""
    facility_window_minutes: int = 10
    """Two cards settled at one facility by any counter within this many minutes are also
    co-presented (no operator or device recorded, or a batch spread over counters); shorter
    than ``window_minutes`` because a counter alone says less than one hand or one phone."""
    skip_inpatient: bool = True
    """Inpatient settlements are left out of batches: a rented card is presented at a
    counter for outpatient care or drugs, while a group admitted and discharged together
    is what a car shuttle (or an outbreak) looks like, judged by that detector."""
    min_shared_days: int = 2
    """A card pair must be co-presented on at least this many different days: one shared
    queue (a screening day, an outbreak) happens once, a pool comes back."""
    chance_alpha: float = 1e-3
    """A pair is linked only when co-presentation on that many days has at most this
    probability by chance (Poisson, with the mean predicted from both cards' visits to the
    facility, its open days, its hourly profile and how concentrated its operators/devices
    are). Two regulars of a hub pharmacy meet often by chance; two cards seen a few times,
    always together, do not. 1e-3 keeps chance links to about one per thousand tested pairs."""
    attach_min_links: int = 2
    """A card outside the pools joins one when it was co-presented with at least this many of
    its cards, on ``min_shared_days`` days, beyond what the pool's volume at those
    facilities explains (same chance test): batches bring partly new cards each time."""
    min_visit_share: float = 0.34
    """Co-presentation must also be a real share of the cards' own visits there: a linked
    pair was together on at least this share of the visits of the card that came more
    often, and a card joining a pool on this share of its own visits. A gang's card comes
    with the batch; a regular of the clinic, or a nursing-home resident, who met a gang's
    batch or another regular twice among many visits does not. A third, not a half: gangs
    rotate their cards through the batches and holders also visit on their own."""
    min_cards: int = 3
    """Smallest pool reported."""
    report_score: float = 1.0
    """A pool is reported when its indications minus its explanations reach this. Each
    indication is in [0, 1] (1 = as strong as it gets, e.g. every card used after death or
    amounts ``amount_ratio_full`` times the baseline), so 1.0 means one full indication or
    several partial ones; none is required."""
    misuse_weight: float = 2.0
    """Weight of the share of cards with a misuse sign (far from home, after death, another
    patient, care misfitting sex/age): each is close to proof on its own, unlike amounts."""
    household_weight: float = 2.0
    """Weight of the one-household explanation (1 when every card shares one address or
    phone: a family, a carer with nursing-home residents' cards). Twice an indication so that
    a family's costly care is still explained, while a gang's few couples are not."""
    amount_ratio_full: float = 8.0
    """Median pool payment this many times the facility's median for the same kind of
    settlement (or the card's own median elsewhere) counts as a full indication; the
    strength grows with the log of the ratio (2x = a third)."""
    min_baseline_settlements: int = 5
    """A facility's payments for one diagnosis group serve as the baseline for that care
    once it has this many of them outside the pools (a specialist's patients are compared
    with what that care costs there); otherwise its median for the kind of settlement."""
    spacing_ratio_full: float = 16.0
    """Batch settlements following each other this many times closer than the facility's
    own consecutive settlements normally do (its mean gap: opening hours over daily
    volume) count as a full indication of strict sequence; grows with the log of the ratio. A quiet clinic that
    suddenly settles a card every two minutes is telling; a hub's counter is not."""
    roaming_device_full: float = 2.0
    """A device used at several facilities and presenting cards of more households than all
    but 10^-this of such devices (1 % at 2.0) is a full indication: family phones carry
    one household, counter terminals stay at one counter."""
    overlap_minutes: int = 120
    """A pool card settled in another city (``far_prefix_len``) within this many minutes of a
    pool settlement was in two places at once (the holder at home, the card with the gang); a
    clinic and then a pharmacy of the same town is an ordinary morning."""
    far_prefix_len: int = 4
    """Holder region and facility region are 'far apart' when their codes differ in
    the first this-many digits (4 = different city, 2 = different province)."""
    far_over_baseline: float = 3.0
    """A card counts as 'used far from home' when the share of its pool settlements far
    from the holder's region exceeds the facility's baseline far share by this factor
    (and exceeds ``far_min_share``)."""
    far_min_share: float = 0.5
    """A card counts as 'used far from home' only when more than this share of its batch
    uses are far from the holder's region: a card that travels now and then is its holder's."""
    far_cap: float = 0.95
    """In cities where far-from-home patients are common (baseline x ``far_over_baseline``
    above this), a card counts as far when at least this share of its uses there are far."""
    merge_by_device: bool = True
    """Pools presented from the same gang phone (two or more cards of each, and at least half
    of all the device's settlements are the pools') are one gang and reported as one ring;
    a counter terminal shared by everybody never merges pools."""
    leiden_above: int = 150
    """Pools larger than this are split with Leiden (which cards are presented together
    when); one seizure found 105 cards in one gang, so the bar is above that."""
    leiden_min_modularity: float = 0.3
    """A split is kept only when its modularity reaches this: one dense gang stays whole,
    two gangs sharing a busy counter come apart."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
