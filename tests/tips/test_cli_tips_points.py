"""The commands as a user types them: tip add/list/verify/contact and points list/confirm/registry."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ringscope.app.triage import set_triage
from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from tests.drops import VALID_ID
from tests.tips.conftest import PASSWORDS, write_tip


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys, monkeypatch):
    """``ringscope ARGS -w WS [--user U]`` through the real entry point, in this process (fast)."""
    from ringscope.app import cli
    from ringscope.app.commands import points as points_cmd
    from ringscope.app.commands import tip as tip_cmd

    for module in (points_cmd, tip_cmd):  # wide enough for every column, whatever terminal runs the tests
        monkeypatch.setattr(module.console, "width", 250)

    def invoke(ws: Path, *args: str, user: str | None = None) -> Result:
        monkeypatch.setenv("COLUMNS", "250")
        monkeypatch.setenv("RINGSCOPE_PASSWORD", PASSWORDS[user] if user else "")
        monkeypatch.setattr(sys, "argv", ["ringscope", *args, "-w", str(ws), *(["--user", user] if user else [])])
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            cli.main()
        out = capsys.readouterr()
        return Result(int(done.value.code or 0), out.out, out.err)
    return invoke


def test_tip_and_points_commands_end_to_end(tip_ws, tmp_path, run):
    tip = write_tip(tmp_path / "tip.json", [("id_number", VALID_ID), ("facility", "仁和大药房")],
                    text=f"张三（身份证{VALID_ID}）把医保药卖给仁和大药房", contact="wx_tipster_88")
    res = run(tip_ws, "tip", "add", "--file", str(tip), user="li")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("T-000001: ring R-000001") and "Traceback" not in res.stderr

    listed = run(tip_ws, "tip", "list")
    assert listed.returncode == 0, listed.stderr
    assert "T-000001" in listed.stdout and "R-000001" in listed.stdout
    assert VALID_ID not in listed.stdout and "张三" not in listed.stdout and "wx_tipster_88" not in listed.stdout

    with DuckDBStore(StoreConfig(workspace=tip_ws)) as st:
        set_triage(st.relational().cursor(), "R-000001", "confirmed", updated_by="zhao")
    verified = run(tip_ws, "tip", "verify", "T-000001", "--ring", "R-000001", user="li")
    assert verified.returncode == 0 and "reward estimate 200.00 CNY" in verified.stdout, verified.stderr

    denied = run(tip_ws, "tip", "contact", "T-000001", user="li")
    assert denied.returncode == 1 and "tipster_contact" in denied.stderr and "Traceback" not in denied.stderr
    shown = run(tip_ws, "tip", "contact", "T-000001", user="zhao")
    assert shown.returncode == 0 and shown.stdout.strip() == "wx_tipster_88"

    points = run(tip_ws, "points", "list", "--year", "2026")
    assert points.returncode == 0, points.stderr
    row = next(item for item in points.stdout.splitlines() if "pharmacist PH1" in item)
    entry = row.strip("│ ").split()[0]
    assert entry.startswith("PE-") and len(entry) == 15 and "fraud_serious" in row and "terminate" in row
    refused = run(tip_ws, "points", "confirm", entry, user="li")
    assert refused.returncode == 1 and "confirm_points" in refused.stderr
    confirmed = run(tip_ws, "points", "confirm", entry, user="zhao")
    assert confirmed.returncode == 0 and "confirmed by zhao" in confirmed.stdout, confirmed.stderr
    out = tmp_path / "registry.csv"
    registry = run(tip_ws, "points", "registry", "--out", str(out), user="zhao")
    assert registry.returncode == 0 and "Wrote 1 confirmed entry" in registry.stdout
    assert "PH1" in out.read_text(encoding="utf-8-sig")


def test_bad_tip_file_is_one_line_exit_2(tip_ws, tmp_path, run):
    bad = tmp_path / "bad.json"
    bad.write_text('{"received_at": "2026-11-20T09:30:00", "channel": "wechat", "entities": []}', encoding="utf-8")
    res = run(tip_ws, "tip", "add", "--file", str(bad), user="li")
    lines = [item for item in res.stderr.splitlines() if item.strip()]
    assert res.returncode == 2 and len(lines) == 1 and "bad.json, line 1, column 1 (text): tip 1: missing key 'text'" \
        in lines[0]
