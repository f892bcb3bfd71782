"""The typed record every detector returns: a ring with members, evidence and money.

A ring is what an investigator opens: who is in it (``members`` with a
role), what makes it suspicious (``evidence``, each item in English and
Chinese), which transactions it made (``settlement_ids``, ``claim_ids``)
and what the fund paid through them (``fund_loss``, contract section 3).
``features`` carries the numbers scoring uses; they are kept out of
rings.json except as extra keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Contract section 2 entity vocabulary, in the order members are listed.
MEMBER_TYPE_ORDER = ("facility", "prescriber", "employer", "device", "card", "patient")


@dataclass(frozen=True, order=True)
class Member:
    type: str  # contract entity type: patient, card, facility, prescriber, employer, device
    id: str
    role: str = "member"

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Evidence:
    kind: str  # machine-readable, e.g. duplicate_trace_code
    text: str  # English, plain language
    text_zh: str  # Chinese
    value: float | None = None  # the measured number behind the sentence, when there is one
    scheme: str = ""  # in a ``mixed`` ring: the scheme whose detector found this item (empty otherwise)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "text_zh": self.text_zh}
        if self.value is not None:
            out["value"] = self.value
        if self.scheme:
            out["scheme"] = self.scheme
        return out


@dataclass
class Ring:
    scheme: str
    members: list[Member]
    settlement_ids: list[str] = field(default_factory=list)
    claim_ids: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    fund_loss: Decimal = Decimal("0.00")
    score: float = 0.0
    ring_id: str = ""

    def __post_init__(self) -> None:
        self.normalise()

    def normalise(self) -> None:
        """Deduplicate and order members and transactions so output is stable."""
        seen: dict[str, Member] = {}
        for m in self.members:
            seen.setdefault(m.key, m)
        order = {t: i for i, t in enumerate(MEMBER_TYPE_ORDER)}
        self.members = sorted(seen.values(), key=lambda m: (order.get(m.type, 99), m.id))
        self.settlement_ids = sorted(set(self.settlement_ids))
        self.claim_ids = sorted(set(self.claim_ids))

    def member_keys(self) -> frozenset[str]:
        return frozenset(m.key for m in self.members)

    def members_of(self, entity_type: str) -> list[str]:
        return [m.id for m in self.members if m.type == entity_type]

    @property
    def schemes(self) -> list[str]:
        """The schemes behind the ring: its own, or for a ``mixed`` ring those its evidence came from."""
        if self.scheme != "mixed":
            return [self.scheme]
        from ringscope.ingest.contract import SCHEMES

        found = {e.scheme for e in self.evidence if e.scheme}
        order = {s: i for i, s in enumerate(SCHEMES)}
        return sorted(found, key=lambda s: (order.get(s, len(order)), s))

    @property
    def fingerprint(self) -> str:
        """Deterministic identity of the content, used to order rings with equal scores."""
        return "|".join(sorted(self.member_keys()))
