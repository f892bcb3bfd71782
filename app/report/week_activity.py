"""What happened in the report's week, as opposed to everything known so far.

The ring history is cumulative: a ring found this week carries every
settlement it ever made, and the week's ring count includes rings found long
ago.  An analyst reading "this week" wants the week's own figures: how much
data arrived for the week, how many rings are new, and the fund loss of ring
transactions dated inside the week.  A week with no data is said so, not
reported as a quiet "0 new".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from ringscope.analytics.fund_loss import TxnLoss, loss_between, txn_losses
from ringscope.graph.ring_book import booked_txns


@dataclass(frozen=True)
class WeekActivity:
    """The week's own figures (settlements and claims dated in it, ring transactions among them)."""

    settlements: int
    claims: int
    ring_transactions: int
    ring_loss: Decimal

    @property
    def has_data(self) -> bool:
        return self.settlements + self.claims > 0


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [table]).fetchall()[0][0])


def _dated_rows(con: duckdb.DuckDBPyConnection, table: str, column: str, first: date, last: date) -> int:
    if not _exists(con, table):
        return 0
    return int(con.execute(f"SELECT count(*) FROM {table} WHERE {column}::DATE BETWEEN ? AND ?",
                           [first, last]).fetchall()[0][0])


def _booked_losses(con: duckdb.DuckDBPyConnection, run_id: str) -> list[TxnLoss]:
    """Each transaction of a recorded run's rings once, with its loss (even when two rings share it)."""
    return txn_losses(con, *booked_txns(con, run_id))


def week_activity(con: duckdb.DuckDBPyConnection, run_id: str | None, monday: date) -> WeekActivity:
    """Settlements and maternity claims dated in the week, and the ring loss among them."""
    sunday = monday + timedelta(days=6)
    settlements = _dated_rows(con, "settlements", "settled_at", monday, sunday)
    claims = _dated_rows(con, "maternity_claims", "claimed_on", monday, sunday)
    count, loss = loss_between(_booked_losses(con, run_id), monday, sunday) if run_id else (0, Decimal("0.00"))
    return WeekActivity(settlements, claims, count, loss)


def week_losses(con: duckdb.DuckDBPyConnection, runs: list[tuple[str, str | None, date]]) -> dict[str, Decimal]:
    """Per recorded week (``week, run_id, monday``): the loss of its ring transactions dated in it.

    Settlements and maternity claims both count, so a maternity-fraud week
    shows in the trend like any other.
    """
    booked: dict[str, list[TxnLoss]] = {}
    out: dict[str, Decimal] = {}
    for week, run_id, monday in runs:
        if run_id and run_id not in booked:
            booked[run_id] = _booked_losses(con, run_id)
        out[week] = loss_between(booked[run_id], monday, monday + timedelta(days=6))[1] if run_id else Decimal("0.00")
    return out
