"""drg_cases in rings.json and `ringscope evaluate` scoring them by the contract 1.1 rule."""
from __future__ import annotations

import json
from decimal import Decimal

from typer.testing import CliRunner

from ringscope.analytics.drg.evaluation import evaluate_drg
from ringscope.app.cli import app
from tests.analytics.drg.drgworld import stay, write_drop

TRUTH = {"T1": {"violation": "split_admission", "facility_id": "H1", "settlements": {"S1", "S2", "S3"},
                "loss": Decimal("200.00")}}


def detected(facility="H1", sids=("S1", "S2"), loss=202.0, violation="split_admission"):
    return {"case_id": "D1", "violation": violation, "facility_id": facility, "settlement_ids": list(sids),
            "fund_loss": loss}


def test_match_needs_violation_facility_and_half_the_settlements():
    assert evaluate_drg(TRUTH, [detected()])["split_admission"]["matched"] == 1  # Jaccard 2/3
    assert evaluate_drg(TRUTH, [detected(sids=("S1",))])["split_admission"]["matched"] == 0  # 1/3
    assert evaluate_drg(TRUTH, [detected(facility="H2")])["split_admission"]["matched"] == 0
    assert evaluate_drg(TRUTH, [detected(violation="up_coding")])["split_admission"]["matched"] == 0


def test_scores_and_loss_error_per_violation():
    row = evaluate_drg(TRUTH, [detected(), detected(sids=("S1", "S2", "S3"))], {"S9"})["split_admission"]
    assert (row["precision"], row["recall"], row["f1"]) == (0.5, 1.0, 0.6667)  # one true case matches once
    assert row["median_loss_error"] == 0.01 and row["on_lookalike"] == 0


def test_detect_writes_drg_cases_and_evaluate_scores_them(tmp_path):
    rows = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9"),
            stay("S2", "P1", "2026-03-04", "2026-03-09", "ES35", "J18.9")]
    drop = write_drop(tmp_path / "drop", rows)
    (drop / "truth").mkdir()
    (drop / "truth" / "rings.csv").write_text("ring_id,scheme,entity_type,entity_id,role\n", encoding="utf-8")
    (drop / "truth" / "drg_cases.csv").write_text(
        "case_id,violation,facility_id,settlement_id,loss\nC1,split_admission,H1,S1,0\nC1,split_admission,H1,S2,6000.50\n",
        encoding="utf-8")
    ws, out = tmp_path / "ws", tmp_path / "rings.json"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(drop), "--workspace", str(ws)]).exit_code == 0
    result = runner.invoke(app, ["detect", "--workspace", str(ws), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (case,) = json.loads(out.read_text(encoding="utf-8"))["drg_cases"]
    assert (case["violation"], case["facility_id"], case["settlement_ids"], case["fund_loss"]) == (
        "split_admission", "H1", ["S1", "S2"], 6000.5)
    report = runner.invoke(app, ["evaluate", str(drop), str(out), "--json"])
    assert report.exit_code == 0, report.output
    drg = json.loads(report.output)["drg"]["split_admission"]
    assert (drg["f1"], drg["median_loss_error"]) == (1.0, 0.0)
