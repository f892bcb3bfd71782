"""Every detection threshold, with the reason for its default.

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

Each scheme's section is a dataclass in its own package
(``analytics/detectors/<scheme>/settings.py``) that the scheme registry
(analytics/schemes.py) names, so a new scheme brings its settings with it;
the sections every run shares (mixed rings, scoring, DRG screens, weekly
evolution) are defined here.
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


# Sections every run has besides the schemes' own (whose classes the scheme registry holds).
SHARED_SECTIONS: dict[str, type] = {
    "mixed": MixedSettings,
    "scoring": ScoringSettings,
    "drg": DrgSettings,
    "evolution": EvolutionSettings,
}


def sections() -> dict[str, type]:
    """Every ``[detection.<name>]`` table and its settings class: each registered scheme's
    (analytics/schemes.py), then the shared ones."""
    from ringscope.analytics import schemes

    return {**{s.name: s.settings for s in schemes.schemes()}, **SHARED_SECTIONS}


def _scheme_names() -> tuple[str, ...]:
    from ringscope.analytics import schemes

    return schemes.names()


def _scheme_defaults() -> dict[str, Any]:
    from ringscope.analytics import schemes

    return {s.name: s.settings() for s in schemes.schemes()}


@dataclass(frozen=True)
class DetectionSettings:
    seed: int = 42
    """Seed of every randomised step (Leiden, IsolationForest): same data, same rings."""
    schemes: tuple[str, ...] = field(default_factory=_scheme_names)
    """Detectors to run (default: every registered scheme, in the contract's order)."""
    memory_limit: str = ""
    """DuckDB memory limit for the detection run (e.g. ``"10GB"``); empty keeps DuckDB's
    default (80 % of RAM). Set it on shared machines: DuckDB then spills to disk."""
    engine: str = "igraph"
    """Where components and Leiden run: ``igraph`` in-process (any store), or ``gds``
    inside Neo4j Graph Data Science (Neo4j store only; see analytics/community_gds.py)."""
    by_scheme: dict[str, Any] = field(default_factory=_scheme_defaults, hash=False)
    """Each scheme's own settings (``[detection.<scheme>]``, the class its registry entry
    names), by scheme name; read as ``settings.<scheme>`` (``settings.car_shuttle``)."""
    mixed: MixedSettings = field(default_factory=MixedSettings)
    """Merging rings of different schemes run by the same people (``[detection.mixed]``)."""
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    """How rings are scored (``[detection.scoring]``)."""
    drg: DrgSettings = field(default_factory=DrgSettings)
    """DRG/DIP payment screens (``[detection.drg]``, docs/drg.md)."""
    evolution: EvolutionSettings = field(default_factory=EvolutionSettings)
    """How the weekly report matches this week's rings with last week's (``[detection.evolution]``)."""

    def __getattr__(self, name: str) -> Any:
        """``settings.<scheme>``: that scheme's section (its defaults for a scheme registered later)."""
        if name.startswith("_") or name == "by_scheme":
            raise AttributeError(name)
        if name in self.by_scheme:
            return self.by_scheme[name]
        from ringscope.analytics import schemes

        try:
            return schemes.scheme(name).settings()
        except KeyError:
            raise AttributeError(f"no detection setting or scheme called {name!r}") from None

    def with_section(self, name: str, section: Any) -> "DetectionSettings":
        """These settings with ``[detection.<name>]`` replaced (a scheme's or a shared section)."""
        if name in SHARED_SECTIONS:
            return replace(self, **{name: section})
        return replace(self, by_scheme={**self.by_scheme, name: section})

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "DetectionSettings":
        """Settings from the ``[detection]`` TOML table; unknown keys are errors."""
        settings = cls()
        known = sections()
        for key, value in dict(data or {}).items():
            if key in known:
                if not isinstance(value, dict):
                    raise SettingsError(f"[detection.{key}] must be a table")
                settings = settings.with_section(key, _build(known[key], value, f"detection.{key}"))
            else:
                settings = replace(settings, **{key: _top_level(key, value)})
        return settings

    def to_dict(self) -> dict[str, Any]:
        """Plain values, one table per section (the shape of ``[detection]``)."""
        out: dict[str, Any] = {"seed": self.seed, "schemes": list(self.schemes),
                               "memory_limit": self.memory_limit, "engine": self.engine}
        out.update({name: asdict(section) for name, section in self.by_scheme.items()})
        out.update({name: asdict(getattr(self, name)) for name in SHARED_SECTIONS})
        return out

    def digest(self) -> str:
        """Short hash of the settings, recorded with every detection run."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _top_level(key: str, value: Any) -> Any:
    """One checked top-level ``[detection]`` value (not a section)."""
    if key == "seed":
        return _coerce(int, value, "detection.seed")
    if key == "memory_limit":
        if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip()):
            raise SettingsError("detection.memory_limit must look like '10GB'")
        return value.strip()
    if key == "engine":
        if value not in ("igraph", "gds"):
            raise SettingsError("detection.engine must be 'igraph' or 'gds'")
        return value
    if key == "schemes":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError("detection.schemes must be a list of scheme names")
        unknown = [v for v in value if v not in _scheme_names()]
        if unknown:
            raise SettingsError(f"detection.schemes: unknown scheme(s) {', '.join(unknown)}")
        return tuple(value)
    raise SettingsError(f"detection.{key} is not a detection setting")


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
