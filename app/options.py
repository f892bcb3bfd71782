"""Options shared by every command, and turning them into a configuration."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ringscope.app.config import RingScopeConfig, load_config

WorkspaceOpt = typer.Option(None, "--workspace", "-w", help="Workspace folder (env RINGSCOPE_WORKSPACE; default ./ringscope-workspace).")
StoreOpt = typer.Option(None, "--store", metavar="[duckdb|neo4j]",
                        help="duckdb (embedded default) or neo4j (env RINGSCOPE_STORE).")
ConfigOpt = typer.Option(None, "--config", help="TOML configuration file (env RINGSCOPE_CONFIG).")
ReportOutOpt = typer.Option(None, "--out", help="Report folder (default WORKSPACE/reports/WEEK).")
# Comma-separated choices: the metavar lists them (help shows the choices, not the Python type).
ReportFormatOpt = typer.Option("html,pdf", "--format", metavar="[html|pdf|html,pdf]",
                               help="html, pdf or both (comma-separated).")
ReportLangOpt = typer.Option("zh,en", "--lang", metavar="[zh|en|zh,en]", help="zh, en or both (comma-separated).")
ExplorerUrlOpt = typer.Option(None, "--explorer-url", help="Base URL of the explorer for ring links.")


def config_from(workspace: Optional[Path], store: Optional[str], config: Optional[Path]) -> RingScopeConfig:
    return load_config(workspace=workspace, store=store, config_file=config)
