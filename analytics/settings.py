"""Every detection threshold, in one place, with the reason for its default.

Read once from the ``[detection]`` table of ``ringscope.toml`` with
:meth:`DetectionSettings.from_dict` and passed down to every detector; no
detector holds a magic number.  Sub-tables name the detector::

    [detection]
    seed = 42
    [detection.trace_resale]
    min_resold_boxes_per_seller = 2
    [detection.car_shuttle]
    require_fee_waiver = false

Defaults are chosen from how each scheme works (the NHSA case notices:
boxes re-scanned, cards pooled by one operator, villagers bussed in on the
same days with fees waived, prescriptions beyond the clinical daily
maximum, insured status bought through shell employers shortly before a
delivery), never from one simulator's constants.  docs/detection.md
explains each one in an investigator's words and how to tune it.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any


class SettingsError(ValueError):
    """A [detection] setting is unknown or has the wrong type."""


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
    """A pool card settled at another facility within this many minutes of a pool settlement
    was in two places at once (the holder at home, the card with the gang)."""
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


@dataclass(frozen=True)
class CarShuttleSettings:
    cohort_window_days: int = 1
    """Admissions to the same institution within this many days of each other are one
    busload (a bus arriving late in the evening is admitted the next morning)."""
    occasion_gap_days: int = 3
    """Joint admissions further apart than this are separate trips."""
    min_shared_trips: int = 2
    """A pair must be admitted together on at least this many separate trips, and a cohort
    must have made that many: one joint admission is an outbreak, a screening day or a
    charity campaign; the same people again and again is a shuttle."""
    max_chance_partners: float = 0.05
    """Chance test of a pair's joint trips.  With the two patients admitted ``n1`` and ``n2``
    days at the institution over its working days ``D`` (active span, shrunk when its
    admissions favour some weekdays), one of the first's admissions meets the second by
    chance with probability ``q = n2 * (2 * window + 1) / D``; ``k`` joint trips have chance
    at most ``C(n1, k) q^k``.  A patient met ``m`` different people there (``m`` grows with
    the institution's daily volume), each a chance for a coincidence, so the pair is kept
    only when ``m`` times that chance is at most this: fewer than one chance partner in
    twenty patients.  At a regional referral centre admitting a hundred a day, two cardiac
    patients meet on two trips by chance; the same fifteen villagers on four trips do not."""
    weekday_prior: float = 5.0
    """Pseudo-admissions per weekday added to an institution's weekday profile (the
    admissions by weekday of its ordinary intake, patients admitted there on fewer than
    ``min_shared_trips`` days, each day counting at most its median daily admissions, so
    neither the repeat patients under test nor a busload make their weekday the usual one)
    before the profile's concentration shrinks its working days: a small hospital's few
    admissions must not make it look weekday-only."""
    min_links: int = 2
    """A cohort member needs this many linked partners inside the cohort (pruned repeatedly):
    a bus carries many people, while a chance pair at a busy hospital has no third partner."""
    attach_max_chance: float = 0.5
    """A repeat patient of the institution who joined at least ``min_shared_trips`` of a
    cohort's trips joins the cohort when, with their admissions falling at random over the
    institution's working days, the patients who joined any of its trips would include
    one joining that many at most this often (half a chance rider per cohort): passengers
    change from trip to trip, so a villager may share few trips with any one other."""
    bus_day_share: float = 0.8
    """Bus days: when at least this share of an institution's admissions in a cohort's trip
    windows exceeds its ordinary intake (its admissions on other days, per day), those
    admitted in them from the cohort's home regions with one of its diagnoses join the
    cohort, even on a single trip (the few ordinary patients admitted that day do not).  A small hospital that
    admits two people a week and twelve on the bus days; at a busy hospital the bus is
    lost in the crowd and nobody is attached this way."""
    grow_rounds: int = 5
    """Rounds of joining cohorts of one bus and attaching riders: each round's new members
    bring trips of their own on which more riders are found."""
    same_bus_share: float = 0.5
    """Two cohorts at one institution are one bus when at least ``min_shared_trips`` and this
    share of the smaller one's trips fell on the other's trip days (or more trips than
    chance allows): passengers change from trip to trip, leaving several cohorts of people
    who rode together often.  Shuttles that merely use one hospital run on their own days."""
    min_patients: int = 3
    """Smallest cohort reported.  Three villagers admitted together again and again are
    already a shuttle; a couple or a family is kept out by the address explanation and
    the link rule, not by the head count."""
    institution_share: float = 0.2
    """An institution belongs to the ring when it admitted at least this share of the
    cohort's joint admissions (one organiser may supply two hospitals)."""
    leiden_above: int = 80
    """Cohort graphs larger than this are split with Leiden, by who travels with whom."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
    baseline_min_admissions: int = 30
    """Each indication compares the cohort with its institutions' other inpatients when
    there are at least this many; otherwise (a hospital that admits nobody but its
    busloads) with the inpatients of institutions of the same kind in the same county."""
    baseline_max_admissions: int = 2000
    """A baseline larger than this is a fixed pseudo-random sample of this many admissions
    (by a hash of the settlement id): a share is known well enough from two thousand, and
    a regional hospital's or a whole level's inpatients would cost time for nothing."""
    indication_max_chance: float = 0.01
    """A trait counts as an indication only when that many cohort members showing it would
    happen with at most this probability if they were like the baseline (binomial tail)."""
    indication_min_share: float = 0.5
    """...and at least this share of the cohort shows it (most of the busload, not a few)."""
    indication_min_lift: float = 1.5
    """...and that share is at least this multiple of the baseline's share."""
    waiver_ratio: float = 0.35
    """Fee waiver / low self-paid share: an admission whose self-paid share is at most this
    fraction of the baseline's median, while the patient's own stays at other institutions
    are not that cheap (a plan that pays nearly everything is not a waiver).  Reimbursement rates
    differ by hospital level, hence peers of the same level when the baseline is borrowed."""
    baseline_floor: float = 0.5
    """The reference self-paid share is never below this fraction of the median at
    institutions of its kind, so a hospital waiving fees for most inpatients cannot hide
    its cohort inside its own baseline."""
    elderly_age: int = 60
    """Age from which a patient counts as elderly (the villagers shuttles recruit)."""
    readmission_count: int = 3
    """Readmissions: patients admitted at least this many days to the institution, against
    the share of the baseline's patients admitted that often."""
    min_score: float = 2.0
    """Indications weigh 1 (fee waiver, same origin, uniform diagnoses, no prior care, same
    settlers) or 0.5 (short stays, elderly, readmissions: common among honest inpatients);
    explanations subtract 3 (one household), 3 (a treatment routine), 1 (stays fitting the
    patients' earlier care).  A cohort is reported at this score: two strong indications
    or one strong and two supporting, after explanations.  No indication is required."""
    require_fee_waiver: bool = False
    """Report only cohorts whose fee waiver shows.  Off: most bureaus' data does not record
    the waiver (the share is simply not collected), so requiring it blinds the detector."""
    household_share: float = 0.7
    """Explanation: at least this share of the cohort lives at one address (a family, a
    care home admitted together).  Not half: villagers are bussed as couples, and a couple
    is half of a four-villager cohort."""
    course_min_admissions: int = 3
    """Explanation (treatment course): a patient is on a course when admitted to the cohort's
    institutions at least this many times (two intervals to compare) ..."""
    routine_share: float = 0.8
    """...with this share of their own intervals within ``routine_tolerance_days`` of their
    median interval (chemotherapy every 21 days, rehabilitation every 28, a weekly
    infusion), and the cohort is explained when this share of its patients are on a
    course.  A villager rides whenever the organiser takes them, so their intervals
    wander even when the bus keeps a fixed weekday; a random schedule gives two equal
    intervals in a row rarely, and most of a cohort doing so practically never."""
    routine_tolerance_days: int = 0
    """Days an interval may differ from the patient's median interval and still keep the
    course.  0: a cycle repeats exactly; one delayed cycle in five is still allowed by
    ``routine_share``."""
    campaign_max_admissions: int = 2
    """Explanation (one-off campaign): a patient admitted to the cohort's institutions at
    most this many times in all: a cataract campaign operates each eye once, a screening
    or an outbreak brings people back once for the follow-up ..."""
    campaign_share: float = 0.8
    """...and the cohort is explained when this share of its patients are such, while fewer
    than this share of the intake of its trips (the patients admitted there in their
    windows with one of the cohort's diagnosis groups) ever came back: the cohort never
    repeats as a whole, some come back for the second eye.  A shuttle brings its
    villagers back trip after trip."""
    history_fit_share: float = 0.7
    """Explanation: at least this share of the cohort's admissions follow earlier care of
    the patient for the same condition (diagnosis group) elsewhere or as an outpatient."""
    habit_share: float = 0.2
    """How a cohort is handled at an institution: the diagnoses, admitting doctors and
    settling operators of at least this share of its admissions there (a stray admission
    is no habit).  Fragments of one bus, cohorts of one operation and villagers taken over
    by another organiser are handled alike; two rings that merely use one hospital bring
    their own diagnoses or work with their own doctor or clerk."""
    join_same_operation: bool = True
    """Cohorts at one institution whose trips run over the same period (or follow each other
    within the longest interval between their own trips), whose patients come
    from the same home region and whose commonest diagnoses overlap are one ring: a bus
    seats fewer than the organiser's pool and brings different villagers on alternate
    trips.  Another organiser's villagers (other region) or a treatment group at the same
    hospital (other diagnoses) stay apart.  Turn off for data from one county, where
    everyone shares a region."""
    join_share: float = 0.15
    """Two cohorts are one ring when at least this share of one cohort's villagers, after
    their trips to its institution, came together (a joint admission of movers) to the
    other cohort's institution: an organiser that took over another's villages brings them
    to its own hospital, on trips of their own.  Movers arriving together are no accident,
    so a small share suffices; often the data ends a trip or two after the takeover (1M
    drop: 9 of 33 villagers moved on one trip).  0 turns the join off."""
    join_min_patients: int = 2
    """...and at least this many of them: one villager who changed hospital is no link."""


@dataclass(frozen=True)
class OverPrescriptionSettings:
    min_supply_ratio: float = 1.5
    """Days of supply (units / max_daily_units) over days elapsed for a patient and drug, as a
    multiple of the drug's own baseline: at twice what the drug's patients usually get the
    patient holds far more than they can take; chronic patients refilling a little early stay
    below.  Only such patients are candidates (a scheme is about the surplus)."""
    grace_days: int = 30
    """Days added to the elapsed span so that a single large, legal 30-day fill is not
    counted as excess."""
    min_fills: int = 3
    """Fills of the drug needed before the ratio is trusted."""
    min_patients: int = 3
    """Over-supplied patients a ring (its prescribers together) needs before it is reported:
    one or two patients with a surplus are individual care, three through one flow a pattern."""
    baseline_min_prescribers: int = 5
    """A drug's own baselines (supply ratio, early-refill rate, usual diagnoses) are used when
    at least this many prescribers wrote it; otherwise the clinical maximum (ratio 1.0) stands."""
    baseline_quantile: float = 0.25
    """Which of the prescribers' votes sets a drug's baseline supply: the lower quartile, so
    that where most prescribers of a drug over-supply it (the drugs table's maximum is off)
    the bar moves, but rings writing a good part of a rare drug cannot lift it."""
    baseline_prior_patients: float = 20.0
    """The others' over-supply rate for a drug (the chance indication) is shrunk towards the
    rate over all drugs by this many pseudo-patients, so a drug few others prescribe does not
    get a rate of 0 or 1."""
    flow_min_patients: int = 1
    """Coordination: a prescriber's surplus to one filling place links them when it carries at
    least this many over-supplied patients; one is enough when it repeats over days (a small
    ring's second doctor may have one patient filling again and again at the ring's pharmacy;
    on 13 development drops 1 found three more rings and no false one)..."""
    flow_min_days: int = 3
    """...on at least this many different days (repetition over time, never one co-occurrence)."""
    pharmacy_share: float = 0.05
    """...and at least this share of the prescriber's surplus fills: a pharmacy a patient used
    once on holiday is not the ring's."""
    unit_min_shared_places: int = 2
    """Prescribers of different practices (each with repeated surplus flows) are one ring when
    their flows reach at least this many pharmacies in common (repetition across places).
    A single busy pharmacy filling for two rings and for honest doctors is no tie, nor is the
    same common drug filled there (honest doctors write it too): rings are split by what their
    prescribers do, not by where they fill.  Colleagues of one practice already share a place,
    so one pharmacy in common ties them.  On the v3 drops 2 split every pair of rings sharing
    a pharmacy."""
    market_region_digits: int = 4
    """The drug's market around a pharmacy: facilities whose region code shares this many
    leading digits with it (4 = the city).  A specialist (DTP) pharmacy that fills a rare drug
    for the whole city takes most of that market, so a prescriber sending it there is no sign."""
    early_refill_fraction: float = 0.5
    """A refill is early when it comes before this share of the previous fill's days of supply
    has passed: at half the supply left the patient cannot have needed it.  Compared with the
    drug's usual early-refill rate (its prescribers' median)."""
    declared_cover_tolerance: float = 1.25
    """A fill's declared days (dispensings.days_supply) cover its units when the units are at
    most this multiple of declared days x the daily maximum (a box rounds up): a long
    prescription the prescriber stated openly.  Units far above the declared days are the
    scheme's signature; without declared days the explanation is simply unavailable."""
    indication_fit_share: float = 0.2
    """A diagnosis is one of a drug's usual indications when at least this share of the drug's
    prescribers use it on its fills (one vote each, so a ring cannot define its own drug's
    indications).  Patients none of whose diagnoses fit are an indication of the scheme."""
    palliative_days: int = 90
    """Patients who died within this many days of their last fill were in end-of-life care,
    where doses beyond the usual maximum are legitimate (palliative opioids)."""
    weight_surplus: float = 1.0
    """Weight of the surplus against the drug's baseline in the combined score (1 at four
    times the baseline)."""
    weight_unusual: float = 1.0
    """Weight of the prescribers' over-supplied patients against the other prescribers of the
    drug (binomial chance; 1 at 1 in 10,000)."""
    weight_concentration: float = 1.0
    """Weight of the surplus's concentration on the ring's places, against where the
    prescribers' other fills and other prescribers' fills of the drug go."""
    weight_early: float = 1.0
    """Weight of early refills against the drug's usual rate."""
    weight_costly: float = 0.5
    """Weight of the drugs' daily cost (percentile among drugs): resale pays for costly drugs.
    Half weight: many legitimate chronic drugs are costly too."""
    weight_unfit: float = 0.5
    """Weight of patients whose diagnoses fit none of the drug's usual indications.  Half
    weight: diagnoses are often missing on pharmacy fills."""
    weight_focus: float = 1.0
    """Weight of the share of everything the group's prescribers wrote for its patients that
    was surplus of its main drugs: a scheme is about pushing a drug, a practice's multi-morbid
    patients get a little too much of many different chronic drugs now and then."""
    focus_drugs: int = 2
    """How many of the group's most over-supplied drugs count as its main drugs (schemes push
    one or two)."""
    long_prescription_weight: float = 0.5
    """Subtracted from the score times the share of surplus fills whose declared days cover
    their units: long prescriptions for chronic patients (60-90 days, refilled at visits)."""
    palliative_weight: float = 0.5
    """Subtracted times the share of patients who died soon after their last fill."""
    min_score: float = 0.5
    """A group is reported when its weighted indications minus explanations reach this: on
    average every indication half-way to clear."""
    leiden_above: int = 40
    """Prescriber-patient-place components larger than this are tried for a Leiden split: a
    busy pharmacy may receive the flows of two separate rings."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
    split_min_modularity: float = 0.5
    """The split is kept only when its modularity reaches this (clear sub-rings); a single
    dense ring stays whole.  Each doctor's patients form a star, so one ring of several
    doctors already scores 0.3-0.45: only a clearly higher value means separate rings."""
    attach_min_ratio: float = 1.5
    """Once a ring is found, a further patient of its prescribers joins it with a milder
    surplus (at least this many times the drug's baseline, a sustained half-again surplus,
    far above early refills) when the ring's places filled most of it: the ring's context
    makes a weaker signal meaningful.  Set it to ``min_supply_ratio`` to switch it off."""
    attach_pharmacy_share: float = 0.5
    """Share of such a patient's fills of the drug that the ring's places must have made."""
    exclude_resale_sellers: bool = True
    """Patients who first bought boxes that were later reimbursed again (at least
    ``trace_resale.min_resold_boxes_per_seller``) are left to the trace_resale detector:
    their surplus is stock for resale, with no prescriber in on it."""

    @property
    def indication_weights(self) -> tuple[float, ...]:
        """The weights in the order surplus, unusual, concentration, early, costly, unfit, focus."""
        return (self.weight_surplus, self.weight_unusual, self.weight_concentration, self.weight_early,
                self.weight_costly, self.weight_unfit, self.weight_focus)


@dataclass(frozen=True)
class MaternitySettings:
    pregnancy_days: int = 280
    """Employment that started fewer than this many days before the delivery began after
    conception: insured status bought for the birth.  The tenure indication is 0 at a full
    pregnancy and 1 at half of one."""
    salary_over_region: float = 2.5
    """A salary base this many times the regional median (or the employer's other staff's
    median) makes the salary indication 1 (0 at the median, on a log scale between)."""
    recent_registration_days: int = 365
    """The employer-age indication is 1 for an employer registered on the delivery day and
    falls to 0 at twice this many days: young firms are a sign, old ones are no proof of
    honesty (shells are also old companies bought up), so age is never a gate."""
    weight_tenure: float = 1.0
    """Weight of short tenure at delivery in the combined claim score."""
    weight_salary_region: float = 1.0
    """Weight of the salary base against the region's median."""
    weight_salary_staff: float = 0.5
    """Weight of the salary base against the employer's staff who never claimed (half: a
    shell often has no other staff, then the indication is unknown)."""
    weight_young: float = 0.5
    """Weight of the employer's youth at the delivery (half: shells may be bought up)."""
    weight_claimant_share: float = 1.0
    """Weight of the share of the employer's staff who claimed through it: a shell exists to
    file claims, a real firm's births are a few of its many employees."""
    weight_claims_rate: float = 0.5
    """Weight of the employer's claims against the region's claims per employee (binomial
    chance; 1 at 1 in 10,000)."""
    weight_coordination: float = 1.0
    """Weight of the identifiers (phone, address, agent) shared with other claim-filing
    employers, as the share of that identifier's employers that file claims: an accounting
    agent's dozens of honest firms or an incubator's tenants rarely all file claims."""
    min_score: float = 0.5
    """An employer is suspicious when its claims' combined score averages this (every
    indication half-way to clear): one unusual claim among ordinary ones averages below."""
    min_claims: int = 2
    """Claims a ring (one shell or several linked by phone/address/agent) needs: a single
    claim is one woman's story, not a scheme."""
    link_by_agent: bool = True
    """Suspicious employers registered by the same agent are linked (besides phone/address),
    and the agent counts in the coordination indication."""
    leiden_above: int = 10_000
    """Employers linked by shared phones, addresses or agents are one ring; only a linked
    group larger than this is split with Leiden (an agent filing for hundreds of shells is
    still one operation, so the bar is far above any ring seen)."""

    @property
    def indication_weights(self) -> tuple[float, ...]:
        """Weights in the order tenure, salary/region, salary/staff, young, claimant share,
        claims rate, coordination."""
        return (self.weight_tenure, self.weight_salary_region, self.weight_salary_staff, self.weight_young,
                self.weight_claimant_share, self.weight_claims_rate, self.weight_coordination)


@dataclass(frozen=True)
class MixedSettings:
    enabled: bool = True
    """Rings of different schemes that are the same group of people are reported as one
    ``mixed`` ring (a pharmacy that resells returned drugs and takes rented cards is one gang)."""
    min_overlap: float = 0.5
    """Share of the smaller ring's members, counted on the entity types both rings list, that
    the other ring lists too (overlap coefficient): half the group in common is the same group."""
    min_shared_members: int = 3
    """And at least this many members in common (facilities not counted unless
    ``count_facilities``): two small rings sharing a couple of people, or one busy pharmacy,
    are two rings."""
    count_facilities: bool = False
    """Shared facilities count towards ``min_shared_members``. Off: a hub pharmacy or hospital
    serves many unrelated rings, so sharing places says little about sharing people."""
    cards_as_holders: bool = True
    """When comparing rings, a card stands for its holder (``cards.patient_id``): a ring of rented
    cards and a ring whose drug sellers or over-supplied patients are those cards' holders are
    then the same people.  The shared people are then counted as a share of the ring of people,
    not of the smaller ring: a "prescriber ring" whose patients mostly hold one gang's rented
    cards is that gang's footprint (the gang settles the cards at a doctor's), while three
    rented cards held by patients of a large prescriber ring do not make it the gang's.
    (Measured on 41 development drops: three false over-prescription rings folded into their
    card pools, one true one lost to a merge.)"""

    def __post_init__(self) -> None:
        if not 0.0 < self.min_overlap <= 1.0:
            raise SettingsError("detection.mixed.min_overlap must be above 0 and at most 1")
        if self.min_shared_members < 1:
            raise SettingsError("detection.mixed.min_shared_members must be at least 1")


@dataclass(frozen=True)
class ScoringSettings:
    model_path: str = ""
    """A trained scorer (from ``ringscope train``): a model file, or ``latest`` for the newest
    one stored in the workspace.  Empty (the default): the unsupervised rank score.  Opt-in,
    because a model fitted on one generator's truth must never change scores unnoticed."""
    min_score: float = 0.0
    """Rings scoring below this are not written to rings.json."""
    signal_weight: float = 0.6
    """The unsupervised rank score blends the detector's own combined indications (this
    weight) with the ring's volume (settlements, per-member excess and fund loss, ranked
    within the run): strength of evidence leads, size breaks ties."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.signal_weight <= 1.0:
            raise SettingsError("detection.scoring.signal_weight must be between 0 and 1")


@dataclass(frozen=True)
class DrgSettings:
    """DRG/DIP payment screens (``[detection.drg]``, docs/drg.md)."""

    enabled: bool = True
    """Run the DRG screens with every detection (they only read contract 1.1 columns)."""
    payment_method: str = "rate"
    """How the province pays a group: ``rate`` (费率法: the group's ``base_payment``, or its weight
    times ``base_rate`` when no payment is listed) or ``points`` (点数法: weight x 100 points
    times ``point_value``).  The Detailed Rules' loss is the difference in what the fund pays,
    so it follows the method the bureau uses."""
    base_rate: float = 10000.0
    """Yuan per unit of weight under the rate method, for groups listed without a ``base_payment``."""
    point_value: float = 100.0
    """Yuan per point under the points method (provinces publish it each year after settlement)."""
    readmission_window_days: int = 15
    """Readmission within this many days after discharge, for the same condition, is examined as a
    possible split (NHSA supervision practice counts 15-day readmissions for one disease)."""
    short_break_days: int = 3
    """The break between discharge and readmission must be at most this many days, or at most the
    stay before it: a split patient is sent home for a weekend, while repeated short stays weeks
    apart (a bussed cohort, a scheduled course) stop in between and are judged by other rules."""
    cohort_min_patients: int = 3
    """When this many patients were admitted on the same day and readmitted on the same day at
    one place, the readmission is a cohort moving together (a car shuttle, judged by that
    detector), not one stay cut in pieces.  A hospital splitting stays to meet a monthly quota
    discharges patients admitted on different days, so it is not exempted."""
    truncated_share: float = 0.5
    """A stay is cut short when it is below its group's ``min_los``; for groups listed without one,
    below this share of the group's median stay in the data."""
    same_chain: bool = True
    """A readmission to a sister institution (same ``chain_id``) counts like one to the same institution."""
    usual_procedure_share: float = 0.2
    """A procedure is usual for the simple group when at least this share of that group's episodes
    (those with any procedure) carry it; a complication is supported when the episode has a
    procedure that is not usual there (ventilation, transfusion, dialysis...)."""
    min_peer_episodes: int = 20
    """An ADRG's simple group needs this many episodes before procedures are judged usual or not."""
    shift_days_before: int = 7
    """Outpatient or pharmacy settlements up to this many days before admission are examined."""
    shift_days_after: int = 7
    """... and up to this many days after discharge."""
    shift_min_share: float = 0.05
    """A shifted settlement carries at least this share of the stay's bill: a follow-up visit or
    the work-up that decided the admission costs far less than the stay's own treatment."""
    drift_min_episodes: int = 10
    """An institution or prescriber needs this many episodes in ADRGs with several groups before its
    case mix is called drifting: a handful of stays says nothing about a coding habit."""
    drift_margin: float = 0.15
    """Drifting: the share of a unit's episodes in upper groups exceeds its peers' (same level and
    province, ADRG by ADRG) by at least this much, and the records do not support that excess
    (at most the share of its episodes the up-coding screen found unsupported counts)."""
    patient_share_margin: float = 0.1
    """Cost shifting to the patient: a stay's self-paid share is this far above the baseline (the share
    nine in ten stays of the same DRG group pay, for patients of the same insured type; employees
    and residents are reimbursed at different rates, so each is its own baseline)."""
    patient_series_min_stays: int = 4
    """A patient with this many stays in one group (a dialysis or chemotherapy series) is also judged
    against their own stays: a share they always pay is their benefit level, not a shifted cost."""
    patient_baseline_min_stays: int = 20
    """A group's baseline self-paid share needs this many stays of the insured type before a stay is
    judged against it."""
    patient_purchase_self_share: float = 0.9
    """A pharmacy or outpatient purchase during a stay is paid out of pocket when the patient paid at
    least this share of it (an inpatient's card normally buys nothing reimbursed outside the ward)."""

    def __post_init__(self) -> None:
        if self.payment_method not in ("rate", "points"):
            raise SettingsError("detection.drg.payment_method must be 'rate' or 'points'")


@dataclass(frozen=True)
class EvolutionSettings:
    """How the weekly report tells a ring's changes from last week's rings (``[detection.evolution]``)."""

    min_overlap: float = 0.5
    """Share of the smaller ring's members that must be in the other ring for the
    two to be the same ring (or a piece of it).  One half is the contract's own
    bar for "the same ring" (Jaccard 0.5 against the truth), applied to the smaller
    side so that growth does not break the link."""
    min_shared: int = 2
    """Members the two rings must share at least (all of the smaller ring when it
    has fewer): one shared patient is a coincidence, two are a connection."""

    def __post_init__(self) -> None:
        if not 0.0 < self.min_overlap <= 1.0:
            raise SettingsError("detection.evolution.min_overlap must be above 0 and at most 1")
        if self.min_shared < 1:
            raise SettingsError("detection.evolution.min_shared must be at least 1")


_SECTIONS = {
    "trace_resale": TraceResaleSettings,
    "borrowed_cards": BorrowedCardsSettings,
    "car_shuttle": CarShuttleSettings,
    "over_prescription": OverPrescriptionSettings,
    "maternity": MaternitySettings,
    "mixed": MixedSettings,
    "scoring": ScoringSettings,
    "drg": DrgSettings,
    "evolution": EvolutionSettings,
}


@dataclass(frozen=True)
class DetectionSettings:
    seed: int = 42
    """Seed of every randomised step (Leiden, IsolationForest): same data, same rings."""
    schemes: tuple[str, ...] = ("trace_resale", "borrowed_cards", "car_shuttle", "over_prescription", "maternity")
    """Detectors to run."""
    memory_limit: str = ""
    """DuckDB memory limit for the detection run (e.g. ``"10GB"``); empty keeps DuckDB's
    default (80 % of RAM). Set it on shared machines: DuckDB then spills to disk."""
    engine: str = "igraph"
    """Where components and Leiden run: ``igraph`` in-process (any store), or ``gds``
    inside Neo4j Graph Data Science (Neo4j store only; see analytics/community_gds.py)."""
    trace_resale: TraceResaleSettings = field(default_factory=TraceResaleSettings)
    """Resale of reimbursed boxes (``[detection.trace_resale]``)."""
    borrowed_cards: BorrowedCardsSettings = field(default_factory=BorrowedCardsSettings)
    """Pools of borrowed or rented cards (``[detection.borrowed_cards]``)."""
    car_shuttle: CarShuttleSettings = field(default_factory=CarShuttleSettings)
    """Bussed cohorts with waived fees (``[detection.car_shuttle]``)."""
    over_prescription: OverPrescriptionSettings = field(default_factory=OverPrescriptionSettings)
    """Excess prescriptions filled at cooperating pharmacies (``[detection.over_prescription]``)."""
    maternity: MaternitySettings = field(default_factory=MaternitySettings)
    """Shell employers and maternity claims (``[detection.maternity]``)."""
    mixed: MixedSettings = field(default_factory=MixedSettings)
    """Merging rings of different schemes run by the same people (``[detection.mixed]``)."""
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    """How rings are scored (``[detection.scoring]``)."""
    drg: DrgSettings = field(default_factory=DrgSettings)
    """DRG/DIP payment screens (``[detection.drg]``, docs/drg.md)."""
    evolution: EvolutionSettings = field(default_factory=EvolutionSettings)
    """How the weekly report matches this week's rings with last week's (``[detection.evolution]``)."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "DetectionSettings":
        """Settings from the ``[detection]`` TOML table; unknown keys are errors."""
        data = dict(data or {})
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in _SECTIONS:
                if not isinstance(value, dict):
                    raise SettingsError(f"[detection.{key}] must be a table")
                kwargs[key] = _build(_SECTIONS[key], value, f"detection.{key}")
            elif key == "seed":
                kwargs[key] = _coerce(int, value, "detection.seed")
            elif key == "memory_limit":
                if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip()):
                    raise SettingsError("detection.memory_limit must look like '10GB'")
                kwargs[key] = value.strip()
            elif key == "engine":
                if value not in ("igraph", "gds"):
                    raise SettingsError("detection.engine must be 'igraph' or 'gds'")
                kwargs[key] = value
            elif key == "schemes":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise SettingsError("detection.schemes must be a list of scheme names")
                unknown = [v for v in value if v not in cls().schemes]
                if unknown:
                    raise SettingsError(f"detection.schemes: unknown scheme(s) {', '.join(unknown)}")
                kwargs[key] = tuple(value)
            else:
                raise SettingsError(f"detection.{key} is not a detection setting")
        return replace(cls(), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["schemes"] = list(self.schemes)
        return out

    def digest(self) -> str:
        """Short hash of the settings, recorded with every detection run."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _coerce(kind: type, value: Any, where: str) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise SettingsError(f"{where} must be true or false")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SettingsError(f"{where} must be a whole number")
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise SettingsError(f"{where} must be a number")
    if kind is str:
        if isinstance(value, str):
            return value
        raise SettingsError(f"{where} must be text")
    raise SettingsError(f"{where}: unsupported setting type")


def _build(section: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(section)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise SettingsError(f"{where}.{key} is not a setting (known: {', '.join(known)})")
        kind = {"int": int, "float": float, "bool": bool, "str": str}[str(known[key].type)]
        kwargs[key] = _coerce(kind, value, f"{where}.{key}")
    obj = section(**kwargs)
    assert is_dataclass(obj)
    return obj
