"""Fixtures shared by every test folder: workspaces and the embedded store."""
from __future__ import annotations

from pathlib import Path

import pytest

from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.mapping import HeaderMapping


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
