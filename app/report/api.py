"""Write a recorded week's report: what ``ringscope report`` and the app call."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ringscope.app.errors import UserError
from ringscope.app.report.data import DEFAULT_EXPLORER_URL, build_report_data
from ringscope.app.report.render import write_report


def generate_report(cfg, week: str | None = None, out_dir: Path | None = None,
                    formats: Sequence[str] = ("html", "pdf"), langs: Sequence[str] = ("zh", "en"),
                    unmask: bool = False, user: Any = None, explorer_url: str | None = None) -> list[Path]:
    """Build and write the report of ``week`` (default: the latest recorded week).

    Takes the workspace lock so that it never reads a week half-written by a
    running ``ringscope weekly``.  An unmasked report is an export of personal
    data, under the same rules as ``export --unmask``: ``user`` must be a
    configured, authenticated ``app.auth.User`` (``app.login``) holding the
    ``unmask`` right, or the report is refused and the refusal audit-logged;
    the unmasking is written to the audit log first, and refused if that fails.
    """
    from ringscope.app import audit
    from ringscope.app.weekly import WorkspaceLock, report_dir
    from ringscope.graph.factory import open_store
    from ringscope.graph.ring_history import weeks

    if unmask:
        _check_unmask(cfg, user, week)
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
                audit.record(cfg.workspace, user=user.name, action=audit.EXPORT, target=f"report:{week}",
                             role=user.role, details={"unmasked": True, "folder": str(target),
                                                      "formats": list(formats), "languages": list(langs)})
            except audit.AuditError as exc:
                raise UserError(f"unmasked report refused: {exc}") from None
        return write_report(data, target, formats, langs)


def _check_unmask(cfg, user: Any, week: str | None) -> None:
    """Refuse (and audit the refusal) unless ``user`` is an authenticated user with the ``unmask`` right."""
    from ringscope.app import audit, auth
    from ringscope.app.export.access import users_configured

    if not users_configured(cfg):
        reason = "no users are configured: define them in [app.users] of ringscope.toml (docs/security.md)"
    elif not isinstance(user, auth.User):
        reason = "pass --user NAME; the password is checked before personal data is shown"
    elif not user.can(auth.UNMASK):
        reason = f"user {user.name!r} (role {user.role!r}) lacks the 'unmask' right"
    else:
        return
    name = user.name if isinstance(user, auth.User) else str(user or "anonymous")
    try:
        audit.record(cfg.workspace, user=name, action="report_denied", target=f"report:{week or 'latest'}",
                     details={"unmask": True, "reason": reason})
    finally:
        raise UserError(f"unmasked report refused: {reason}")
