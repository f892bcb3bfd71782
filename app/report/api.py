"""Write a recorded week's report: what ``ringscope report`` and the app call."""
from __future__ import annotations

import getpass
from pathlib import Path
from typing import Sequence

from ringscope.app.errors import UserError
from ringscope.app.report.data import DEFAULT_EXPLORER_URL, build_report_data
from ringscope.app.report.render import write_report


def generate_report(cfg, week: str | None = None, out_dir: Path | None = None,
                    formats: Sequence[str] = ("html", "pdf"), langs: Sequence[str] = ("zh", "en"),
                    unmask: bool = False, user: str | None = None, explorer_url: str | None = None) -> list[Path]:
    """Build and write the report of ``week`` (default: the latest recorded week).

    Takes the workspace lock so that it never reads a week half-written by a
    running ``ringscope weekly``.  An unmasked report is an export of personal
    data: it is written to the audit log first, and refused if that fails.
    """
    from ringscope.app import audit
    from ringscope.app.weekly import WorkspaceLock, report_dir
    from ringscope.graph.factory import open_store
    from ringscope.graph.ring_history import weeks

    with WorkspaceLock(cfg.workspace, command="report"):
        with open_store(cfg.store) as store:
            con = store.relational()
            recorded = weeks(con)
            if week is None:
                if not recorded:
                    raise UserError("no weekly run is recorded yet: run `ringscope weekly DROP_DIR` first")
                week = recorded[-1]
            data = build_report_data(con, week, unmask=unmask,
                                     explorer_url=explorer_url or cfg.app.get("explorer_url") or DEFAULT_EXPLORER_URL)
        target = out_dir or report_dir(cfg, week)
        if unmask:
            try:
                who = user or getpass.getuser()
            except Exception:  # no login name in a container: still recorded
                who = "unknown"
            try:
                audit.record(cfg.workspace, user=who, action=audit.EXPORT, target=f"report:{week}",
                             details={"unmasked": True, "folder": str(target), "formats": list(formats),
                                      "languages": list(langs)})
            except audit.AuditError as exc:
                raise UserError(f"unmasked report refused: {exc}") from None
        return write_report(data, target, formats, langs)
