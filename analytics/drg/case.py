"""A DRG payment finding: one institution's case, with each settlement's extra fund cost.

Contract 1.1, section 3: ``drg_cases`` entries are ``{case_id, violation, facility_id,
patient_id, settlement_ids, fund_loss, score, evidence}``.  The loss is kept per
settlement (``lines``) as the *Detailed Rules* ask: listed transaction by transaction, then
totalled, in exact decimal yuan.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

VIOLATIONS = ("split_admission", "up_coding", "cost_shifting")
VIOLATION_ZH = {"split_admission": "分解住院", "up_coding": "低码高编", "cost_shifting": "转嫁费用"}


@dataclass(frozen=True)
class LossLine:
    """One settlement of a case and the additional fund expenditure it caused (0 when none)."""

    settlement_id: str
    loss: Decimal
    paid_group: str | None = None
    expected_group: str | None = None
    note: str = ""
    patient_amount: Decimal = Decimal("0.00")
    """What the patient paid because of the act (cost shifting to the patient); not a fund loss."""


@dataclass
class DrgCase:
    violation: str
    facility_id: str
    patient_id: str | None
    lines: list[LossLine]
    score: float
    evidence: list[dict[str, str]] = field(default_factory=list)
    case_id: str = ""

    @property
    def settlement_ids(self) -> list[str]:
        return [line.settlement_id for line in self.lines]

    @property
    def fund_loss(self) -> Decimal:
        """The total of the per-settlement losses (Detailed Rules: each transaction, then the sum)."""
        return sum((line.loss for line in self.lines), Decimal("0.00"))

    @property
    def patient_amount(self) -> Decimal:
        """The total shifted to the patient's own pocket (0 for every other violation)."""
        return sum((line.patient_amount for line in self.lines), Decimal("0.00"))

    @property
    def fingerprint(self) -> str:
        """Content id (violation, facility, settlements): the same case keeps its id across runs."""
        blob = "|".join([self.violation, self.facility_id, *sorted(self.settlement_ids)])
        return hashlib.sha256(blob.encode()).hexdigest()[:10].upper()

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "violation": self.violation,
            "facility_id": self.facility_id,
            "patient_id": self.patient_id,
            "settlement_ids": self.settlement_ids,
            "fund_loss": float(self.fund_loss),
            "score": round(float(self.score), 4),
            "evidence": list(self.evidence),
            "patient_amount": float(self.patient_amount),
            "loss_lines": [
                {"settlement_id": line.settlement_id, "loss": float(line.loss), "paid_group": line.paid_group,
                 "expected_group": line.expected_group, "note": line.note,
                 "patient_amount": float(line.patient_amount)}
                for line in self.lines
            ],
        }


def number_cases(cases: list[DrgCase]) -> list[DrgCase]:
    """Ids from content (``D-<violation initial>-<fingerprint>``), cases sorted by score then loss."""
    for case in cases:
        case.case_id = f"D-{case.violation[:2].upper()}-{case.fingerprint}"
    return sorted(cases, key=lambda c: (-round(c.score, 6), -c.fund_loss, c.case_id))
