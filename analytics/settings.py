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
    leiden_above: int = 60
    """Components with more nodes than this are split with Leiden, so that two
    buy-back networks joined by one stray box are reported apart."""
    leiden_resolution: float = 1.0
    """Modularity resolution for that split; higher gives smaller rings."""


@dataclass(frozen=True)
class BorrowedCardsSettings:
    window_minutes: int = 30
    """Two cards settled by the same operator (same facility) or the same device within
    this many minutes co-occur: a pooled batch is settled in one sitting."""
    facility_window_minutes: int = 10
    """Two cards settled at the same facility by any operator within this many minutes
    also co-occur (a handler may spread a batch over several counters); shorter than
    ``window_minutes`` because busy facilities see many unrelated patients per hour."""
    attach_min_links: int = 2
    """After the pool's core is found, a card that co-occurred (on any day) with at least
    this many core cards joins the pool: batches are partly new cards each time."""
    min_operator_or_device_days: int = 1
    """Of those days, at least this many must be through the same operator or device (not
    just the same facility): at busy facilities unrelated travellers share a quarter of an
    hour again and again by chance, a handler settling a stack of cards does not."""
    attach_by_operator_or_device: bool = False
    """Joining a pool needs co-occurrence through the same operator or device, not just the
    same facility. Off by default (handlers spread a batch over several counters); turn on
    where busy facilities see many travellers from far away."""
    min_shared_days: int = 2
    """A card pair must co-occur on at least this many different days; one shared
    queue (a screening day) is chance, the same pair again and again is a pool."""
    min_cards: int = 3
    """Smallest pool reported."""
    far_prefix_len: int = 4
    """Holder region and facility region are 'far apart' when their codes differ in
    the first this-many digits (4 = different city, 2 = different province)."""
    min_anomaly_share: float = 0.5
    """Share of the pool's cards that must show a misuse sign (used far from the
    holder's home region clearly above the facility's baseline, after the holder's
    death, by someone other than the holder, or for care that does not fit the
    holder's sex/age)."""
    far_over_baseline: float = 3.0
    """A card counts as 'used far from home' when the share of its pool settlements far
    from the holder's region exceeds the facility's baseline far share by this factor
    (and exceeds one half)."""
    trim_min_links: int = 2
    """A pool card without any misuse sign stays in the pool only when it co-occurred
    repeatedly with at least this many misused cards (0 = keep every pool card)."""
    merge_by_device: bool = True
    """Pools whose cards were presented from the same device (two or more cards of each)
    are one gang's pools and are reported as one ring."""
    far_cap: float = 0.95
    """In cities where far-from-home patients are common (baseline x ``far_over_baseline``
    above this), a card counts as far when at least this share of its uses there are far."""
    min_holder_diversity: float = 0.5
    """Distinct holder households (address, else phone) per card: a family or a
    nursing home shares one address and is below this; borrowed cards come from
    unrelated people."""
    leiden_above: int = 80
    """Pools larger than this are split with Leiden."""
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
    min_supply_ratio: float = 2.0
    """Days of supply (units / max_daily_units) over days elapsed for a patient and drug:
    above this the patient gets at least twice the clinical maximum; chronic patients
    refilling a little early stay below."""
    grace_days: int = 30
    """Days added to the elapsed span so that a single large, legal 30-day fill is not
    counted as excess."""
    min_fills: int = 3
    """Fills of the drug needed before the ratio is trusted."""
    min_patients: int = 3
    """Excess patients a ring (its prescribers together) needs before it is reported."""
    min_patients_per_prescriber: int = 1
    """Excess patients a prescriber needs to be linked into a ring at all: doctors of one
    practice often split a scheme's patients between them."""
    baseline_min_prescribers: int = 5
    """A drug's own baseline supply ratio (median over prescribers of their patients' median)
    is used when at least this many prescribers wrote it; otherwise the clinical maximum
    (ratio 1.0) is the baseline.  Excess means ``min_supply_ratio`` times the baseline."""
    baseline_quantile: float = 0.25
    """Which of the prescribers' votes sets a drug's baseline: the lower quartile, so that
    where most prescribers of a drug over-supply it (the drugs table's maximum is off) the
    bar moves, but rings writing a good part of a rare drug cannot lift it."""
    max_chance: float = 0.01
    """A prescriber is unusual for a drug when so many of their patients on it got excess
    that it would happen with at most this probability if they were like the other
    prescribers of the drug (binomial upper tail against the others' excess rate).  Only
    unusual prescriber–drug pairs are linked into rings.  Lower it for fewer, surer rings."""
    min_excess_share: float = 0.33
    """Share of everything the ring's prescribers wrote for the ring's patients that was the
    surplus.  In a scheme the surplus is what the relationship is about; a busy doctor's
    multi-morbid patients get many drugs and now and then a little too much of one.  A third
    by default; 0 switches the test off."""
    support_max_chance: float = 0.2
    """A prescriber less unusual than ``max_chance`` but within this chance joins a ring that
    an unusual colleague founded (same practice or same pharmacies), never founds one."""
    founderless_max_chance: float = 0.001
    """Two or more such prescribers tied together (shared pharmacies or patients) with no
    founder among them are still a ring when together they are this unlikely: colleagues
    splitting a scheme two or three patients each, none standing out alone.  A tenth of
    ``max_chance`` because each prescriber's most telling view was picked; 0 switches it off."""
    baseline_prior_patients: float = 20.0
    """The others' excess rate for a drug is shrunk towards the rate over all drugs by this
    many pseudo-patients, so a drug few others prescribe does not get a rate of 0 or 1."""
    pharmacy_share: float = 0.15
    """A pharmacy belongs to the ring when it filled at least this share of a ring
    prescriber's excess fills at pharmacies."""
    top_pharmacies: int = 2
    """For the evidence: the share of a ring's excess fills at its prescriber's top this-many
    pharmacies ('few pharmacies'), next to the same share for prescribers in general."""
    pharmacies_only: bool = False
    """Count only fills at pharmacies as excess evidence.  Off by default: a practice with
    no cooperating pharmacy nearby dispenses the surplus itself.  Ring members of type
    facility are always the pharmacies that filled the excess, never the practice."""
    main_prescriber_only: bool = True
    """A patient's surplus of a drug links them to the prescriber who wrote most of it only:
    a patient collecting a drug from many doctors (doctor shopping) is not any one doctor's
    scheme patient."""
    join_practice: bool = False
    """Link unusual prescribers of one practice (their institution in the prescribers file)
    into one ring: doctors of a practice may split a scheme's patients, and where the practice
    dispenses the surplus itself no pharmacy ties them together.  Off by default: a hospital
    holds several unrelated doctors, and on our measurements linking them cost more rings
    (merged) than it found (20k and 1M patients)."""
    exclude_resale_sellers: bool = True
    """Patients who first bought boxes that were later reimbursed again (at least
    ``trace_resale.min_resold_boxes_per_seller``) are left to the trace_resale detector:
    their surplus is stock for resale, with no prescriber in on it."""
    leiden_above: int = 40
    """Prescriber–patient–pharmacy components larger than this are tried for a Leiden split:
    one prescriber may feed two separate pharmacy rings."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
    split_min_modularity: float = 0.5
    """The split is kept only when its modularity reaches this (clear sub-rings); a single
    dense ring stays whole.  Each doctor's patients form a star, so one ring of several
    doctors already scores 0.3-0.45: only a clearly higher value means separate rings."""
    attach_min_ratio: float = 1.5
    """Once a ring is found, a further patient of its prescribers joins it with a milder
    excess (supply at least this many times the clinical maximum, i.e. a sustained half-again
    surplus, far above early refills) when the ring's pharmacies filled most of it: the
    ring's context makes a weaker signal meaningful.  Set it to ``min_supply_ratio`` to
    switch attaching off."""
    attach_pharmacy_share: float = 0.5
    """Share of such a patient's fills of the drug that the ring's pharmacies must have made."""
    join_share: float = 0.3
    """Two groups are one ring when at least this share of one group's excess patients
    moved to the other group's pharmacies (all their excess fills at one pharmacy before
    the first at a pharmacy of the other group): a ring that takes over another's patients
    has them fill at its own pharmacies.  0 turns the join off."""
    join_min_patients: int = 2
    """...and at least this many of them: one patient who changed pharmacy is no link."""
    join_same_practice_drug: bool = True
    """Two groups are one ring when a founder of each works at the same practice and both
    are unusual (``max_chance``) on the same drug: a clinic's doctors splitting one scheme,
    each with their own patients, dispensing the surplus themselves.  Narrower than
    ``join_practice`` (any colleagues), which merges unrelated doctors of a big hospital."""


@dataclass(frozen=True)
class MaternitySettings:
    pregnancy_days: int = 280
    """Employment that started fewer than this many days before the delivery began
    after conception: insured status bought for the birth."""
    salary_over_region: float = 2.5
    """Salary base at least this many times the regional median (salaries of other
    employments in the employer's region): inflated to raise the allowance."""
    recent_registration_days: int = 365
    """Employer registered fewer than this many days before its first claim."""
    min_signals: int = 2
    """Claim-level signals (short tenure, inflated salary, recent employer) a claim
    needs to be suspicious; one alone fits a small new firm or a well-paid woman."""
    min_suspicious_share: float = 0.5
    """Share of an employer's claims that must be suspicious for it to be a shell."""
    min_claims: int = 2
    """Claims a ring (one shell or several linked by phone/address/agent) needs."""
    link_by_agent: bool = True
    """Link suspicious employers registered by the same agent (besides phone/address)."""


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


_SECTIONS = {
    "trace_resale": TraceResaleSettings,
    "borrowed_cards": BorrowedCardsSettings,
    "car_shuttle": CarShuttleSettings,
    "over_prescription": OverPrescriptionSettings,
    "maternity": MaternitySettings,
    "mixed": MixedSettings,
    "scoring": ScoringSettings,
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
