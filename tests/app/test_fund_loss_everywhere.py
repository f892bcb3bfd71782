"""One ring, four places that state its fund loss: all the same Decimal, to the cent.

Detection (``analytics.fund_loss``), the explorer (ring page table, overview
headline and weekly trend), the weekly report (the week's ring loss from the
ring book) and the referral package (``gather_case``) must not disagree on
money.  Amounts are chosen so that float arithmetic would show: 0.10 + 0.20,
cents on six-digit sums, a maternity claim, and a transaction listed twice.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.ring import Member, Ring
from ringscope.analytics.ring_identity import assign_ids
from ringscope.analytics.rings_json import ring_to_json
from ringscope.app.export.case import gather_case
from ringscope.app.i18n import Translator
from ringscope.app.report.week_activity import week_activity, week_losses
from ringscope.app.ring_source import RingSet, ring_from_json
from ringscope.app.views.overview import headline, ring_table, weekly_trend_data
from ringscope.app.views.ring_detail import fund_loss_table, settlement_timeline
from ringscope.graph.catalogue import ensure_schema
from ringscope.graph.ring_book import record_run
from tests.analytics.worlds import World, day

EXPECTED = Decimal("117881.79")  # 0.10 + 0.20 + 1234.57 + 99999.99 + 16646.93


def _world():
    world = World()
    world.facility("F1", name="一号药房")
    world.patient("P1")
    ids = [world.settle("P1", "F1", day(i), fund=f) for i, f in enumerate((0.10, 0.20, 1234.57, 99999.99))]
    world.t["employers"].append({"employer_id": "E1", "name": "壳公司"})
    world.t["maternity_claims"].append({"claim_id": "MC1", "patient_id": "P1", "employer_id": "E1",
                                        "claimed_on": day(1).date(), "amount": 16646.93})
    con = world.con()
    ensure_schema(con)  # the catalogue's own tables (ingest history), as in a workspace
    ring = Ring("trace_resale", [Member("patient", "P1", "seller"), Member("facility", "F1", "reseller")],
                settlement_ids=ids + ids[:1], claim_ids=["MC1"], score=0.9)
    return con, ring


def test_detection_explorer_report_and_export_state_the_same_loss():
    con, ring = _world()
    attach_fund_loss(con, [ring])
    assert ring.fund_loss == EXPECTED  # detection

    run_id = record_run(con, [ring], settings_hash="test", assign=assign_ids)
    record = ring_from_json(ring_to_json(ring), run_id)

    # explorer: the ring page's table (its Σ row), the overview headline and the weekly trend
    table = fund_loss_table(con, record, settlement_timeline(con, record))
    assert table.iloc[-1]["facility"] == "Σ" and table.iloc[-1]["fund_paid"] == EXPECTED
    assert sum(table.iloc[:-1]["fund_paid"], Decimal(0)) == EXPECTED
    assert table.iloc[-1]["transactions"] == 5  # the listed-twice settlement counts once
    ring_set = RingSet((record,), "ring book")
    assert headline(ring_table(ring_set, con, {}))["fund_loss"] == EXPECTED
    assert sum(weekly_trend_data(con, ring_set, Translator("zh"))["fund_loss"], Decimal(0)) == EXPECTED

    # weekly report: the ring transactions dated in the week (all five fall in the week of 2 March 2026)
    activity = week_activity(con, run_id, date(2026, 3, 2))
    week_before = week_activity(con, run_id, date(2026, 2, 23))
    assert activity.ring_loss + week_before.ring_loss == EXPECTED
    assert activity.ring_transactions + week_before.ring_transactions == 5
    losses = week_losses(con, [("2026-W09", run_id, date(2026, 2, 23)), ("2026-W10", run_id, date(2026, 3, 2))])
    assert sum(losses.values(), Decimal(0)) == EXPECTED

    # referral package
    case = gather_case(con, record)
    assert case.fund_loss.total == EXPECTED
    assert sum((f["amount"] for f in case.fund_loss.per_facility), Decimal(0)) == EXPECTED
    for figure in (ring.fund_loss, table.iloc[-1]["fund_paid"], case.fund_loss.total, activity.ring_loss
                   + week_before.ring_loss):
        assert isinstance(figure, Decimal)
