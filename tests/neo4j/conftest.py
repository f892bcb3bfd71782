"""The real Neo4j server for the tests in this folder (never a mock).

Where the server is, in order: ``NEO4J_URI`` + ``NEO4J_PASSWORD`` (+
``NEO4J_USER``) from the environment, else the local server's connection
file ``$RINGSCOPE_WORKSPACE/neo4j/conf/ringscope-connection.json`` (default
workspace ``./ringscope-workspace``), written by ``ringscope neo4j install``
or ``.ci/install-neo4j.sh``.  Without a server these tests are skipped,
unless ``CI`` or ``RINGSCOPE_REQUIRE_NEO4J=1`` is set: then it is a failure.

The tests wipe the database they use: they refuse to touch a graph that
holds labels other than RingScope's.  Tests run one at a time across
pytest-xdist workers (a file lock), since Community has one database.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NoReturn

import pytest

from ringscope.graph.config import Neo4jConfig, StoreConfig
from ringscope.graph.model import LABELS
from ringscope.graph.neo4j.loader import clear_graph
from ringscope.graph.neo4j.schema import BOOKKEEPING_LABELS
from ringscope.graph.neo4j.store import Neo4jStore, connect
from ringscope.graph.store import StoreUnavailable
from tests.stores import neo4j_test_lock

REPO = Path(__file__).resolve().parents[2]


def local_home() -> Path:
    workspace = Path(os.environ.get("RINGSCOPE_WORKSPACE", REPO / "ringscope-workspace"))
    return workspace / "neo4j"


def _find_server() -> Neo4jConfig | None:
    if os.environ.get("NEO4J_URI") and os.environ.get("NEO4J_PASSWORD"):
        return Neo4jConfig(
            uri=os.environ["NEO4J_URI"],
            user=os.environ.get("NEO4J_USER", "neo4j"),
            password=os.environ["NEO4J_PASSWORD"],
            database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
    path = local_home() / "conf" / "ringscope-connection.json"
    if path.exists():
        info = json.loads(path.read_text(encoding="utf-8"))
        return Neo4jConfig(uri=info["uri"], user=info["user"], password=info["password"])
    return None


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") or os.environ.get("RINGSCOPE_REQUIRE_NEO4J") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_config() -> Neo4jConfig:
    cfg = _find_server()
    if cfg is None:
        _unavailable("no Neo4j: set NEO4J_URI/NEO4J_PASSWORD or run `ringscope neo4j install && ringscope neo4j start`")
    try:
        driver = connect(cfg)
    except StoreUnavailable as exc:
        _unavailable(str(exc))
    with driver:
        labels = {r["label"] for r in driver.execute_query("CALL db.labels() YIELD label RETURN label").records}
    foreign = labels - set(LABELS) - set(BOOKKEEPING_LABELS)
    if foreign:
        pytest.fail(f"refusing to wipe {cfg.uri}: it holds non-RingScope labels {sorted(foreign)}")
    return cfg


@pytest.fixture
def neo4j_lock(neo4j_config):
    """One Neo4j test at a time per server, whatever the number of xdist workers.

    The lock is the server's (its URI and database in the file name): checkouts
    testing against other servers on the same machine do not wait for this one.
    """
    with neo4j_test_lock(neo4j_config):  # the same lock as the explorer's and both-stores tests (tests/stores.py)
        yield


@pytest.fixture
def neo4j_driver(neo4j_config, neo4j_lock):
    driver = connect(neo4j_config)
    clear_graph(driver, neo4j_config.database)
    yield driver
    driver.close()


@pytest.fixture
def store_config(workspace: Path, neo4j_config: Neo4jConfig) -> StoreConfig:
    return StoreConfig(workspace=workspace, kind="neo4j", neo4j=neo4j_config)


@pytest.fixture
def neo4j_store(store_config, neo4j_driver):
    """A Neo4jStore on an empty graph and a fresh workspace catalogue."""
    store = Neo4jStore(store_config)
    yield store
    store.close()
