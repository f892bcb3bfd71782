"""A load killed halfway resumes to exactly the right graph.

The projection runs in a child process with tiny batches; it is killed
(SIGKILL, no cleanup) once some batches are committed, or the server itself
is killed; the rerun must skip the committed batches and end with exactly
the embedded store's counts: nothing missing, nothing twice.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.graph.neo4j import server as neo4j_server
from ringscope.graph.neo4j.loader import project_catalogue
from ringscope.graph.neo4j.store import connect
from ringscope.ingest.mapping import HeaderMapping
from tests.neo4j.conftest import local_home
from tests.neo4j.neo4j_drops import sized_drop

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

CHILD = """
import sys, duckdb
from ringscope.graph.config import Neo4jConfig
from ringscope.graph.neo4j.loader import project_catalogue
from ringscope.graph.neo4j.store import connect
uri, user, password, database, catalogue = sys.argv[1:6]
con = duckdb.connect(catalogue, read_only=True)
driver = connect(Neo4jConfig(uri=uri, user=user, password=password, database=database))
project_catalogue(con, driver, database=database, node_batch=25, rel_batch=25)
"""


def _catalogue(workspace: Path, tmp_path: Path, settlements: int) -> dict[str, int]:
    duck = DuckDBStore(StoreConfig(workspace=workspace))
    try:
        duck.ingest_drop(sized_drop(tmp_path / "drop", settlements), HeaderMapping())
        return duck.counts()
    finally:
        duck.close()


def _graph_counts(driver, expected: dict[str, int]) -> dict[str, int]:
    out = {}
    for key in expected:
        stmt = (f"MATCH ()-[r:{key[1:]}]->() RETURN count(r) AS n" if key.startswith(":")
                else f"MATCH (n:{key}) RETURN count(n) AS n")
        out[key] = driver.execute_query(stmt).records[0]["n"]
    return out


def _ledger(driver) -> int:
    return driver.execute_query("MATCH (b:_RingScopeBatch) RETURN count(b) AS n").records[0]["n"]


def _start_child(cfg, catalogue: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, cfg.uri, cfg.user, cfg.password, cfg.database, str(catalogue)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wait_for_batches(driver, child: subprocess.Popen[bytes], at_least: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _ledger(driver) < at_least:
        if child.poll() is not None:
            assert child.stderr is not None  # stderr=PIPE
            pytest.fail(f"the load ended before it could be killed: {child.stderr.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, "no batches committed in time"
        time.sleep(0.05)


def _wait_until_gone(pid: int, uri: str, timeout: float = 60) -> None:
    """A SIGKILLed JVM takes a moment to release its memory and its port;
    starting again before that finds the port taken."""
    host, port = uri.rsplit("/", 1)[-1].rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            state = "gone"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            listening = sock.connect_ex((host, int(port))) == 0
        if state in ("gone", "Z") and not listening:
            return
        time.sleep(0.1)
    pytest.fail(f"the killed server (pid {pid}) still holds {uri} after {timeout:.0f} s")


def test_killed_loader_process_resumes_exactly(neo4j_driver, neo4j_config, workspace, tmp_path):
    expected = _catalogue(workspace, tmp_path, 400)
    catalogue = StoreConfig(workspace=workspace).catalogue_path
    child = _start_child(neo4j_config, catalogue)
    _wait_for_batches(neo4j_driver, child, at_least=60)  # past the nodes, into the relationships
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = _graph_counts(neo4j_driver, expected)
    assert partial != expected, "the load finished before the kill; make the drop bigger"

    import duckdb
    con = duckdb.connect(str(catalogue), read_only=True)
    try:
        report = project_catalogue(con, neo4j_driver, database=neo4j_config.database, node_batch=25, rel_batch=25)
    finally:
        con.close()
    assert report.mode == "create" and report.batches_skipped >= 60
    assert _graph_counts(neo4j_driver, expected) == expected
    assert _ledger(neo4j_driver) == 0


def test_killed_server_resumes_exactly(neo4j_driver, neo4j_config, workspace, tmp_path):
    home = local_home()
    st = neo4j_server.status(home)
    if not st.running or st.pid is None or neo4j_server.connection(home).uri != neo4j_config.uri:
        pytest.skip("needs the local server (`ringscope neo4j start`), which this test kills")
    expected = _catalogue(workspace, tmp_path, 300)
    catalogue = StoreConfig(workspace=workspace).catalogue_path
    child = _start_child(neo4j_config, catalogue)
    _wait_for_batches(neo4j_driver, child, at_least=40)
    os.kill(st.pid, signal.SIGKILL)  # the server dies mid-transaction
    # the loader's driver would retry against the dead server for a minute
    # or more before giving up; what it had in flight died with the server,
    # so end it now (waiting was 70 s of this test and, under load, its flake)
    child.send_signal(signal.SIGKILL)
    child.wait()
    _wait_until_gone(st.pid, neo4j_config.uri)
    neo4j_server.stop(home)  # clears the stale pid file
    neo4j_server.start(home)  # recovery replays the transaction log

    driver = connect(neo4j_config)
    import duckdb
    con = duckdb.connect(str(catalogue), read_only=True)
    try:
        report = project_catalogue(con, driver, database=neo4j_config.database, node_batch=25, rel_batch=25)
        assert report.batches_skipped >= 40
        assert _graph_counts(driver, expected) == expected
    finally:
        con.close()
        driver.close()
