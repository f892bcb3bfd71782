"""Logging in, the same way everywhere: audited, throttled, refused in one line.

The CLI (``export``, ``report --unmask``) and the explorer both call
:func:`login`.  Every attempt is in the audit log (``login``,
``login_failed``, ``login_throttled``), and the log is also the throttle's
memory, so it holds across processes and restarts: after
:data:`MAX_FAILURES` failed attempts in a row for a name (since its last
successful login) further attempts are refused for :data:`BASE_DELAY_S`
seconds, doubling with each further failure up to :data:`MAX_DELAY_S`.
A refused attempt does not check the password at all, so guessing during
the pause gains nothing.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Callable

from ringscope.app import audit, auth
from ringscope.app.errors import UserError

MAX_FAILURES = 5
BASE_DELAY_S = 30
MAX_DELAY_S = 15 * 60
LOGIN_THROTTLED = "login_throttled"


class LoginRefused(UserError):
    """Unknown user, wrong password, or too many failures; the message says which (never which of the first two)."""


def seconds_locked(workspace: Any, name: str, now: datetime | None = None) -> int:
    """How long ``name`` must still wait before the next attempt (0: may try now)."""
    failures, last = 0, None
    for event in audit.iter_events(workspace):
        if event.get("user") != name:
            continue
        if event.get("action") == audit.LOGIN:
            failures, last = 0, None
        elif event.get("action") == audit.LOGIN_FAILED:
            failures, last = failures + 1, event.get("at")
    if failures < MAX_FAILURES or not last:
        return 0
    delay = min(BASE_DELAY_S * 2 ** (failures - MAX_FAILURES), MAX_DELAY_S)
    try:
        elapsed = ((now or datetime.now(audit.CST)) - datetime.fromisoformat(str(last))).total_seconds()
    except ValueError:
        return delay
    return max(0, int(delay - elapsed + 0.999))


def login(workspace: Any, directory: auth.UserDirectory, name: str, password: str, via: str) -> auth.User:
    """The user when the password is right and the name is not throttled; audit-logged either way."""
    name = (name or "").strip()
    wait = seconds_locked(workspace, name) if name else 0
    if wait:
        audit.record(workspace, user=name, action=LOGIN_THROTTLED, target=via, details={"wait_s": wait})
        raise LoginRefused(f"too many failed logins for {name!r}: try again in {wait} s")
    user = directory.authenticate(name, password or "")
    if user is None:
        audit.record(workspace, user=name or "anonymous", action=audit.LOGIN_FAILED, target=via)
        raise LoginRefused(f"unknown user {name!r} or wrong password")
    audit.record(workspace, user=user.name, action=audit.LOGIN, target=via, role=user.role)
    return user


def cli_user(cfg: Any, name: str | None, via: str, prompt: Callable[[str], str] | None = None) -> auth.User:
    """Who runs a CLI command: a configured user after :func:`login`, or the local user when none are configured.

    The password comes from ``RINGSCOPE_PASSWORD`` (for scheduled jobs) or the prompt, never an option.
    """
    from ringscope.app.export.access import local_user

    try:
        directory = auth.load_directory(cfg.app)
    except auth.AuthConfigError as exc:
        raise UserError(str(exc)) from None
    if not directory.names:
        return local_user(name)
    if not name:
        raise UserError("users are configured: pass --user NAME (password from RINGSCOPE_PASSWORD or the prompt)")
    password = os.environ.get("RINGSCOPE_PASSWORD")
    if password is None:
        import getpass

        password = (prompt or (lambda text: getpass.getpass(text)))(f"Password for {name}: ")
    return login(cfg.workspace, directory, name, password, via)
