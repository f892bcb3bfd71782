"""The weekly job runs detection through the one path (``app.detection.run_detection``), so the
``[detection]`` settings a user sets reach the unattended run too (issue #20: it ignored them)."""
from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest

from ringscope.app.config import load_config
from ringscope.app.errors import UserError
from ringscope.app.weekly import run_weekly
from tests.drops import minimal_drop


def _weekly(tmp_path, detection: dict):
    drop = minimal_drop(tmp_path / "drop")
    cfg = replace(load_config(workspace=tmp_path / "ws", env={}), detection=detection)
    return run_weekly(cfg, drop, "2026-W10", formats=("html",), langs=("zh",))


def test_weekly_honours_memory_limit(tmp_path):
    # a limit too small for anything: DuckDB refuses it, which shows the limit was applied
    with pytest.raises(duckdb.OutOfMemoryException, match="memory limit"):
        _weekly(tmp_path, {"memory_limit": "1KB"})


def test_weekly_honours_the_configured_engine(tmp_path):
    with pytest.raises(UserError, match="engine 'gds' needs the Neo4j store"):
        _weekly(tmp_path, {"engine": "gds"})


def test_weekly_with_a_workable_memory_limit_runs(tmp_path):
    assert _weekly(tmp_path, {"memory_limit": "2GB", "engine": "igraph"}).rings == 0
