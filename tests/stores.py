"""Open either store for a test: the embedded one, or the real Neo4j server.

The Neo4j server is the one `.ci/install-neo4j.sh` (or `ringscope neo4j
start`) runs: its connection comes from NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD
or from the local server's connection file in RINGSCOPE_WORKSPACE.  Under
CI a missing server is a failure, never a silent skip.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from ringscope.graph.config import Neo4jConfig, StoreConfig

REPO = Path(__file__).resolve().parents[1]


def neo4j_config() -> Neo4jConfig | None:
    if os.environ.get("NEO4J_PASSWORD"):
        return Neo4jConfig(
            uri=os.environ.get("NEO4J_URI", Neo4jConfig.uri),
            user=os.environ.get("NEO4J_USER", Neo4jConfig.user),
            password=os.environ["NEO4J_PASSWORD"],
        )
    ws = Path(os.environ.get("RINGSCOPE_WORKSPACE", REPO / "ringscope-workspace"))
    conn = ws / "neo4j" / "conf" / "ringscope-connection.json"
    if conn.exists():
        info = json.loads(conn.read_text(encoding="utf-8"))
        return Neo4jConfig(uri=info["uri"], user=info["user"], password=info["password"])
    return None


def require_neo4j() -> Neo4jConfig:
    cfg = neo4j_config()
    if cfg is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Neo4j tests: no server connection found (run .ci/install-neo4j.sh)")
        pytest.skip("no Neo4j server configured (run `ringscope neo4j install && ringscope neo4j start`)")
    return cfg


def wipe_neo4j(cfg: Neo4jConfig) -> None:
    """Empty the single Community database between tests (tests run serially on it)."""
    from ringscope.graph.neo4j.store import connect

    with connect(cfg) as driver:
        with driver.session(database=cfg.database) as session:  # implicit transaction, as batching needs
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def lock_path(cfg: Neo4jConfig | None) -> Path:
    """The server's test lock (its URI and database in the name): runs against other servers do not wait."""
    server = "none" if cfg is None else re.sub(r"[^A-Za-z0-9]+", "-", f"{cfg.uri}-{cfg.database}").strip("-")
    return Path(tempfile.gettempdir()) / f"ringscope-neo4j-tests-{server}.lock"


@contextmanager
def neo4j_test_lock(cfg: Neo4jConfig | None = None):
    """One Neo4j test at a time per server across processes (xdist workers, other runs): one database."""
    with open(lock_path(cfg or neo4j_config()), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_store(kind: str, workspace: Path):
    if kind == "duckdb":
        from ringscope.graph.duckdb_store import DuckDBStore

        return DuckDBStore(StoreConfig(workspace=workspace))
    cfg = require_neo4j()
    wipe_neo4j(cfg)
    from ringscope.graph.neo4j.store import Neo4jStore

    return Neo4jStore(StoreConfig(workspace=workspace, kind="neo4j", neo4j=cfg))
