"""Append-only audit log: who saw or took out personal data, and when.

Every unmasking of personal data and every export is written here, one JSON
object per line, in ``<workspace>/audit/audit.jsonl``.  The log is only ever
appended to (``O_APPEND`` and an exclusive ``flock`` per write, then
``fsync``), never rewritten, so that an inspector can trust it as a record
of access (PIPL art. 51 and the NHSA data-security rules ask for one).

The API is deliberately small and stable; exports call it like this::

    from ringscope.app import audit
    audit.record(cfg.workspace, user="li.wei", action="export",
                 target="ring:R-000123", details={"file": "referral.zip"})

Actions used by RingScope: ``unmask``, ``export``, ``export_denied``,
``login``, ``login_failed``, ``login_throttled``, ``triage``,
``triage_denied``, ``search``, ``report_denied``.  Other strings are allowed
(kept as given).

The log is tamper-evident (``app.audit_chain``): every record carries its
number (``seq``) and the SHA-256 of the line before it (``prev``), so a line
deleted, changed or inserted breaks the chain; the SHA-256 of the last line
(the *head*) is kept in ``audit/audit.head``, in every referral package's
bag-info, and in the store (``ringscope audit verify`` checks all of them).
"""
from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from ringscope.app.audit_chain import GENESIS, HEAD_FILE, current_head, line_hash, read_last_line, write_head
from ringscope.app.errors import UserError

CST = timezone(timedelta(hours=8))
AUDIT_DIR = "audit"
AUDIT_FILE = "audit.jsonl"

UNMASK = "unmask"
EXPORT = "export"
LOGIN = "login"
LOGIN_FAILED = "login_failed"
TRIAGE = "triage"


class AuditError(UserError):
    """The audit log cannot be written; the action it guards must not go ahead (one line for the CLI)."""


def audit_path(workspace: Path | str) -> Path:
    return Path(workspace) / AUDIT_DIR / AUDIT_FILE


def record(
    workspace: Path | str,
    user: str,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """Append one event and return it.

    Parameters
    ----------
    workspace: the workspace folder (``cfg.workspace``).
    user: who did it (the logged-in user name; ``anonymous`` when nobody is).
    action: what kind of access, e.g. ``unmask`` or ``export``.
    target: what was accessed, e.g. ``ring:R-000123`` or ``patient:P000017``.
    details: anything else worth keeping (file written, fields shown); must be JSON-serialisable.
    role: the user's role, when known.

    Raises :class:`AuditError` when the log cannot be written: callers must
    then refuse the unmasking or export rather than go ahead unrecorded.
    """
    if not user or not action or not target:
        raise AuditError("an audit event needs a user, an action and a target")
    event: dict[str, Any] = {
        "at": datetime.now(CST).isoformat(timespec="seconds"),
        "user": str(user),
        "action": str(action),
        "target": str(target),
    }
    if role:
        event["role"] = str(role)
    if details:
        event["details"] = details
    _encode(event)  # refuse unserialisable details before touching the log
    path = audit_path(workspace)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise AuditError(f"cannot write the audit log {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, last = read_last_line(fd)
        event["seq"] = seq + 1
        event["prev"] = line_hash(last) if last else GENESIS
        line = _encode(event)
        os.write(fd, line + b"\n")
        os.fsync(fd)
        write_head(path.parent / HEAD_FILE, seq + 1, line_hash(line))
    except OSError as exc:
        raise AuditError(f"cannot write the audit log {path}: {exc.strerror}") from None
    finally:
        os.close(fd)  # closing releases the lock
    return event


def _encode(event: dict[str, Any]) -> bytes:
    try:
        return json.dumps(event, ensure_ascii=False, sort_keys=False, default=str).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise AuditError(f"audit details are not JSON-serialisable: {exc}") from None


def iter_events(workspace: Path | str) -> Iterator[dict[str, Any]]:
    """Events in the order they were written (empty when there is no log yet)."""
    path = audit_path(workspace)
    if not path.exists():
        return
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                event = _decode(line)
                if event is not None:
                    yield event
    except OSError as exc:
        raise AuditError(f"cannot read the audit log {path}: {exc.strerror}") from None


def _decode(line: str) -> dict[str, Any] | None:
    """One record, or ``None`` for a blank or damaged line (``ringscope audit verify`` names those)."""
    line = line.strip()
    if not line:
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def read_events(workspace: Path | str, action: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
    """All events, optionally only one action and/or one user."""
    return [
        e for e in iter_events(workspace)
        if (action is None or e.get("action") == action) and (user is None or e.get("user") == user)
    ]


def head(workspace: Path | str) -> tuple[int, str]:
    """``(seq, hash)`` of the last record (what packages and the store keep); AuditError when unreadable."""
    try:
        return current_head(workspace)
    except OSError as exc:
        raise AuditError(f"cannot read the audit log {audit_path(workspace)}: {exc.strerror}") from None
