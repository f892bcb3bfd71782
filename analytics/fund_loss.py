"""Fund loss of a ring, transaction by transaction, exact to the cent.

The NHSA's Detailed Rules count a fraud's loss per reimbursed transaction:
sum ``fund_paid`` over the ring's fraudulent settlements plus ``amount``
over its maternity claims, each transaction once (contract section 3).
The sums run in DuckDB over DECIMAL(14,2) and come back as Python
``Decimal``; nothing passes through floating point.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Sequence

import duckdb
import pandas as pd

from ringscope.analytics.ring import Ring

CENT = Decimal("0.01")

# The one rule, shared by every sum below: a settlement loses its fund share,
# a maternity claim its whole amount; ``t`` has columns ``kind``, ``txn_id``.
TXN_JOINS = ("LEFT JOIN settlements s ON t.kind = 'settlement' AND s.settlement_id = t.txn_id "
             "LEFT JOIN maternity_claims m ON t.kind = 'claim' AND m.claim_id = t.txn_id")
TXN_LOSS = "coalesce(s.fund_paid, m.amount, 0::DECIMAL(14,2))"
TXN_DAY = "coalesce(s.settled_at::DATE, m.claimed_on)"


def attach_fund_loss(con: duckdb.DuckDBPyConnection, rings: Sequence[Ring]) -> None:
    """Set ``ring.fund_loss`` for every ring from its settlement and claim ids."""
    txns = [(i, "settlement", sid) for i, r in enumerate(rings) for sid in r.settlement_ids]
    txns += [(i, "claim", cid) for i, r in enumerate(rings) for cid in r.claim_ids]
    for r in rings:
        r.fund_loss = Decimal("0.00")
    if not txns:
        return
    df = pd.DataFrame(txns, columns=["ring", "kind", "txn_id"]).astype({"ring": "int64", "kind": "object", "txn_id": "object"})
    con.register("_rs_fl_txns", df)
    try:
        result = con.execute(
            "WITH t AS (SELECT DISTINCT ring, kind, txn_id::VARCHAR AS txn_id FROM _rs_fl_txns) "
            f"SELECT t.ring, sum({TXN_LOSS})::DECIMAL(18,2) FROM t {TXN_JOINS} GROUP BY t.ring"
        ).fetchall()
    finally:
        con.unregister("_rs_fl_txns")
    for ring_index, total in result:
        rings[ring_index].fund_loss = Decimal(total).quantize(CENT)


def fund_loss_of(con: duckdb.DuckDBPyConnection, settlement_ids: Sequence[str], claim_ids: Sequence[str] = ()) -> Decimal:
    """Fund loss of one set of transactions (each counted once)."""
    ring = Ring(scheme="mixed", members=[], settlement_ids=list(settlement_ids), claim_ids=list(claim_ids))
    attach_fund_loss(con, [ring])
    return ring.fund_loss


def booked_loss_between(con: duckdb.DuckDBPyConnection, run_id: str, first: date, last: date) -> tuple[int, Decimal]:
    """Transactions of a recorded detection run dated ``first``..``last`` and their fund loss.

    A weekly report must tell this week's loss from the cumulative picture:
    a ring found this week carries months of settlements, and only those
    dated in the week are the week's new loss.  Same rule as
    :func:`attach_fund_loss`, over the run's ring book rows (each
    transaction once, even when two rings share it).
    """
    count, total = con.execute(
        "WITH t AS (SELECT DISTINCT kind, txn_id FROM ring_book_txns WHERE run_id = ?) "
        f"SELECT count(*), coalesce(sum({TXN_LOSS}), 0)::DECIMAL(18,2) FROM t {TXN_JOINS} "
        f"WHERE {TXN_DAY} BETWEEN ? AND ?",
        [run_id, first, last],
    ).fetchall()[0]
    return int(count), Decimal(total).quantize(CENT)
