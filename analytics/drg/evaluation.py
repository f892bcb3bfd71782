"""Score DRG cases against ``truth/drg_cases.csv`` by the contract's matching rule (1.1, section 3).

A detected case matches a true case when violation and facility agree and the Jaccard
similarity of their settlement sets is at least 0.5; each true case matches at most one
detected case (best Jaccard first).  Per violation: precision, recall, F1, and the loss
error on matched cases (|detected - true| / true; median and mean).  When the drop has our
``truth/drg_lookalikes.csv`` (not part of the contract), detected cases touching a planted
look-alike settlement are counted.
"""
from __future__ import annotations

import csv
import statistics
from decimal import Decimal
from pathlib import Path
from typing import Any

from ringscope.analytics.drg.case import VIOLATIONS


def load_drg_truth(drop_dir: Path | str) -> dict[str, dict[str, Any]] | None:
    """True cases by case_id, or None when the drop has no ``truth/drg_cases.csv``."""
    path = Path(drop_dir) / "truth" / "drg_cases.csv"
    if not path.exists():
        return None
    cases: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                case = cases.setdefault(row["case_id"], {"violation": row["violation"], "facility_id": row["facility_id"],
                                                         "settlements": set(), "loss": Decimal("0")})
                case["settlements"].add(row["settlement_id"])
                case["loss"] += Decimal(row["loss"] or "0")
            except (KeyError, ArithmeticError) as exc:
                raise ValueError(f"{path}, line {line}: not a drg_cases row ({exc})") from None
    return cases


def load_lookalikes(drop_dir: Path | str) -> set[str]:
    path = Path(drop_dir) / "truth" / "drg_lookalikes.csv"
    if not path.exists():
        return set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {row["settlement_id"] for row in csv.DictReader(fh)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _prf(tp: int, n_true: int, n_det: int) -> tuple[float, float, float]:
    p = tp / n_det if n_det else (1.0 if not n_true else 0.0)
    r = tp / n_true if n_true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate_drg(truth: dict[str, dict[str, Any]], detected: list[dict[str, Any]],
                 lookalikes: set[str] | None = None, violations: tuple[str, ...] = VIOLATIONS) -> dict[str, Any]:
    """Per violation P/R/F1 and loss error; ``detected`` are rings.json ``drg_cases`` entries.

    ``violations``: the labels to score (the benchmark adds its own sub-labels, see
    :func:`label_patient_shifting`)."""
    out: dict[str, Any] = {}
    for violation in violations:
        true = {k: v for k, v in truth.items() if v["violation"] == violation}
        det = [d for d in detected if d.get("violation") == violation]
        pairs = sorted(((_jaccard(set(d["settlement_ids"]), t["settlements"]), i, k)
                        for i, d in enumerate(det) for k, t in true.items()
                        if t["facility_id"] == d.get("facility_id")), reverse=True)
        used_det, used_true, errors = set(), set(), []
        for jac, i, k in pairs:
            if jac < 0.5 or i in used_det or k in used_true:
                continue
            used_det.add(i)
            used_true.add(k)
            t_loss = true[k]["loss"]
            d_loss = Decimal(str(det[i].get("fund_loss", 0)))
            errors.append(float(abs(d_loss - t_loss) / t_loss) if t_loss else float(d_loss != 0))
        p, r, f1 = _prf(len(used_true), len(true), len(det))
        on_lookalike = sum(1 for d in det if lookalikes and set(d["settlement_ids"]) & lookalikes)
        out[violation] = {
            "true": len(true), "detected": len(det), "matched": len(used_true),
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
            "median_loss_error": round(statistics.median(errors), 4) if errors else None,
            "mean_loss_error": round(statistics.fmean(errors), 4) if errors else None,
            "on_lookalike": on_lookalike,
        }
    return out


PATIENT = "cost_shifting_to_patient"


def label_patient_shifting(truth: dict[str, dict[str, Any]], detected: list[dict[str, Any]]
                           ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Copies with cost shifting to the patient under its own label, to score it apart (benchmark only).

    Detected: the cases whose evidence is of that kind.  True: ``cost_shifting`` cases whose fund
    loss is 0 (shifting to the fund always costs the fund something; our generator plants
    shifting to the patient at 0).  Not the contract's rule: the contract knows one cost_shifting.
    """
    def kind(case: dict[str, Any]) -> str:
        return PATIENT if any(e.get("kind") == PATIENT for e in case.get("evidence") or []) else case["violation"]

    true = {k: {**t, "violation": PATIENT} if t["violation"] == "cost_shifting" and t["loss"] == 0 else t
            for k, t in truth.items()}
    return true, [{**d, "violation": kind(d)} for d in detected]
