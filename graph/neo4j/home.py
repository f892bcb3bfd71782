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
