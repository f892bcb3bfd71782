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
    """Admissions to the same institution within this many days of each other belong to
    the same busload (a bus arriving late evening is admitted the next morning)."""
    min_shared_cohorts: int = 2
    """A patient pair must be admitted together on at least this many occasions: one
    joint admission is an outbreak, repeated joint admissions are a shuttle."""
    waived_occasion_weight: int = 2
    """How many occasions one joint admission counts for when both patients' fees were
    waived (self-paid share below ``waiver_ratio`` of the institution's median). 1 = no
    bonus; 2 = one waived joint admission is enough to link two patients (cohorts whose
    membership changes every trip), at the risk of linking medical-assistance patients."""
    occasion_gap_days: int = 3
    """Joint admissions further apart than this count as separate occasions."""
    min_patients: int = 3
    """Smallest cohort reported.  Three villagers admitted together again and again with
    their fees waived are already a shuttle; the repetition and waiver tests, not the
    head count, keep families and outbreaks out (70 development drops: every 3-villager
    cohort found, no new false ring; 1M patients: car_shuttle F1 0.78 against 0.76 at 4)."""
    attach_min_links: int = 2
    """A patient admitted together with at least this many cohort members (on any
    occasion), with a fee-waived admission of their own, joins the cohort."""
    institution_share: float = 0.2
    """An institution belongs to the ring when it admitted at least this share of the
    cohort's joint admissions (one organiser may supply two hospitals)."""
    waiver_ratio: float = 0.35
    """Fee waiver: the cohort's median self-paid share is below this fraction of the
    institution's own median self-paid share for other inpatients."""
    baseline_floor: float = 0.5
    """The institution's reference self-paid share is never below this fraction of the
    median for institutions of its kind, so a hospital that waives fees for most of its
    inpatients cannot hide its cohort inside its own baseline."""
    require_fee_waiver: bool = True
    """Waived co-payments are what pays the villagers to come; without them a group
    admission (nursing home, outbreak) is legitimate."""
    short_stay_ratio: float = 0.85
    """Short stays: cohort median length of stay below this fraction of the institution's."""
    uniform_diagnosis_share: float = 0.6
    """Uniform diagnoses: the cohort's top two diagnoses cover at least this share."""
    same_origin_share: float = 0.6
    """Same villages/counties: this share of the cohort comes from one county code."""
    min_supporting_signals: int = 1
    """How many of short stay / uniform diagnosis / same origin must back the waiver."""
    leiden_above: int = 80
    """Cohort graphs larger than this are split with Leiden."""
    merge_same_institution: bool = False
    """Cohort groups that share an institution (one admitting at least ``institution_share``
    of each group's joint admissions) are reported as one ring: a bus carries different
    villagers on different trips.  Off by default: at province scale one institution
    receives several groups, and merging them joined unrelated cohorts (1M-patient test,
    with each group's main institution: car_shuttle F1 0.65 with it, 0.75 without).  The
    narrower ``join_share`` (villagers who moved) is on."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
    join_share: float = 0.3
    """Two cohort groups are one ring when at least this share of one group's villagers
    had fee-waived admissions at the other group's institution (an organiser that took
    over another's villages brings them to its own hospital, on trips of their own).
    0 turns the join off."""
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
    """A trained scorer (from ``ringscope train``); empty: the newest in the workspace,
    else the unsupervised rank score."""
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
