"""Installing the local Neo4j server: jars from Maven Central, neo4j.conf, the initial password.

See :mod:`ringscope.graph.neo4j.home` for the layout of a home."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from ringscope.graph.neo4j.home import (
    ADMIN_TOOL,
    APOC_VERSION,
    CONNECTION_FILE,
    DEFAULT_PAGECACHE,
    DEFAULT_PORT,
    DEFAULT_USER,
    GDS_VERSION,
    INSTALL_MARKER,
    JVM_FLAGS,
    NEO4J_VERSION,
    PASSWORD_FILE,
    PLUGIN_GROUP_IDS,
    POM_PATH,
    Connection,
    InstallResult,
    Neo4jServerError,
    _classpath,
    _java,
    _pom_digest,
    _resolve_password,
    _server_env,
    _write_private,
    is_installed,
)


def render_conf(port: int, pagecache: str = DEFAULT_PAGECACHE) -> str:
    """neo4j.conf for a private, single-user server: Bolt on loopback only,
    no HTTP(S), auth on, GDS and APOC unrestricted, directories relative to
    NEO4J_HOME (so a home can be moved)."""
    return f"""# Written by `ringscope neo4j install` (graph/neo4j/install.py); edits are
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
