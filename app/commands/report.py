"""``ringscope report --week W``: (re)write a recorded week's ring report.

Reads the week's ring history (written by ``ringscope weekly``) and writes
HTML and/or PDF, Chinese and/or English.  Personal data is masked unless
``--unmask`` is given by a configured user with the ``unmask`` right whose
password checks out (as for ``export --unmask``); the unmasking, or its
refusal, is recorded in the audit log.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ringscope.app.commands.weekly import split_list, week_option
from ringscope.app.console import make_console
from ringscope.app.options import (
    ConfigOpt,
    ExplorerUrlOpt,
    ReportFormatOpt,
    ReportLangOpt,
    ReportOutOpt,
    StoreOpt,
    WorkspaceOpt,
    config_from,
)

console = make_console()


def report(
    week: Optional[str] = typer.Option(None, "--week", callback=week_option,
                                       help="ISO week such as 2026-W47 (default: the latest recorded week)."),
    out: Optional[Path] = ReportOutOpt,
    formats: str = ReportFormatOpt,
    langs: str = ReportLangOpt,
    unmask: bool = typer.Option(False, "--unmask", help="Show names, ID numbers and phones in clear (audit-logged)."),
    user: Optional[str] = typer.Option(None, "--user", help="Who asks for an unmasked report: a configured user "
                                       "with the 'unmask' right (password from RINGSCOPE_PASSWORD or the prompt)."),
    explorer_url: Optional[str] = ExplorerUrlOpt,
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Write the weekly ring report (HTML stands alone; PDF embeds the Chinese font)."""
    from ringscope.app.report.api import generate_report

    cfg = config_from(workspace, store, config)
    who = _unmasking_user(cfg, user) if unmask else None
    files = generate_report(cfg, week, out, split_list(formats, ("html", "pdf"), "--format"),
                            split_list(langs, ("zh", "en"), "--lang"), unmask=unmask, user=who,
                            explorer_url=explorer_url)
    for f in files:
        console.print(f"Wrote {f}")


def _unmasking_user(cfg, name: Optional[str]):
    """The authenticated user asking for an unmasked report (rights are checked by ``generate_report``)."""
    from ringscope.app.export.access import users_configured
    from ringscope.app.login import cli_user

    if not users_configured(cfg) or not name:
        return name  # refused and audited by generate_report, with the reason
    return cli_user(cfg, name, via="cli:report")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
