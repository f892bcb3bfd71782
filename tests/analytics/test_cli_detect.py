"""The real commands end to end: ingest a small drop, detect twice, evaluate, train refuses politely."""
import csv
import json

from typer.testing import CliRunner

from ringscope.app.cli import app
from ringscope.ingest.contract import TABLES
from tests.analytics.test_trace_resale import _resale_world
from tests.analytics.worlds import World


def _write_drop(world: World, folder):
    folder.mkdir(parents=True)
    for name, rows in world.t.items():
        if not rows:
            continue
        cols = [c.name for c in TABLES[name].columns]
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for row in rows:
                vals = []
                for c in cols:
                    v = row.get(c)
                    vals.append("" if v is None else (v.strftime("%Y-%m-%dT%H:%M:%S") if hasattr(v, "hour") else str(v)))
                w.writerow(vals)
    (folder / "truth").mkdir()
    (folder / "truth" / "rings.csv").write_text(
        "ring_id,scheme,entity_type,entity_id,role\n"
        "T1,trace_resale,patient,P1,seller\nT1,trace_resale,patient,P2,seller\n"
        "T1,trace_resale,patient,P3,seller\nT1,trace_resale,facility,PH1,reseller\n", encoding="utf-8")


def _ingested_resale_drop(tmp_path):
    """A small resale drop written as CSV and ingested through the CLI: (runner, drop, workspace)."""
    world = _resale_world(World())
    # valid 18-digit id numbers are optional: leave them empty
    drop = tmp_path / "drop"
    _write_drop(world, drop)
    ws = tmp_path / "ws"
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(drop), "-w", str(ws)])
    assert res.exit_code == 0, res.output
    return runner, drop, ws


def test_detect_keeps_ids_and_evaluate_reports(tmp_path):
    runner, drop, ws = _ingested_resale_drop(tmp_path)
    out = tmp_path / "rings.json"
    for _ in range(2):
        res = runner.invoke(app, ["detect", "-w", str(ws), "--out", str(out)])
        assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [r["ring_id"] for r in doc["rings"]] == ["R-000001"]
    # the drop carries trace codes but no operators or devices: detect says which detectors were blind
    assert "Data gaps" in res.output and "settlements.operator_id / device_id" in res.output
    assert "dispensings.trace_code" not in res.output
    assert doc["run_id"] == "RUN-000002"
    res = runner.invoke(app, ["evaluate", str(drop), str(out), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["per_scheme"]["trace_resale"]["f1"] == 1.0
    assert report["fund_loss_error_mean"] is None or report["fund_loss_error_mean"] >= 0


def test_evaluate_without_truth_is_a_one_line_error(tmp_path):
    (tmp_path / "rings.json").write_text('{"rings": []}', encoding="utf-8")
    res = CliRunner().invoke(app, ["evaluate", str(tmp_path), str(tmp_path / "rings.json")])
    assert res.exit_code != 0


def test_detect_with_a_named_scorer_that_is_missing_stops_with_the_reason(tmp_path):
    runner, _drop, ws = _ingested_resale_drop(tmp_path)
    conf = tmp_path / "ringscope.toml"
    conf.write_text('[detection.scoring]\nmodel_path = "latest"\n', encoding="utf-8")
    res = runner.invoke(app, ["detect", "-w", str(ws), "--config", str(conf), "--out", str(tmp_path / "r.json")])
    assert res.exit_code != 0
    assert "no trained scorer is stored" in str(res.exception)
    assert not (tmp_path / "r.json").exists()
