"""``ringscope points``: credit points proposed from confirmed rings, confirmed by a supervisor.

list      each person's entries per natural year: rule, responsibility, points, status, running total and
          the consequence it would trigger (proposals are brought up to date with the confirmed rings first)
confirm   a supervisor confirms a proposed entry (needs the 'confirm_points' right; audited)
reject    a supervisor rejects one (same right; audited)
registry  the confirmed entries as a CSV for the bureau's registry (audited as an export)
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ringscope.app.console import make_console
from ringscope.app.login import cli_user
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from
from ringscope.graph.factory import open_store

points_app = typer.Typer(name="points", help="Credit points (医保支付资格记分) proposed from confirmed rings.",
                         no_args_is_help=True)
console = make_console()
UserOpt = typer.Option(None, "--user", "-u", help="Who acts (audit log; password from RINGSCOPE_PASSWORD or prompt).")
CONSEQUENCE = {"none": "-", "suspend": "suspend (暂停)", "terminate": "terminate (终止)"}


def _settings(cfg):
    from ringscope.app.points.settings import PointSettings

    return PointSettings.from_config(cfg.app, cfg.workspace)


@points_app.command("list")
def list_points(
    year: Optional[int] = typer.Option(None, "--year", help="Only this natural year."),
    user: Optional[str] = typer.Option(None, "--user", "-u", help="Who refreshes the proposals (audit log)."),
    workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt, config: Optional[Path] = ConfigOpt,
) -> None:
    """Each person's proposed and confirmed entries with running totals per natural year."""
    from ringscope.app.export.access import local_user
    from ringscope.app.points.service import ledger, refresh

    cfg = config_from(workspace, store, config)
    settings = _settings(cfg)
    who = user or local_user(None).name
    with open_store(cfg.store) as st:
        con = st.relational()
        counts = refresh(con, cfg.workspace, cfg.app, settings, who)
        lines = ledger(con, settings, year)
    table = Table(title=f"Credit points ({settings.province} table; {counts['new']} new proposals, "
                        f"{counts['withdrawn']} withdrawn)", title_justify="left")
    for col in ("entry", "person", "year", "ring", "rule", "responsibility", "points", "status", "running total",
                "would trigger", "confirmed total", "evidence rows"):
        table.add_column(col, justify="right" if col in ("points", "running total", "confirmed total", "year") else "left",
                         no_wrap=col in ("entry", "person", "ring", "rule"))  # ids are never cut
    for item in lines:
        p = item.proposal
        table.add_row(p.entry_id, f"{p.person_type} {p.person_id}", str(p.year), p.ring_id, p.rule, p.responsibility,
                      str(p.points), item.status, str(item.running_total), CONSEQUENCE[item.consequence],
                      f"{item.confirmed_total} {CONSEQUENCE[item.confirmed_consequence]}", str(len(p.evidence)))
    console.print(table if lines else "No credit-point entries: none of the confirmed rings involves a prescriber, "
                                      "pharmacist or operator (or no ring is confirmed yet).")


def _decide(entry: str, decision: str, user, note: str, workspace, store, config) -> None:
    from ringscope.app.points.service import decide

    cfg = config_from(workspace, store, config)
    who = cli_user(cfg, user, via="cli:points")
    with open_store(cfg.store) as st:
        e = decide(st.relational(), cfg.workspace, entry, decision, who, note)
    p = e.proposal
    console.print(f"{p.entry_id} {e.status} by {e.decided_by}: {p.person_type} {p.person_id}, {p.points} points "
                  f"in {p.year} ({p.rule}, {p.responsibility}).", highlight=False, markup=False)


NoteOpt = typer.Option("", "--note", help="Why (kept with the decision).")


@points_app.command("confirm")
def confirm(entry: str = typer.Argument(..., help="The entry, e.g. PE-1a2b3c4d5e6f."), user: Optional[str] = UserOpt,
            note: str = NoteOpt, workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
            config: Optional[Path] = ConfigOpt) -> None:
    """Confirm a proposed entry (needs the 'confirm_points' right)."""
    _decide(entry, "confirmed", user, note, workspace, store, config)


@points_app.command("reject")
def reject(entry: str = typer.Argument(...), user: Optional[str] = UserOpt, note: str = NoteOpt,
           workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
           config: Optional[Path] = ConfigOpt) -> None:
    """Reject a proposed entry (needs the 'confirm_points' right)."""
    _decide(entry, "rejected", user, note, workspace, store, config)


@points_app.command("registry")
def registry(out: Path = typer.Option(..., "--out", "-o", help="The CSV to write."),
             year: Optional[int] = typer.Option(None, "--year", help="Only this natural year."),
             user: Optional[str] = UserOpt, workspace: Optional[Path] = WorkspaceOpt,
             store: Optional[str] = StoreOpt, config: Optional[Path] = ConfigOpt) -> None:
    """Write the confirmed entries as a CSV for the medical-insurance bureau's registry."""
    from ringscope.app.points.service import write_registry

    cfg = config_from(workspace, store, config)
    who = cli_user(cfg, user, via="cli:points")
    with open_store(cfg.store, read_only=True) as st:
        n = write_registry(st.relational(), cfg.workspace, _settings(cfg), out, who.name, year)
    console.print(f"Wrote {n} confirmed entr{'y' if n == 1 else 'ies'} to {out}.", highlight=False, markup=False)
