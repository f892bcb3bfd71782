"""Fund loss of a ring, transaction by transaction, exact to the cent.

The NHSA's Detailed Rules count a fraud's loss per reimbursed transaction:
``fund_paid`` of each of the ring's fraudulent settlements plus ``amount`` of
each of its maternity claims, each transaction once (contract section 3).

:func:`txn_losses` is the one place that rule is written.  Every figure of
money the tool shows (the ring's loss recorded by detection, the explorer's
per-facility table and weekly trend, the weekly report's week loss, the
referral package's totals) is a sum of its rows.  The loss is read from
DuckDB's DECIMAL(14,2) as Python ``Decimal`` and summed as ``Decimal``;
nothing passes through floating point, so two views of one ring agree to
the cent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Sequence

import duckdb
import pandas as pd

from ringscope.analytics.ring import Ring

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Over a registered frame of (kind, txn_id), not list parameters: the Spark
# engine's connection transpiles this SQL and registers frames the same way.
_TXN_LOSS_SQL = """
WITH t AS (SELECT DISTINCT kind, txn_id::VARCHAR AS txn_id FROM _rs_fl_txns)
SELECT t.kind, t.txn_id, coalesce(s.settled_at::DATE, m.claimed_on) AS day,
       coalesce(s.facility_id, m.employer_id) AS place_id,
       coalesce(s.fund_paid, m.amount, 0::DECIMAL(14,2)) AS loss
FROM t
LEFT JOIN settlements s ON t.kind = 'settlement' AND s.settlement_id = t.txn_id
LEFT JOIN maternity_claims m ON t.kind = 'claim' AND m.claim_id = t.txn_id
WHERE s.settlement_id IS NOT NULL OR m.claim_id IS NOT NULL
ORDER BY day, t.kind, t.txn_id
"""


@dataclass(frozen=True)
class TxnLoss:
    """One stored transaction and what the fund lost through it."""

    kind: str  # "settlement" or "claim"
    txn_id: str
    day: date | None  # settled_at's date, or claimed_on
    place_id: str  # the facility of a settlement, the employer of a claim
    loss: Decimal  # fund_paid of a settlement, amount of a claim


def txn_losses(con: duckdb.DuckDBPyConnection, settlement_ids: Iterable[str],
               claim_ids: Iterable[str] = ()) -> list[TxnLoss]:
    """The loss of each of these transactions, each once, in (day, kind, id) order.

    Ids not in the store are left out (they lose nothing that can be shown).
    """
    sids, cids = sorted(set(settlement_ids)), sorted(set(claim_ids))
    if not sids and not cids:
        return []
    frame = pd.DataFrame([("settlement", t) for t in sids] + [("claim", t) for t in cids],
                         columns=["kind", "txn_id"], dtype="object")
    con.register("_rs_fl_txns", frame)
    try:
        rows = con.execute(_TXN_LOSS_SQL).fetchall()
    finally:
        con.unregister("_rs_fl_txns")
    return [TxnLoss(kind, str(txn_id), day, str(place or ""), Decimal(loss).quantize(CENT))
            for kind, txn_id, day, place, loss in rows]


def total(losses: Iterable[TxnLoss]) -> Decimal:
    """The sum of ``losses``, in Decimal, to the cent."""
    return sum((t.loss for t in losses), ZERO).quantize(CENT)


def attach_fund_loss(con: duckdb.DuckDBPyConnection, rings: Sequence[Ring]) -> None:
    """Set ``ring.fund_loss`` for every ring from its settlement and claim ids (one query for all)."""
    by_key = {(t.kind, t.txn_id): t.loss for t in txn_losses(
        con, (s for r in rings for s in r.settlement_ids), (c for r in rings for c in r.claim_ids))}
    for r in rings:
        keys = {("settlement", str(s)) for s in r.settlement_ids} | {("claim", str(c)) for c in r.claim_ids}
        r.fund_loss = sum((by_key.get(k, ZERO) for k in keys), ZERO).quantize(CENT)


def fund_loss_of(con: duckdb.DuckDBPyConnection, settlement_ids: Sequence[str], claim_ids: Sequence[str] = ()) -> Decimal:
    """Fund loss of one set of transactions (each counted once)."""
    return total(txn_losses(con, settlement_ids, claim_ids))


def loss_between(losses: Iterable[TxnLoss], first: date, last: date) -> tuple[int, Decimal]:
    """How many of ``losses`` are dated ``first``..``last``, and their loss."""
    inside = [t for t in losses if t.day is not None and first <= t.day <= last]
    return len(inside), total(inside)
