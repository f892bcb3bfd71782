"""Issue #15: what a user gets wrong with --engine spark is one line, no traceback."""
from __future__ import annotations

import os
import sys

import pytest

from ringscope.analytics.spark.dialect import DialectError, spark_text, to_spark


def cli_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str,
              env: dict | None = None) -> str:
    """Run ``ringscope ARGS`` through the CLI's own entry point (``main``, which turns user errors into one
    line) in this process — a subprocess per check cost 10-20 s of interpreter start under load — and
    return its only output line; it must fail, without a traceback."""
    from ringscope.app.cli import main

    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "argv", ["ringscope", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:  # an exception other than SystemExit fails the test: a traceback
        main()
    assert stop.value.code not in (0, None)
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    lines = [ln for ln in (out.err + out.out).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def detect(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str, env: dict | None = None) -> str:
    return cli_error(monkeypatch, capsys, "detect", "--engine", "spark", *args, env=env)


def test_wrong_master_url(small_drop, tmp_path, monkeypatch, capsys):
    line = detect(monkeypatch, capsys, "--master", "local[two]", "--tables", str(small_drop / "tables"),
                  "-w", str(tmp_path))
    assert "--master 'local[two]' is not a Spark master URL" in line


def test_missing_parquet_tables(tmp_path, monkeypatch, capsys):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "patients.parquet").write_bytes(b"")
    line = detect(monkeypatch, capsys, "--tables", str(tmp_path / "tables"), "-w", str(tmp_path))
    assert "missing Parquet table(s) cards.parquet, facilities.parquet, settlements.parquet" in line


def test_no_java(small_drop, tmp_path, monkeypatch, capsys):
    env = {"JAVA_HOME": str(tmp_path / "no-jdk"), "PATH": os.path.dirname(sys.executable)}
    line = detect(monkeypatch, capsys, "--tables", str(small_drop / "tables"), "-w", str(tmp_path), env=env)
    assert "no Java found" in line


def test_bad_conf_pair(small_drop, tmp_path, monkeypatch, capsys):
    line = detect(monkeypatch, capsys, "--conf", "spark.executor.memory", "--tables", str(small_drop / "tables"),
                  "-w", str(tmp_path))
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
