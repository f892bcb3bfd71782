"""What ``detect`` and ``evaluate`` print about DRG payment cases (issue 18), kept apart from rings."""
from __future__ import annotations

from typing import Any

from rich.table import Table

from ringscope.analytics.drg.case import VIOLATION_ZH, DrgCase


def drg_cases_table(cases: list[DrgCase], limit: int = 10) -> Table:
    """Top DRG cases: institution, violation, settlements, fund loss, what was shifted to the patient, score."""
    table = Table(title=f"DRG 支付违规线索 / DRG payment cases: top {min(limit, len(cases))} of {len(cases)}",
                  title_justify="left")
    numbers = ("settlements", "loss (CNY)", "to patient (CNY)", "score")
    for col in ("case", "violation", "institution", *numbers):
        table.add_column(col, justify="right" if col in numbers else "left")
    for case in cases[:limit]:
        table.add_row(case.case_id, f"{VIOLATION_ZH[case.violation]} {case.violation}", case.facility_id,
                      str(len(case.lines)), f"{case.fund_loss:,.2f}",
                      f"{case.patient_amount:,.2f}" if case.patient_amount else "", f"{case.score:.2f}")
    return table


def drg_evaluation_table(report: dict[str, Any]) -> Table:
    """Per violation P/R/F1 and loss error, by the contract 1.1 matching rule."""
    table = Table(title="DRG cases against truth/drg_cases.csv", title_justify="left")
    for col in ("violation", "true", "detected", "matched", "precision", "recall", "F1", "median loss error",
                "on look-alike"):
        table.add_column(col, justify="left" if col == "violation" else "right")
    for violation, row in report.items():
        err = row["median_loss_error"]
        table.add_row(violation, str(row["true"]), str(row["detected"]), str(row["matched"]),
                      f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      "-" if err is None else f"{err:.2%}", str(row["on_lookalike"]))
    return table
