"""A local Neo4j 5.26 server run from Maven Central jars, without Docker.

The Neo4j server tarball is not on Maven Central, but the server's jars are:
``org.neo4j:neo4j`` brings the kernel, Bolt, the server entry point
(``org.neo4j.server.CommunityEntryPoint``) and the admin tool
(``org.neo4j.cli.AdminTool``).  :func:`install` resolves them, plus Graph Data
Science and APOC, with ``mvn`` from the pom shipped beside this module
(``neo4j_dist/pom.xml``) into ``HOME/lib``; GDS and APOC jars also go into
``HOME/plugins``, because jars on the classpath alone register no procedure.

Layout of a home (default ``<workspace>/neo4j``)::

    HOME/lib/                     every jar (classpath)
    HOME/plugins/                 GDS + APOC jars (procedure registration)
    HOME/conf/neo4j.conf          Bolt on 127.0.0.1:PORT only, auth on
    HOME/conf/ringscope-password  the password (0600)
    HOME/conf/ringscope-connection.json  {"uri", "user", "password"} (0600)
    HOME/data/ HOME/logs/ HOME/import/ HOME/run/neo4j.pid
    HOME/logs/ringscope-server.out  the JVM's stdout/stderr
    HOME/.ringscope-install.json  written last; present = install complete

Every function takes the home explicitly and keeps no global state; the CLI
(``ringscope neo4j ...``) and ``.ci/install-neo4j.sh`` are thin wrappers.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NEO4J_VERSION = "5.26.19"
GDS_VERSION = "2.13.9"
APOC_VERSION = "5.26.19"
DEFAULT_PORT = 7687
DEFAULT_USER = "neo4j"
DEFAULT_HEAP = "1g"
DEFAULT_PAGECACHE = "256m"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 60.0
MIN_PASSWORD_LENGTH = 8  # Neo4j's dbms.security.auth_minimum_password_length

POM_PATH = Path(__file__).with_name("neo4j_dist") / "pom.xml"
PLUGIN_GROUP_IDS = "org.neo4j.gds,org.neo4j.procedure"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"

INSTALL_MARKER = ".ringscope-install.json"
PASSWORD_FILE = "conf/ringscope-password"
CONNECTION_FILE = "conf/ringscope-connection.json"
PID_FILE = "run/neo4j.pid"
SERVER_LOG = "logs/ringscope-server.out"

JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dfile.encoding=UTF-8",
)


class Neo4jServerError(Exception):
    """A local-server operation failed; the message is one actionable line
    (plus, for a failed start, the tail of the server log)."""


@dataclass(frozen=True)
class Connection:
    """How to reach a Neo4j server over Bolt."""

    uri: str
    user: str
    password: str

    def as_json(self) -> str:
        return json.dumps({"uri": self.uri, "user": self.user, "password": self.password})


@dataclass(frozen=True)
class ServerStatus:
    """The truth about a local server: ``running`` only if the recorded pid is
    a live Neo4j JVM *and* Bolt answers ``RETURN 1``."""

    home: Path
    installed: bool
    pid: int | None
    process_alive: bool
    bolt_ok: bool
    uri: str | None
    detail: str = ""

    @property
    def running(self) -> bool:
        return self.process_alive and self.bolt_ok


@dataclass(frozen=True)
class InstallResult:
    home: Path
    already_installed: bool
    jar_count: int
    plugin_count: int
    seconds: float
    connection: Connection


# ---------------------------------------------------------------- helpers


def default_home(workspace: str | os.PathLike) -> Path:
    return Path(workspace) / "neo4j"


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise Neo4jServerError("java not found: install a Java 17 runtime (or set JAVA_HOME)")
    return found


def _pom_digest() -> str:
    return hashlib.sha256(POM_PATH.read_bytes()).hexdigest()[:16]


def _server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NEO4J_HOME"] = str(home)
    env["NEO4J_CONF"] = str(home / "conf")
    return env


def _classpath(home: Path) -> str:
    return str(home / "lib" / "*")


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (created 0600, never wider)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def _log_tail(home: Path, lines: int = 25) -> str:
    chunks = []
    for rel in (SERVER_LOG, "logs/neo4j.log", "logs/debug.log"):
        path = home / rel
        if path.exists():
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            chunks.append(f"--- {path} (last {lines} lines)\n" + "\n".join(text[-lines:]))
            break
    return "\n".join(chunks)


def is_installed(home: str | os.PathLike) -> bool:
    home = Path(home)
    marker = home / INSTALL_MARKER
    if not marker.exists():
        return False
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return (
        info.get("pom") == _pom_digest()
        and any((home / "lib").glob("neo4j-kernel-*.jar"))
        and any((home / "plugins").glob("proc-*.jar"))
        and any((home / "plugins").glob("apoc-core-*.jar"))
        and (home / "conf" / "neo4j.conf").exists()
    )


def configured_port(home: str | os.PathLike) -> int:
    conf = Path(home) / "conf" / "neo4j.conf"
    if conf.exists():
        match = re.search(r"^server\.bolt\.listen_address=.*:(\d+)\s*$", conf.read_text(encoding="utf-8"), re.M)
        if match:
            return int(match.group(1))
    return DEFAULT_PORT


def connection(home: str | os.PathLike) -> Connection:
    """The Bolt URI and credentials of the local server in ``home``."""
    path = Path(home) / CONNECTION_FILE
    if not path.exists():
        raise Neo4jServerError(f"no local Neo4j in {home}: run `ringscope neo4j install` first")
    info = json.loads(path.read_text(encoding="utf-8"))
    return Connection(info["uri"], info["user"], info["password"])


def _resolve_password(home: Path, password: str | None) -> str:
    """Password precedence: explicit argument, the saved one (the server
    already has it), env ``NEO4J_PASSWORD``, else a generated one."""
    saved = home / PASSWORD_FILE
    if password is None and saved.exists():
        return saved.read_text(encoding="utf-8").strip()
    password = password or os.environ.get("NEO4J_PASSWORD") or secrets.token_hex(16)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Neo4jServerError(f"the Neo4j password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def render_conf(port: int, pagecache: str = DEFAULT_PAGECACHE) -> str:
    """neo4j.conf for a private, single-user server: Bolt on loopback only,
    no HTTP(S), auth on, GDS and APOC unrestricted, directories relative to
    NEO4J_HOME (so a home can be moved)."""
    return f"""# Written by `ringscope neo4j install` (graph/neo4j_server.py); edits are
# overwritten on the next install. Neo4j {NEO4J_VERSION}, GDS {GDS_VERSION}, APOC {APOC_VERSION}.
server.default_listen_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:{port}
server.bolt.advertised_address=127.0.0.1:{port}
server.bolt.tls_level=DISABLED
server.http.enabled=false
server.https.enabled=false
dbms.security.auth_enabled=true
server.directories.data=data
server.directories.logs=logs
server.directories.plugins=plugins
server.directories.import=import
server.directories.run=run
server.directories.lib=lib
dbms.security.procedures.unrestricted=gds.*,apoc.*
server.memory.pagecache.size={pagecache}
dbms.usage_report.enabled=false
db.tx_log.rotation.retention_policy=2 files
db.tx_log.rotation.size=256M
# Databases are checkpointed and closed before Bolt shuts down; Bolt's two
# default 5 s waits only delay `ringscope neo4j stop`.
internal.server.bolt.thread_pool_shutdown_wait_time=1s
internal.server.bolt.connection_shutdown_wait_time=1s
"""


# ---------------------------------------------------------------- install


def _copy_dependencies(out_dir: Path, *, include_groups: str | None, mvn: str, log: Path) -> None:
    cmd = [
        mvn, "-B", "-q", "-f", str(POM_PATH), "dependency:copy-dependencies",
        f"-DoutputDirectory={out_dir}", "-Dmdep.overWriteReleases=false",
    ]
    if include_groups:
        cmd.append(f"-DincludeGroupIds={include_groups}")
    with open(log, "ab") as fh:
        fh.write(("$ " + " ".join(cmd) + "\n").encode())
        fh.flush()
        result = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=POM_PATH.parent)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        raise Neo4jServerError(f"mvn could not resolve the Neo4j jars (see {log}):\n{tail}")


def install(
    home: str | os.PathLike,
    *,
    port: int = DEFAULT_PORT,
    password: str | None = None,
    pagecache: str = DEFAULT_PAGECACHE,
    mvn: str = "mvn",
) -> InstallResult:
    """Resolve the jars, write the configuration and set the initial password.

    A no-op (apart from rewriting the conf when ``port`` changed) when a
    complete install is already there: completeness is the marker file,
    written last, and the pom digest it records.
    """
    t0 = time.monotonic()
    home = Path(home).resolve()
    for sub in ("lib", "plugins", "conf", "data", "logs", "import", "run"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    already = is_installed(home)
    if not already:
        if not shutil.which(mvn):
            raise Neo4jServerError(f"{mvn} not found: install Maven 3.8+ (it resolves the Neo4j jars)")
        _java()
        log = home / "logs" / "install.log"
        # Resolve into fresh folders, then swap in: an interrupted install never
        # leaves a half-filled lib/ that looks complete.
        for target, groups in (("lib", None), ("plugins", PLUGIN_GROUP_IDS)):
            staging = home / f".{target}.partial"
            shutil.rmtree(staging, ignore_errors=True)
            _copy_dependencies(staging, include_groups=groups, mvn=mvn, log=log)
            shutil.rmtree(home / target, ignore_errors=True)
            staging.rename(home / target)
    (home / "conf" / "neo4j.conf").write_text(render_conf(port, pagecache), encoding="utf-8")

    secret = _resolve_password(home, password)
    if not (home / "data" / "dbms" / "auth.ini").exists() and not _has_system_db(home):
        # "--" ends the options: a password may start with "-".
        _admin(home, ["dbms", "set-initial-password", "--", secret])
    _write_private(home / PASSWORD_FILE, secret + "\n")
    conn = Connection(f"bolt://127.0.0.1:{port}", DEFAULT_USER, secret)
    _write_private(home / CONNECTION_FILE, conn.as_json() + "\n")

    if not already:
        (home / INSTALL_MARKER).write_text(
            json.dumps({"neo4j": NEO4J_VERSION, "gds": GDS_VERSION, "apoc": APOC_VERSION,
                        "pom": _pom_digest()}) + "\n",
            encoding="utf-8",
        )
    return InstallResult(
        home=home,
        already_installed=already,
        jar_count=len(list((home / "lib").glob("*.jar"))),
        plugin_count=len(list((home / "plugins").glob("*.jar"))),
        seconds=time.monotonic() - t0,
        connection=conn,
    )


def _has_system_db(home: Path) -> bool:
    return (home / "data" / "databases" / "system").exists()


def _admin(home: Path, args: list[str], *, timeout: float = 600.0) -> str:
    """Run ``neo4j-admin`` (AdminTool from the same jars); returns its output."""
    cmd = [_java(), "-Xmx1g", *JVM_FLAGS, "-cp", _classpath(home), ADMIN_TOOL, *args]
    result = subprocess.run(
        cmd, env=_server_env(home), cwd=home, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        shown = args[:2] if args[:2] == ["dbms", "set-initial-password"] else args  # never the password
        out = (result.stdout + result.stderr).strip().splitlines()
        raise Neo4jServerError(
            f"neo4j-admin {' '.join(shown)} failed (exit {result.returncode}): " + " | ".join(out[-8:])
        )
    return result.stdout + result.stderr


def admin(home: str | os.PathLike, args: list[str], *, timeout: float = 3600.0) -> str:
    """Public wrapper of neo4j-admin, used by the bulk import."""
    return _admin(Path(home).resolve(), args, timeout=timeout)


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
