"""Starting, watching and stopping the local Neo4j server (see :mod:`ringscope.graph.neo4j.home`).

This module is the facade the CLI and ``.ci/install-neo4j.sh`` use: it also
offers the home's and the install's functions (``server.install``, ``server.connection``)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from ringscope.graph.neo4j.home import (
    APOC_VERSION,
    CONNECTION_FILE,
    DEFAULT_HEAP,
    DEFAULT_PAGECACHE,
    DEFAULT_PORT,
    ENTRY_POINT,
    GDS_VERSION,
    JVM_FLAGS,
    NEO4J_VERSION,
    PASSWORD_FILE,
    PID_FILE,
    SERVER_LOG,
    START_TIMEOUT_S,
    STOP_TIMEOUT_S,
    Connection,
    Neo4jServerError,
    ServerStatus,
    _classpath,
    _java,
    _log_tail,
    _server_env,
    configured_port,
    connection,
    default_home,
    is_installed,
)
from ringscope.graph.neo4j.install import admin, install, render_conf  # noqa: F401 (the facade)

# The facade: the CLI and .ci/install-neo4j.sh reach the home's and the install's names as server.X.
__all__ = [
    "APOC_VERSION", "CONNECTION_FILE", "DEFAULT_PAGECACHE", "DEFAULT_PORT", "GDS_VERSION", "NEO4J_VERSION",
    "SERVER_LOG", "START_TIMEOUT_S", "STOP_TIMEOUT_S", "Connection", "Neo4jServerError", "ServerStatus",
    "admin", "configured_port", "connection", "default_home", "install", "is_installed", "ping", "render_conf",
    "start", "status", "stop",
]

# ---------------------------------------------------------------- process


def _read_pid(home: Path) -> int | None:
    path = home / PID_FILE
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_is_neo4j(pid: int) -> bool:
    """Alive and really our JVM (guards against pid reuse after a reboot)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    return ENTRY_POINT.encode() in cmdline and state != "Z"


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ping(conn: Connection, timeout: float = 3.0) -> tuple[bool, str]:
    """Does Bolt answer ``RETURN 1``?  Returns (ok, reason)."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

    try:
        with GraphDatabase.driver(
            conn.uri, auth=(conn.user, conn.password), connection_timeout=timeout,
            max_transaction_retry_time=0, connection_acquisition_timeout=timeout,
        ) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS one")
            return records[0]["one"] == 1, "ok"
    except AuthError as exc:
        return False, f"authentication failed: {exc.message}"
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        return False, f"unreachable: {exc}"
    except Neo4jError as exc:
        # e.g. "database unavailable" while it is still starting
        return False, f"{exc.code}: {exc.message}"


def status(home: str | os.PathLike) -> ServerStatus:
    home = Path(home).resolve()
    installed = is_installed(home)
    pid = _read_pid(home)
    alive = pid is not None and _pid_is_neo4j(pid)
    uri = None
    bolt_ok, detail = False, "not running"
    if installed and (home / CONNECTION_FILE).exists():
        conn = connection(home)
        uri = conn.uri
        if alive:
            bolt_ok, detail = ping(conn)
    elif not installed:
        detail = "not installed"
    return ServerStatus(home, installed, pid if alive else None, alive, bolt_ok, uri, detail)


def _jvm_heap() -> str:
    return os.environ.get("RINGSCOPE_NEO4J_HEAP", DEFAULT_HEAP)


def start(
    home: str | os.PathLike,
    port: int | None = None,
    password: str | None = None,
    wait: bool = True,
    *,
    timeout: float = START_TIMEOUT_S,
    heap: str | None = None,
) -> ServerStatus:
    """Launch the server detached (own session, pid file, log file) and, with
    ``wait``, block until Bolt answers ``RETURN 1``.

    ``port``/``password`` given here must match the install (a different port
    rewrites the conf; the password is only checked).  Starting a running
    server is a no-op.
    """
    home = Path(home).resolve()
    if not is_installed(home):
        raise Neo4jServerError(f"no complete Neo4j install in {home}: run `ringscope neo4j install` first")
    if port is not None and port != configured_port(home):
        install(home, port=port)  # conf-only rewrite: jars are already there
    port = configured_port(home)
    conn = connection(home)
    if password is not None and password != conn.password:
        raise Neo4jServerError(
            f"the given password differs from the one this server was installed with ({home / PASSWORD_FILE})"
        )

    current = status(home)
    if current.process_alive and current.pid is not None:
        if wait and not current.bolt_ok:
            return _wait_for_bolt(home, conn, current.pid, timeout)
        return current
    (home / PID_FILE).unlink(missing_ok=True)
    if _port_in_use(port):
        raise Neo4jServerError(
            f"port {port} on 127.0.0.1 is already in use by another process: stop it or choose "
            f"another port (`ringscope neo4j install --port N`)"
        )

    heap = heap or _jvm_heap()
    cmd = [
        _java(), f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS,
        f"-Dneo4j.home={home}",
        "-cp", _classpath(home), ENTRY_POINT,
        f"--home-dir={home}", f"--config-dir={home / 'conf'}",
    ]
    log_path = home / SERVER_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n=== ringscope neo4j start {time.strftime('%Y-%m-%dT%H:%M:%S')} ===\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd, cwd=home, env=_server_env(home), stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
        )
    (home / PID_FILE).write_text(f"{proc.pid}\n")
    if not wait:
        return status(home)
    return _wait_for_bolt(home, conn, proc.pid, timeout, proc)


def _wait_for_bolt(
    home: Path, conn: Connection, pid: int, timeout: float, proc: subprocess.Popen | None = None
) -> ServerStatus:
    deadline = time.monotonic() + timeout
    reason = "starting"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            (home / PID_FILE).unlink(missing_ok=True)
            raise Neo4jServerError(
                f"Neo4j exited during startup (exit {proc.returncode}); log: {home / SERVER_LOG}\n"
                + _log_tail(home)
            )
        if proc is None and not _pid_is_neo4j(pid):
            raise Neo4jServerError(f"Neo4j exited during startup; log: {home / SERVER_LOG}\n" + _log_tail(home))
        ok, reason = ping(conn, timeout=2.0)
        if ok:
            return status(home)
        if reason.startswith("authentication failed"):
            raise Neo4jServerError(
                f"Neo4j at {conn.uri} rejected the saved password ({home / PASSWORD_FILE}): {reason}"
            )
        time.sleep(0.5)
    raise Neo4jServerError(
        f"Neo4j did not answer on {conn.uri} within {timeout:.0f} s ({reason}); it is left running "
        f"(pid {pid}), stop it with `ringscope neo4j stop`; log: {home / SERVER_LOG}\n" + _log_tail(home)
    )


def stop(home: str | os.PathLike, *, timeout: float = STOP_TIMEOUT_S) -> ServerStatus:
    """Stop gracefully (SIGTERM: Neo4j checkpoints and closes the store), so
    the data stays intact; SIGKILL only after ``timeout`` (recovery then
    replays the transaction log on the next start).  Stopping a stopped
    server is a no-op."""
    home = Path(home).resolve()
    pid = _read_pid(home)
    if pid is None or not _pid_is_neo4j(pid):
        (home / PID_FILE).unlink(missing_ok=True)
        return status(home)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_is_neo4j(pid):
        _reap(pid)
        time.sleep(0.2)
    if _pid_is_neo4j(pid):
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        _reap(pid)
        (home / PID_FILE).unlink(missing_ok=True)
        raise Neo4jServerError(
            f"Neo4j (pid {pid}) did not stop within {timeout:.0f} s and was killed; "
            "the next start recovers from the transaction log"
        )
    (home / PID_FILE).unlink(missing_ok=True)
    return status(home)


def _reap(pid: int) -> None:
    """Collect the exit status if the server is our own child (same process
    as `start`), so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
