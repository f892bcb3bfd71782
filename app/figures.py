"""How RingScope writes money, in the explorer, the weekly report and the referral alike.

The rule (docs/explorer.md, "Money and figures"):

* in tables and sentences, money is in 元 with thousands separators and two
  decimals: ``14,066,530.12`` (:func:`yuan`; the explorer's tables use the
  same format through :data:`TABLE_FORMAT`);
* a headline figure (a metric, a report card, the referral's total) is, for a
  Chinese reader, in 万元 with thousands separators and two decimals:
  ``1,406.65`` under a label that says （万元）; for an English reader it
  stays in yuan (:func:`headline`).  The referral's total adds the exact yuan
  figure beside it, because that figure is what the case is about.

Amounts go through ``Decimal`` and are rounded half-up to the cent, as the
fund loss is summed (``app/export/case.py``), so a figure never shows a
float's ``0.30000000000000004`` nor rounds differently in two outputs.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

CENT = Decimal("0.01")
WAN = Decimal(10000)
TABLE_FORMAT = "%,.2f"  # Streamlit NumberColumn (sprintf-js): the same as yuan()

# Money columns by their raw (contract / view) names: formatted as money wherever a table shows them.
MONEY_COLUMNS = frozenset({"fund_loss", "fund_paid", "total_amount", "self_paid", "amount", "money",
                           "claims_amount", "loss_involved", "salary_base", "difference", "reward",
                           "fund_loss_before", "week_loss", "loss"})


def to_decimal(value: Any) -> Decimal:
    """Any amount (None, float, str, Decimal) as Decimal rounded half-up to the cent."""
    if value is None or value == "":
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(value: Any) -> str:
    """``14,066,530.12``: 元 with thousands separators and two decimals."""
    return f"{to_decimal(value):,.2f}"


def wan_yuan(value: Any) -> str:
    """``1,406.65``: 万元 with thousands separators and two decimals."""
    return f"{(to_decimal(value) / WAN).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def headline(value: Any, lang: str) -> str:
    """A headline money figure: 万元 for a Chinese reader, yuan for an English one (the label names the unit)."""
    return wan_yuan(value) if lang == "zh" else yuan(value)


def headline_with_exact(value: Any, lang: str) -> str:
    """A headline figure with its exact amount: ``1.35 万元（13,505.67 元）`` / ``CNY 13,505.67``."""
    return f"{wan_yuan(value)} 万元（{yuan(value)} 元）" if lang == "zh" else f"CNY {yuan(value)}"


def money_column_config(columns: Iterable[str], shown_name: Any) -> dict[str, Any]:
    """Streamlit column_config for a table's money columns: ``{shown name: NumberColumn('%,.2f')}``.

    ``columns`` are the raw names, ``shown_name(raw)`` gives the (localised) name the table shows.
    """
    import streamlit as st

    return {shown_name(c): st.column_config.NumberColumn(format=TABLE_FORMAT)
            for c in columns if c in MONEY_COLUMNS}
