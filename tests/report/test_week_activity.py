"""The weekly report tells the week's own figures from the cumulative picture, and says when a week had no data."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from ringscope.app.report.data import _ring_provinces, build_report_data
from ringscope.app.report.messages import Messages
from ringscope.app.report.render import summary_paragraphs
from ringscope.app.report.week_activity import week_activity
from ringscope.graph.ring_book import ensure_schema as ensure_book
from tests.report.handmade import WEEK1, WEEK2, load_catalogue, record

MONDAY_W47 = date(2026, 11, 16)
RUN_W47 = "run-2026-W47"


def _settle(con, sid, day, fund_paid, facility="F01", card="C001"):
    con.execute("INSERT INTO settlements (settlement_id, card_id, facility_id, settled_at, total_amount, fund_paid) "
                "VALUES (?, ?, ?, ?, ?, ?)", [sid, card, facility, f"{day} 10:00:00", fund_paid, fund_paid])


@pytest.fixture()
def con():
    con = duckdb.connect()
    load_catalogue(con)
    ensure_book(con)
    _settle(con, "S-in", "2026-11-17", Decimal("100.10"))          # ring settlement dated in W47
    _settle(con, "S-before", "2026-11-03", Decimal("50.00"))       # ring settlement from an earlier week
    _settle(con, "S-honest", "2026-11-18", Decimal("999.00"))      # in the week, in no ring
    con.execute("INSERT INTO maternity_claims (claim_id, patient_id, employer_id, claimed_on, amount) "
                "VALUES ('M-in', 'P009', 'E01', DATE '2026-11-20', 3000.00)")
    con.executemany("INSERT INTO ring_book_txns VALUES (?, ?, ?, ?)", [
        (RUN_W47, "R-000001", "settlement", "S-in"), (RUN_W47, "R-000001", "settlement", "S-before"),
        (RUN_W47, "R-000005", "settlement", "S-in"),  # shared by two rings: counted once
        (RUN_W47, "R-000005", "claim", "M-in")])
    record(con, "2026-W46", WEEK1, datetime(2026, 11, 15, 20, 0))
    record(con, "2026-W47", WEEK2, datetime(2026, 11, 22, 20, 0))
    yield con
    con.close()


def test_week_loss_counts_only_transactions_dated_in_the_week_each_once(con):
    activity = week_activity(con, RUN_W47, MONDAY_W47)
    assert (activity.settlements, activity.claims) == (2, 1)
    assert activity.ring_transactions == 2
    assert activity.ring_loss == Decimal("3100.10")  # 100.10 + the maternity claim's 3000.00
    assert activity.has_data


def test_a_week_without_data_is_said_so(con):
    empty = week_activity(con, RUN_W47, date(2026, 12, 7))
    assert not empty.has_data and empty.ring_loss == Decimal("0.00")
    data = build_report_data(con, "2026-W47")
    data.activity = empty
    text = " ".join(summary_paragraphs(data, Messages("zh")))
    assert "没有任何结算或生育津贴数据" in text


def test_summary_separates_the_week_from_the_total(con):
    data = build_report_data(con, "2026-W47")
    zh = " ".join(summary_paragraphs(data, Messages("zh")))
    assert "本周（2026-11-16 至 2026-11-22）收到结算 2 笔、生育津贴申领 1 笔" in zh
    assert "涉及基金损失 3,100.10 元" in zh and "没有任何结算" not in zh
    assert "累计识别疑似欺诈团伙 3 个" in zh
    assert data.trend[-1]["week_loss"] == Decimal("3100.10")  # exact, not approximately


def test_province_is_where_the_fund_paid_not_where_members_live(con):
    """R-000005's prescriber practises in Guangdong (44) while its patients live in Hubei (42); its
    settlement was paid at a Hubei pharmacy (F01), so the one rule says Hubei for every output."""
    assert _ring_provinces(con, "2026-W47")["R-000005"] == "42"
    con.execute("UPDATE facilities SET region_code = '440103' WHERE facility_id = 'F01'")
    assert _ring_provinces(con, "2026-W47")["R-000005"] == "44"
