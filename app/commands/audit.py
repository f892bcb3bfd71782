"""``ringscope audit verify``: is the audit log whole, and does it match the heads kept elsewhere?

Walks the hash chain (``app.audit_chain``), compares the log's end with
``audit/audit.head`` and with every head anchored in the store, then anchors
the current head in the store, so that a later rewrite of the text files is
caught by the next check.  Exit 0 when intact, 1 naming each broken line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ringscope.app import audit as audit_log
from ringscope.app.audit_chain import anchor, check_anchor, check_chain, stored_anchors
from ringscope.app.console import make_console
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from
from ringscope.graph.factory import open_store

audit_app = typer.Typer(name="audit", help="Check the audit log (hash chain, heads kept in the store).",
                        no_args_is_help=True)
console = make_console()
err = make_console(stderr=True)


@audit_app.command("verify")
def verify(
    anchor_head: bool = typer.Option(True, "--anchor/--no-anchor",
                                     help="Keep the verified head in the store (default) or only check."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Check every record follows from the one before and the heads kept in the store; exit 1 if not."""
    cfg = config_from(workspace, store, config)
    report = check_chain(audit_log.audit_path(cfg.workspace))
    with open_store(cfg.store) as st:
        con = st.relational()
        for seq, head in stored_anchors(con):
            check_anchor(report, seq, head, "store anchor")
        if report.ok and anchor_head and report.records:
            anchor(con, report.records, report.head)
    if not report.ok:
        err.print(f"BROKEN: {audit_log.audit_path(cfg.workspace)}", style="red", highlight=False, markup=False)
        for line in report.problems:
            err.print(f"  {line}", highlight=False, markup=False)
        raise typer.Exit(1)
    console.print(f"INTACT: {report.records} records, head {report.head}", highlight=False, markup=False)
