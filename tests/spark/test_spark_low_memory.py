"""Issue #15: a drop too big for the embedded engine's memory limit completes on Spark.

``[detection] memory_limit`` is set far below what the 1,000-patient drop
needs: the embedded ``detect`` stops with one line that names the limit and
points to ``--engine spark``; the same workspace and settings detect on Spark."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.mapping import HeaderMapping
from tests.spark.conftest import ONE_SCHEME_ONLY
from tests.spark.test_spark_errors import cli_error


def test_over_the_embedded_memory_limit_the_run_completes_on_spark(spark, small_drop, tmp_path, monkeypatch,
                                                                    capsys):
    from ringscope.app.cli import app

    ws = tmp_path / "ws"
    store = DuckDBStore(StoreConfig(workspace=ws))
    try:
        store.ingest_drop(small_drop / "drop", HeaderMapping())
    finally:
        store.close()
    (ws / "ringscope.toml").write_text('[detection]\nschemes = ["trace_resale"]\nmemory_limit = "4MB"\n' + ONE_SCHEME_ONLY,
                                       encoding="utf-8")
    line = cli_error(monkeypatch, capsys, "detect", "-w", str(ws), "--no-book")
    assert "the embedded engine ran out of memory within [detection] memory_limit = '4MB'" in line
    assert "ringscope detect --engine spark" in line
    out = tmp_path / "rings.json"
    res = CliRunner().invoke(app, ["detect", "--engine", "spark", "--master", "local[2]", "--tables",
                                   str(small_drop / "tables"), "-w", str(ws), "--no-book", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8"))["rings"]
