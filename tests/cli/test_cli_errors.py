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
    lines = [line for line in res.stderr.splitlines() if line.strip()]
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
    assert len([line for line in res.stderr.splitlines() if line.strip()]) == 1


def test_neo4j_with_no_password_and_no_server_says_nothing_listens(tmp_path):
    """A new user without a server must be told to start one, not to find a password."""
    drop = minimal_drop(tmp_path / "d")
    res = subprocess.run(
        [*RINGSCOPE, "ingest", str(drop), "-w", str(tmp_path / "ws"), "--store", "neo4j"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "NEO4J_URI": "bolt://127.0.0.1:1"},
    )
    assert res.returncode == 3, res.stderr
    assert "nothing is listening at bolt://127.0.0.1:1" in res.stderr
    assert "password" not in res.stderr and "Traceback" not in res.stderr


def test_generate_below_the_planting_floor_is_a_usage_error(tmp_path):
    res = run("generate", "--out", str(tmp_path / "g"), "--patients", "200", cwd=tmp_path)
    assert res.returncode == 2 and "--patients" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "g").exists()


def test_generate_prints_a_table_not_a_python_object(tmp_path):
    res = run("generate", "--out", str(tmp_path / "g"), "--patients", "500", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "GenerationSummary(" not in res.stdout and "settlements" in res.stdout
    assert "planted fund loss" in res.stdout


def test_explore_port_follows_streamlit_own_variable(tmp_path):
    """Deployments that set STREAMLIT_SERVER_PORT for Streamlit get the same port from ``explore``."""
    res = subprocess.run([*RINGSCOPE, "explore", "--help"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert "STREAMLIT_SERVER_PORT" in res.stdout
