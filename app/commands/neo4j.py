"""`ringscope neo4j install|start|stop|status`: the local Neo4j server.

Thin wrapper over :mod:`ringscope.graph.neo4j.server`: every failure is one
line on stderr and a non-zero exit code (1 = operation failed, 2 = not
installed / not running where that matters), never a traceback.
"""
from __future__ import annotations

import os
from pathlib import Path

import typer

from ringscope.app.console import make_console
from ringscope.graph.neo4j import server

neo4j_app = typer.Typer(
    name="neo4j",
    help="Install, start, stop and inspect a local Neo4j 5.26 server (with GDS and APOC), no Docker needed.",
    no_args_is_help=True,
)

out = make_console()
err = make_console(stderr=True)

WorkspaceOption = typer.Option(
    Path("ringscope-workspace"), "--workspace", "-w", envvar="RINGSCOPE_WORKSPACE",
    help="RingScope workspace folder; the server lives in WORKSPACE/neo4j.",
)
HomeOption = typer.Option(None, "--home", help="Neo4j home folder (default: WORKSPACE/neo4j).")


def _home(workspace: Path, home: Path | None) -> Path:
    return (home or server.default_home(workspace)).resolve()


def _fail(message: str, code: int = 1) -> None:
    first, _, rest = message.partition("\n")
    err.print(f"[bold red]error:[/] {first}", highlight=False, soft_wrap=True)
    if rest and os.environ.get("RINGSCOPE_VERBOSE"):
        err.print(rest, highlight=False, markup=False)
    elif rest:
        err.print("(set RINGSCOPE_VERBOSE=1 to see the server log tail)", style="dim")
    raise typer.Exit(code)


@neo4j_app.command()
def install(
    workspace: Path = WorkspaceOption,
    home: Path | None = HomeOption,
    port: int = typer.Option(server.DEFAULT_PORT, "--port", "-p", help="Bolt port on 127.0.0.1."),
    pagecache: str = typer.Option(server.DEFAULT_PAGECACHE, help="Page cache size, e.g. 256m, 2g."),
) -> None:
    """Resolve Neo4j, GDS and APOC jars with Maven and configure the server (idempotent).

    The password comes from NEO4J_PASSWORD, else one is generated and saved
    in HOME/conf/ringscope-password (mode 0600).
    """
    target = _home(workspace, home)
    try:
        with out.status(f"Resolving Neo4j {server.NEO4J_VERSION} jars into {target} ..."):
            result = server.install(target, port=port, pagecache=pagecache)
    except server.Neo4jServerError as exc:
        _fail(str(exc))
    verb = "already installed" if result.already_installed else "installed"
    out.print(
        f"[green]Neo4j {server.NEO4J_VERSION}[/] (GDS {server.GDS_VERSION}, APOC {server.APOC_VERSION}) "
        f"{verb} in {target}: {result.jar_count} jars, {result.plugin_count} plugin jars, "
        f"{result.seconds:.1f} s. Bolt: {result.connection.uri}; credentials in "
        f"{target / server.CONNECTION_FILE}",
        highlight=False,
    )


@neo4j_app.command()
def start(
    workspace: Path = WorkspaceOption,
    home: Path | None = HomeOption,
    port: int | None = typer.Option(None, "--port", "-p", help="Bolt port (default: the installed one)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until Bolt answers RETURN 1."),
    timeout: float = typer.Option(server.START_TIMEOUT_S, help="Seconds to wait for Bolt."),
    heap: str = typer.Option(None, help="JVM heap, e.g. 1g (default: RINGSCOPE_NEO4J_HEAP or 1g)."),
) -> None:
    """Start the server in the background (pid file, log in HOME/logs)."""
    import time

    target = _home(workspace, home)
    t0 = time.monotonic()
    try:
        st = server.start(target, port=port, wait=wait, timeout=timeout, heap=heap)
    except server.Neo4jServerError as exc:
        _fail(str(exc))
    state = "running" if st.running else "starting"
    out.print(
        f"[green]Neo4j {state}[/] (pid {st.pid}) on {st.uri} after {time.monotonic() - t0:.1f} s; "
        f"log {target / server.SERVER_LOG}",
        highlight=False,
    )


@neo4j_app.command()
def stop(
    workspace: Path = WorkspaceOption,
    home: Path | None = HomeOption,
    timeout: float = typer.Option(server.STOP_TIMEOUT_S, help="Seconds before the server is killed."),
) -> None:
    """Stop the server gracefully (checkpoint, data intact)."""
    target = _home(workspace, home)
    was = server.status(target)
    try:
        server.stop(target, timeout=timeout)
    except server.Neo4jServerError as exc:
        _fail(str(exc))
    out.print("[green]Neo4j stopped[/]" if was.process_alive else "Neo4j was not running", highlight=False)


@neo4j_app.command()
def status(
    workspace: Path = WorkspaceOption,
    home: Path | None = HomeOption,
) -> None:
    """Show whether the server is installed, its process alive and Bolt answering.

    Exit code 0 when running, 3 when not.
    """
    target = _home(workspace, home)
    st = server.status(target)
    if st.running:
        out.print(f"[green]running[/] pid {st.pid}, {st.uri} answers; home {target}", highlight=False)
        return
    if not st.installed:
        out.print(f"[yellow]not installed[/] in {target} (run `ringscope neo4j install`)", highlight=False)
    elif st.process_alive:
        out.print(f"[yellow]process alive[/] (pid {st.pid}) but Bolt does not answer: {st.detail}", highlight=False)
    else:
        out.print(f"[yellow]stopped[/] (installed in {target}; `ringscope neo4j start`)", highlight=False)
    raise typer.Exit(3)


@neo4j_app.command()
def uri(
    workspace: Path = WorkspaceOption,
    home: Path | None = HomeOption,
) -> None:
    """Print the Bolt URI (never the password) of the local server."""
    target = _home(workspace, home)
    try:
        out.print(server.connection(target).uri, highlight=False)
    except server.Neo4jServerError as exc:
        _fail(str(exc), code=2)


@neo4j_app.command("bulk-import")
def bulk_import_cmd(
    workspace: Path = WorkspaceOption,
    home: Path | None = HomeOption,
    yes: bool = typer.Option(False, "--yes", help="Confirm: the Neo4j database is overwritten."),
) -> None:
    """First load of a big catalogue: offline `neo4j-admin database import full`.

    Stops the local server, replaces its database with the workspace
    catalogue's graph, starts it again and creates the constraints. Later
    drops go through `ringscope ingest --store neo4j` as usual.
    """
    import shutil
    import time

    import duckdb

    from ringscope.graph.config import CATALOGUE_FILE, Neo4jConfig
    from ringscope.graph.neo4j.bulk_import import bulk_import, finish_bulk_import
    from ringscope.graph.neo4j.store import connect
    from ringscope.graph.store import StoreUnavailable

    target = _home(workspace, home)
    catalogue = workspace / CATALOGUE_FILE
    if not yes:
        _fail("bulk-import overwrites the Neo4j database: rerun with --yes", code=2)
    if not catalogue.exists():
        _fail(f"no workspace data at {catalogue}: run `ringscope ingest DROP_DIR` first", code=2)
    work_dir = workspace / "scratch" / "neo4j-import"
    t0 = time.monotonic()
    try:
        con = duckdb.connect(str(catalogue), read_only=True)
    except duckdb.IOException as exc:
        _fail(f"cannot open {catalogue}: {str(exc).splitlines()[0]}")
    try:
        with out.status("Stopping Neo4j ..."):
            server.stop(target)
        with out.status("Exporting the catalogue and importing it into Neo4j ..."):
            report = bulk_import(con, target, work_dir)
        with out.status("Starting Neo4j and creating constraints ..."):
            server.start(target)
            conn = server.connection(target)
            driver = connect(Neo4jConfig(uri=conn.uri, user=conn.user, password=conn.password))
            with driver:
                finish_bulk_import(con, driver)
    except (server.Neo4jServerError, StoreUnavailable, RuntimeError) as exc:
        _fail(str(exc))
    finally:
        con.close()
        shutil.rmtree(work_dir, ignore_errors=True)
    out.print(
        f"[green]Imported[/] {sum(report.nodes.values()):,} nodes and {sum(report.relationships.values()):,} "
        f"relationships in {time.monotonic() - t0:.1f} s (export {report.export_seconds:.1f} s, "
        f"import {report.import_seconds:.1f} s)",
        highlight=False,
    )
