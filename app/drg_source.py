"""Where DRG payment cases come from, for the explorer, the weekly report and the referral export.

The DRG case book (``graph.drg_book``, written by ``ringscope detect`` and the weekly job) is
the normal source: the cases of the latest run, recorded with its rings.  Without a book (a
``rings.json`` handed over from another site, or ``detect --no-book``), the ``drg_cases``
list of the rings file the app reads is used (contract 1.1, section 3).  Callers see typed
:class:`DrgCaseRecord` objects and never ask which source it was.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ringscope.app.ring_source import RINGS_FILE
from ringscope.graph.drg_book import latest_drg_cases

VIOLATION_ZH = {"split_admission": "分解住院", "up_coding": "低码高编", "cost_shifting": "转嫁费用"}


@dataclass(frozen=True)
class DrgLine:
    settlement_id: str
    loss: Decimal
    paid_group: str | None
    expected_group: str | None
    note: str
    patient_amount: Decimal = Decimal("0.00")
    """Cost shifted to the patient on this line (not a fund loss)."""


@dataclass(frozen=True)
class DrgCaseRecord:
    """One institution's DRG case: violation, patient, per-settlement loss, evidence (zh and en)."""

    case_id: str
    violation: str
    facility_id: str
    patient_id: str | None
    score: float
    fund_loss: Decimal
    lines: tuple[DrgLine, ...]
    evidence: tuple[dict[str, str], ...]

    @property
    def patient_amount(self) -> Decimal:
        return sum((line.patient_amount for line in self.lines), Decimal("0.00"))

    def drifts(self) -> list[dict[str, str]]:
        """The case-mix drift items of an up-coding case (its institution's and its prescriber's)."""
        return [e for e in self.evidence if e.get("kind") in ("institution_drift", "prescriber_drift")]

    def text(self, lang: str) -> str:
        first = self.evidence[0] if self.evidence else {}
        return (first.get("text_zh") or first.get("text", "")) if lang == "zh" else first.get("text", "")


def record_from_json(item: dict[str, Any]) -> DrgCaseRecord:
    """A ``drg_cases`` entry (rings.json or the case book) as a typed record."""
    lines = tuple(DrgLine(str(x["settlement_id"]), Decimal(str(x.get("loss", 0))).quantize(Decimal("0.01")),
                          x.get("paid_group"), x.get("expected_group"), str(x.get("note") or ""),
                          Decimal(str(x.get("patient_amount") or 0)).quantize(Decimal("0.01")))
                  for x in item.get("loss_lines") or
                  [{"settlement_id": s, "loss": 0} for s in item.get("settlement_ids", [])])
    return DrgCaseRecord(str(item["case_id"]), str(item["violation"]), str(item["facility_id"]),
                         item.get("patient_id"), float(item.get("score", 0)),
                         Decimal(str(item.get("fund_loss", 0))).quantize(Decimal("0.01")), lines,
                         tuple(item.get("evidence") or ()))


def load_drg_cases(workspace: Path, con: duckdb.DuckDBPyConnection | None,
                   app_config: dict[str, Any] | None = None) -> list[DrgCaseRecord]:
    """The DRG cases beside the rings: the case book's latest run, else the rings file's ``drg_cases``."""
    app_config = app_config or {}
    if not app_config.get("rings_file") and con is not None:
        booked = latest_drg_cases(con)
        if booked is not None:
            return [record_from_json(c) for c in booked]
    path = Path(app_config.get("rings_file") or Path(workspace) / RINGS_FILE)
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []  # ring_source reports an unreadable rings file with its reason
    items = doc.get("drg_cases") if isinstance(doc, dict) else None
    return [record_from_json(c) for c in items or [] if isinstance(c, dict) and "case_id" in c]


DRIFT_COLUMNS = ("unit", "facility_id", "prescriber_id", "episodes", "upper_share", "peer_share", "drift",
                 "unexplained", "drifting", "cases", "fund_loss")


def drift_rows(cases: list[DrgCaseRecord]) -> list[dict[str, Any]]:
    """Each institution and prescriber whose up-coding cases carry a drift, with its cases and loss.

    Drifting units first, then by unexplained drift (the share of upper-group coding beyond the
    peers that the records do not support, ``analytics.drg.drift``).
    """
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for case in cases:
        for item in case.drifts():
            key = (item.get("unit", ""), item.get("facility_id", case.facility_id), item.get("prescriber_id", ""))
            row = rows.setdefault(key, {
                "unit": key[0], "facility_id": key[1], "prescriber_id": key[2],
                "episodes": int(item.get("episodes", 0)), "upper_share": float(item.get("upper_share", 0)),
                "peer_share": float(item.get("peer_share", 0)), "drift": float(item.get("drift", 0)),
                "unexplained": float(item.get("unexplained", 0)), "drifting": item.get("drifting") == "true",
                "cases": 0, "fund_loss": Decimal("0.00")})
            row["cases"] += 1
            row["fund_loss"] += case.fund_loss
    return sorted(rows.values(), key=lambda r: (not r["drifting"], -r["unexplained"], r["unit"], r["facility_id"],
                                                r["prescriber_id"]))
