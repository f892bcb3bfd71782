"""Fund loss: transaction by transaction, to the cent, the same in every file."""
from __future__ import annotations

import json
from decimal import Decimal

from tests.export.case_drop import RING_CLAIM, RING_FUND_PAID, RING_SETTLEMENTS
from tests.export.unpack import csv_rows, member, pdf_text


def test_total_equals_sum_of_settlements_in_annex_to_the_cent(masked_zip):
    settlements = csv_rows(masked_zip, "settlements")
    claims = csv_rows(masked_zip, "claims")
    assert sorted(s["settlement_id"] for s in settlements) == sorted(RING_SETTLEMENTS)
    settled = sum((Decimal(s["fund_paid"]) for s in settlements), Decimal("0"))
    claimed = sum((Decimal(c["amount"]) for c in claims), Decimal("0"))
    expected = sum((Decimal(x) for x in RING_FUND_PAID), Decimal("0")) + Decimal(RING_CLAIM)
    assert settled + claimed == expected == Decimal("18628.33")

    totals = {r["level"]: Decimal(r["amount"]) for r in csv_rows(masked_zip, "fund_loss") if r["level"] != "per_facility"
              and r["level"] != "per_member"}
    assert totals == {"total": expected, "settlements": settled, "claims": claimed}
    per_facility = [Decimal(r["amount"]) for r in csv_rows(masked_zip, "fund_loss") if r["level"] == "per_facility"]
    assert sum(per_facility) == expected  # facilities (and employers for claims) partition the transactions

    info = member(masked_zip, "bag-info.txt").decode()
    assert "Fund-Loss-CNY: 18628.33" in info
    ring = json.loads(member(masked_zip, "data/ring.json"))
    assert ring["fund_loss"] == "18628.33"


def test_per_member_totals(masked_zip):
    rows = {(r["type"], r["id"]): r for r in csv_rows(masked_zip, "members")}
    # P001 holds C001: S001 (68.60) and S004 (3456.78)
    assert Decimal(rows[("patient", "P001")]["fund_paid"]) == Decimal("3525.38")
    # P003: S003 (137.20) plus the maternity claim
    assert Decimal(rows[("patient", "P003")]["loss_involved"]) == Decimal("137.20") + Decimal(RING_CLAIM)
    assert Decimal(rows[("facility", "F02")]["fund_paid"]) == Decimal("205.81")


def test_summary_states_total_and_method(masked_zip, tmp_path):
    zh = pdf_text(member(masked_zip, "summary-zh.pdf"), tmp_path)
    en = pdf_text(member(masked_zip, "summary-en.pdf"), tmp_path)
    assert "18,628.33" in zh and "18,628.33" in en
    assert "逐笔计算" in zh
    assert "transaction by transaction" in en


def test_ring_json_keeps_a_mixed_rings_schemes(masked_zip):
    """The police get the same ring as rings.json: which schemes a mixed ring joins, and per item."""
    ring = json.loads(member(masked_zip, "data/ring.json"))
    assert ring["scheme"] == "mixed" and ring["schemes"] == ["trace_resale", "maternity"]
    assert ring["evidence"][0]["scheme"] == "trace_resale"

