"""Ring queue: filter, sort and localise the ring table for display."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ringscope.app.i18n import Translator
from ringscope.app.links import ring_url  # noqa: F401  (the queue links each ring)

SORTABLE = ("score", "fund_loss", "size", "settlements", "first_settled", "ring_id")
SHOWN = ["ring_id", "scheme", "score", "fund_loss", "size", "province", "city", "week", "status", "assignee"]


@dataclass(frozen=True)
class QueueFilter:
    schemes: tuple[str, ...] = ()  # empty: all
    statuses: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    min_score: float = 0.0
    min_fund_loss: float = 0.0
    assignee: str = ""  # substring; "" any
    sort_by: str = "score"
    descending: bool = True
    extra: dict = field(default_factory=dict)


def filter_queue(df: pd.DataFrame, f: QueueFilter) -> pd.DataFrame:
    """The rows of the ring table that pass ``f``, in its order."""
    if df.empty:
        return df
    keep = (df["score"] >= f.min_score) & (df["fund_loss"] >= f.min_fund_loss)
    if f.schemes:
        keep &= df["scheme"].isin(f.schemes)
    if f.statuses:
        keep &= df["status"].isin(f.statuses)
    if f.provinces:
        keep &= df["province"].isin(f.provinces)
    if f.assignee:
        keep &= df["assignee"].fillna("").str.contains(f.assignee, case=False, regex=False)
    sort_by = f.sort_by if f.sort_by in SORTABLE else "score"
    return (df[keep].sort_values([sort_by, "ring_id"], ascending=[not f.descending, True], na_position="last")
            .reset_index(drop=True))


def display_table(df: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    """The queue as shown: localised scheme/status values and column headers."""
    out = df[[c for c in SHOWN if c in df.columns]].copy()
    out["scheme"] = [tr.maybe(f"scheme.{s}", s) for s in out["scheme"]]
    out["status"] = [tr.maybe(f"status.{s}", s) for s in out["status"]]
    return out.rename(columns={c: tr(f"col.{c}") for c in out.columns})

