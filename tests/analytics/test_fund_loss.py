from decimal import Decimal

from ringscope.analytics.fund_loss import attach_fund_loss, fund_loss_of
from ringscope.analytics.ring import Member, Ring
from tests.analytics.worlds import day


def test_fund_loss_is_exact_to_the_cent_and_counts_each_transaction_once(world):
    world.facility("F1")
    world.patient("P1")
    ids = [world.settle("P1", "F1", day(i), fund=f) for i, f in enumerate((0.10, 0.20, 1234.57, 99999.99))]
    world.t["employers"].append({"employer_id": "E1"})
    world.t["maternity_claims"].append({"claim_id": "MC1", "patient_id": "P1", "employer_id": "E1",
                                        "claimed_on": day(1).date(), "amount": 16646.93})
    con = world.con()
    assert fund_loss_of(con, ids + ids[:2], ["MC1", "MC1"]) == Decimal("117881.79")
    ring = Ring("mixed", [Member("patient", "P1")], settlement_ids=[ids[0], ids[1]], claim_ids=[])
    empty = Ring("mixed", [Member("patient", "P2")])
    attach_fund_loss(con, [ring, empty])
    assert ring.fund_loss == Decimal("0.30")
    assert empty.fund_loss == Decimal("0.00")


def test_unknown_transactions_add_nothing(world):
    con = world.con()
    assert fund_loss_of(con, ["nope"], ["nope"]) == Decimal("0.00")
