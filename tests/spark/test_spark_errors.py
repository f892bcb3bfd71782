"""Issue #15: what a user gets wrong with --engine spark is one line, no traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ringscope.analytics.spark.dialect import DialectError, spark_text, to_spark


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from ringscope.app.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def detect(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli("detect", "--engine", "spark", *args, env=env)


def one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    lines = [ln for ln in (res.stderr + res.stdout).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_wrong_master_url(small_drop, tmp_path):
    line = one_line_error(detect("--master", "local[two]", "--tables", str(small_drop / "tables"),
                                 "-w", str(tmp_path)))
    assert "--master 'local[two]' is not a Spark master URL" in line


def test_missing_parquet_tables(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "patients.parquet").write_bytes(b"")
    line = one_line_error(detect("--tables", str(tmp_path / "tables"), "-w", str(tmp_path)))
    assert "missing Parquet table(s) cards.parquet, facilities.parquet, settlements.parquet" in line


def test_no_java(small_drop, tmp_path):
    env = {"JAVA_HOME": str(tmp_path / "no-jdk"), "PATH": os.path.dirname(sys.executable)}
    line = one_line_error(detect("--tables", str(small_drop / "tables"), "-w", str(tmp_path), env=env))
    assert "no Java found" in line


def test_bad_conf_pair(small_drop, tmp_path):
    line = one_line_error(detect("--conf", "spark.executor.memory", "--tables", str(small_drop / "tables"),
                                 "-w", str(tmp_path)))
    assert "write it as key=value" in line


@pytest.mark.parametrize("duck, spark", [
    ("SELECT date_diff('day', a, b) FROM t", "DATEDIFF(CAST(b AS DATE), CAST(a AS DATE))"),
    ("SELECT date_diff('year', a, b) FROM t", "(YEAR(b) - YEAR(a))"),
    ("SELECT dayofweek(d) FROM t", "(DAYOFWEEK(d) - 1)"),
    ("SELECT list(DISTINCT x ORDER BY x) FROM t", "ARRAY_SORT(COLLECT_SET(x))"),
    ("SELECT x SIMILAR TO 'N4[0-2].*' FROM t", "'^(?:N4[0-2].*)$'"),
    ("SELECT quantile_cont(x, $q) FROM t", "PERCENTILE(x, 0.25)"),
])
def test_meanings_that_differ_are_rewritten(duck, spark):
    assert spark in spark_text(to_spark(duck, {"q": 0.25}))


def test_hash_is_refused_because_engines_differ():
    with pytest.raises(DialectError, match="hash"):
        to_spark("SELECT hash(x) FROM t")
