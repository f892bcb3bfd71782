"""The CLI turns user errors into one line and an exit code, never a traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.drops import minimal_drop, write_table

RINGSCOPE = [sys.executable, "-m", "ringscope.app.cli"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*RINGSCOPE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_unusable_drop_is_one_line_and_exit_2(tmp_path):
    drop = minimal_drop(tmp_path / "d")
    write_table(drop, "cards", ["card_id"], [["C1"]])
    res = run("ingest", str(drop), "-w", str(tmp_path / "ws"), cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "cards.csv, line 1, column patient_id" in lines[0]


def test_bad_option_is_a_usage_error(tmp_path):
    res = run("ingest", "--bogus", cwd=tmp_path)
    assert res.returncode == 2 and "No such option" in res.stderr and "Traceback" not in res.stderr


def test_unreachable_neo4j_names_the_uri(tmp_path):
    drop = minimal_drop(tmp_path / "d")
    res = subprocess.run(
        [*RINGSCOPE, "ingest", str(drop), "-w", str(tmp_path / "ws"), "--store", "neo4j"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x" * 12},
    )
    assert res.returncode == 3, res.stderr
    assert "bolt://127.0.0.1:1" in res.stderr and "Traceback" not in res.stderr
    assert len([l for l in res.stderr.splitlines() if l.strip()]) == 1
