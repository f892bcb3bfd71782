"""The weekly job on the Neo4j store: the same rings, ids and history as on the embedded store.

Analysts run ``ringscope weekly`` from cron against whichever store the site uses; two weeks of
one generated series go through the real CLI on both stores and the recorded history must agree.
"""
from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from ringscope.graph.ring_history import week_members
from ringscope.ingest.synth import generate_weekly_series

WEEKS = ("2026-W02", "2026-W03")
pytestmark = pytest.mark.neo4j  # in the Neo4j tests' xdist worker: it would otherwise wait on their lock


def _history(ws):
    con = duckdb.connect(str(ws / "ringscope.duckdb"), read_only=True)
    try:
        return {week: {rid: (scheme, keys) for rid, (scheme, keys, _loss) in week_members(con, week).items()}
                for week in WEEKS}, con.execute(
            "SELECT week, ring_id, status FROM history_rings WHERE present ORDER BY 1, 2").fetchall()
    finally:
        con.close()


def test_weekly_on_neo4j_records_the_same_history_as_embedded(neo4j_driver, neo4j_config, tmp_path):
    from ringscope.app.cli import app

    series = tmp_path / "series"
    generate_weekly_series(series, 1500, 7, weeks=len(WEEKS))
    env = {"NEO4J_URI": neo4j_config.uri, "NEO4J_USER": neo4j_config.user,
           "NEO4J_PASSWORD": neo4j_config.password, "NEO4J_DATABASE": neo4j_config.database,
           "RINGSCOPE_CONFIG": None, "RINGSCOPE_STORE": None}
    runner = CliRunner(env=env)
    for store in ("neo4j", "duckdb"):
        for k, week in enumerate(WEEKS, start=1):
            res = runner.invoke(app, ["weekly", str(series / f"week-{k:02d}"), "--week", week, "--format", "html",
                                      "--lang", "zh", "-w", str(tmp_path / store), "--store", store])
            assert res.exit_code == 0, res.output
            assert "Wrote" in res.output  # the report files
    on_neo4j, on_duckdb = _history(tmp_path / "neo4j"), _history(tmp_path / "duckdb")
    assert on_neo4j[0][WEEKS[-1]], "the series should give rings by its second week"
    assert on_neo4j == on_duckdb
    nodes = neo4j_driver.execute_query("MATCH (n:Patient) RETURN count(n) AS n").records[0]["n"]
    assert nodes > 0  # the graph really was loaded into Neo4j
