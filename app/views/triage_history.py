"""A ring's triage history as the ring page shows it: who, when, from → to, assignee, note.

Times are shown in China Standard Time to the minute (what an investigator
reads on the bureau's clock); notes may name people, so for a viewer who may
not see personal data they pass through the same free-text masking as the
current notes (``app.free_text``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from ringscope.app.free_text import mask_free_text
from ringscope.app.i18n import Translator
from ringscope.app.triage import TriageChange, triage_changes

CST = timezone(timedelta(hours=8))
COLUMNS = ("changed_at", "changed_by", "change", "assignee", "note")


def cst_minute(when: datetime | None) -> str:
    """A stored time as ``YYYY-MM-DD HH:MM`` China Standard Time (stored times without a zone are UTC)."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def change_text(change: TriageChange, tr: Translator) -> str:
    """``新发现 → 调查中`` in the reader's language (an assignee-only change shows the status once)."""
    to = tr.maybe(f"status.{change.to_status}", change.to_status)
    if change.from_status == change.to_status:
        return to
    return f"{tr.maybe(f'status.{change.from_status}', change.from_status)} → {to}"


def history_table(con: Any, ring_id: str, tr: Translator, mask: bool) -> pd.DataFrame:
    """The history, newest first, with localised column names; notes masked when ``mask``."""
    rows = []
    for c in reversed(triage_changes(con, ring_id)):
        note = mask_free_text(con, c.note) if mask and c.note else c.note
        rows.append({"changed_at": cst_minute(c.changed_at), "changed_by": c.changed_by or tr("history.unknown_user"),
                     "change": change_text(c, tr), "assignee": c.assignee, "note": note})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.rename(columns={c: tr(f"history.col.{c}") for c in COLUMNS})
