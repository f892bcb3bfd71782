"""Internal columnar form of fact rows (settlements, dispensings, claims).

Everything is an integer here: entity indices, epoch days/seconds, cents.
Background generation fills whole arrays at once; ring and hard-negative
planters append a few thousand rows through ``FactBuilder``.  Both end up as
the same ``FactBatch`` so one writer renders them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Sequence

import numpy as np

OUTPATIENT, INPATIENT, PHARMACY_KIND, MATERNITY = range(4)
KIND_TEXT = np.array(["outpatient", "inpatient", "pharmacy", "maternity"])
DAY = 86_400


@dataclass
class Settlements:
    sid: np.ndarray
    card: np.ndarray
    patient: np.ndarray       # -1 = not recorded
    facility: np.ndarray
    prescriber: np.ndarray    # -1
    kind: np.ndarray
    t: np.ndarray             # epoch seconds, local time
    total: np.ndarray         # cents
    fund: np.ndarray          # cents
    admitted: np.ndarray      # epoch day, -1
    discharged: np.ndarray    # epoch day, -1
    diag: np.ndarray          # -1
    drg: np.ndarray           # -1
    device: np.ndarray        # -1
    operator: np.ndarray      # -1


@dataclass
class Dispensings:
    sid: np.ndarray
    line: np.ndarray
    drug: np.ndarray
    qty: np.ndarray
    amount: np.ndarray        # cents
    box: np.ndarray           # box serial, -1 = no trace code
    days_supply: np.ndarray   # -1


@dataclass
class Claims:
    claim: np.ndarray
    patient: np.ndarray
    employer: np.ndarray
    claimed: np.ndarray       # epoch day
    amount: np.ndarray        # cents
    delivery: np.ndarray      # epoch day
    salary_base: np.ndarray   # cents


def concat(batches: list):
    """Concatenate batches of one dataclass type column by column."""
    cls = type(batches[0])
    return cls(**{f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(cls)})


def subset(batch, mask_or_index):
    cls = type(batch)
    return cls(**{f.name: getattr(batch, f.name)[mask_or_index] for f in fields(cls)})


def length(batch) -> int:
    return len(getattr(batch, fields(batch)[0].name))


def empty(cls):
    return cls(**{f.name: np.zeros(0, dtype=np.int64) for f in fields(cls)})


@dataclass
class Counters:
    """Global sequence counters; every settlement, box and claim number is
    drawn here so planted and background rows never collide."""

    settlement: int = 0
    box: int = 0
    claim: int = 0

    def take_settlements(self, n: int) -> np.ndarray:
        out = np.arange(self.settlement, self.settlement + n, dtype=np.int64)
        self.settlement += n
        return out

    def take_boxes(self, n: int) -> np.ndarray:
        out = np.arange(self.box, self.box + n, dtype=np.int64)
        self.box += n
        return out


@dataclass
class FactBuilder:
    """Row-at-a-time accumulator for planted facts (small volumes only)."""

    counters: Counters
    records_device: np.ndarray | None = None
    """Per facility, whether its settlements record the device (None: all do)."""
    records_operator: np.ndarray | None = None
    s_rows: list = field(default_factory=list)
    d_rows: list = field(default_factory=list)
    c_rows: list = field(default_factory=list)

    def settlement(self, *, card: int, patient: int, facility: int, kind: int, t: int,
                   lines: Sequence[tuple[int, int, int, int, int]] = (), fee: int = 0,
                   fund_ratio: float = 0.7, prescriber: int = -1, admitted: int = -1,
                   discharged: int = -1, diag: int = -1, drg: int = -1, device: int = -1,
                   operator: int = -1, total: int | None = None) -> tuple[int, int]:
        """Add one settlement; ``lines`` are (drug, qty, amount_cents, box, days_supply).

        Returns (settlement number, fund_paid cents).  The total is the lines
        plus ``fee`` unless given; fund_paid is ``fund_ratio`` of it, so
        fund + self always equals the total to the cent.
        """
        sid = self.counters.settlement
        self.counters.settlement += 1
        if total is None:
            total = int(sum(line[2] for line in lines) + fee)
        fund = int(total * fund_ratio)
        if self.records_device is not None and not self.records_device[facility]:
            device = -1
        if self.records_operator is not None and not self.records_operator[facility]:
            operator = -1
        self.s_rows.append((sid, card, patient, facility, prescriber, kind, t, total, fund,
                            admitted, discharged, diag, drg, device, operator))
        for no, (drug, qty, amount, box, days_supply) in enumerate(lines, start=1):
            self.d_rows.append((sid, no, drug, qty, amount, box, days_supply))
        return sid, fund

    def claim(self, *, patient: int, employer: int, claimed: int, amount: int, delivery: int,
              salary_base: int) -> int:
        cid = self.counters.claim
        self.counters.claim += 1
        self.c_rows.append((cid, patient, employer, claimed, amount, delivery, salary_base))
        return cid

    def new_box(self) -> int:
        self.counters.box += 1
        return self.counters.box - 1

    def batches(self) -> tuple[Settlements, Dispensings, Claims]:
        def build(cls, rows):
            if not rows:
                return empty(cls)
            cols = np.array(rows, dtype=np.int64).T
            return cls(*cols)
        return build(Settlements, self.s_rows), build(Dispensings, self.d_rows), build(Claims, self.c_rows)
