"""Fixtures shared by every test folder: workspaces and the embedded store."""
from __future__ import annotations

from pathlib import Path

import pytest

from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.mapping import HeaderMapping

# Fixtures used beyond their own folder, registered once for the whole suite: a session
# fixture imported into a second conftest would be a second fixture, built once more.
pytest_plugins = ("tests.app.explorer_workspace", "tests.export.referral_case")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def duck(workspace: Path):
    store = DuckDBStore(StoreConfig(workspace=workspace))
    yield store
    store.close()


@pytest.fixture
def ingest(duck):
    def run(folder: Path, mapping: HeaderMapping | None = None):
        return duck.ingest_drop(folder, mapping or HeaderMapping())
    return run


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Neo4j Community has one database: its tests run in one xdist worker, serially.

    The Spark tests share one JVM session and one parity drop (session fixtures are per
    worker): in a group of their own they start Spark once, beside the Neo4j group.
    Likewise the tests reading the weekly report rendered once per session (PDFs in two
    languages): in one worker it is rendered once, not in each.
    """
    for item in items:
        if item.get_closest_marker("neo4j") is not None:
            item.add_marker(pytest.mark.xdist_group("neo4j"))
        elif "/tests/spark/" in str(item.path):
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif "rendered" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("report-rendered"))


@pytest.fixture(params=["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_store(request, tmp_path):
    """The same test against both stores."""
    from contextlib import nullcontext

    from tests.stores import neo4j_test_lock, open_store

    with neo4j_test_lock() if request.param == "neo4j" else nullcontext():
        store = open_store(request.param, tmp_path / f"ws-{request.param}")
        yield store
        store.close()
