"""``ringscope explore``: start the investigator's explorer (Streamlit) on this workspace."""
from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer

from ringscope.app.auth import hash_password
from ringscope.app.errors import UserError
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from

MIN_PASSWORD_LEN = 8
APP_FILE = Path(__file__).resolve().parent.parent / "explorer" / "app.py"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line for the explorer (headless, no usage statistics)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP_FILE), "--server.headless", "true",
            "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer"]  # no English "Deploy" button on investigators' Chinese pages


def explorer_env(cfg, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that tells the Streamlit process which workspace, store and config to use."""
    env = dict(os.environ if base is None else base)
    env["RINGSCOPE_WORKSPACE"] = str(Path(cfg.workspace).resolve())
    env["RINGSCOPE_STORE"] = cfg.store.kind
    if cfg.source:
        env["RINGSCOPE_CONFIG"] = str(Path(cfg.source).resolve())
    return env


def explore(
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
    port: int = typer.Option(8501, "--port", envvar="STREAMLIT_SERVER_PORT", show_envvar=True,
                             help="Port to serve on."),
    address: str = typer.Option("127.0.0.1", "--address", help="Address to listen on (default: this machine only)."),
) -> None:
    """Open the explorer: overview, ring queue, ring detail, search and link analysis."""
    cfg = config_from(workspace, store, config)
    typer.echo(f"RingScope explorer on http://{address}:{port}  (workspace {cfg.workspace}, store {cfg.store.kind})")
    raise typer.Exit(subprocess.call(streamlit_command(port, address), env=explorer_env(cfg)))


def hash_password_cmd() -> None:
    """Print a salted scrypt hash for a user's password_hash; the password is read from the prompt or stdin.

    Never from the command line, where other local users see it (``ps``, shell history):
    ``ringscope hash-password`` asks twice on a terminal, or reads one line from a pipe.
    """
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise UserError("the two passwords differ; nothing printed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LEN:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LEN} characters")
    typer.echo(hash_password(password))


def register(app: typer.Typer) -> None:
    app.command("explore")(explore)
    app.command("hash-password")(hash_password_cmd)
