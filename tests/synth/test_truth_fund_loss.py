"""The generator's truth counts a ring's fund loss by the contract's rule (section 3).

trace_resale: the resale settlements, plus each listed seller's purchases of the drugs
they resold, at the places where they bought the resold boxes, within the ring's active
period (its first purchase of a box later resold to its last resale), re-scanned or not.
A hand-built ring checks the rule itself; the shared drop checks that the planted rings'
truth is exactly what that rule gives on the drop's own rows.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np

from ringscope.ingest.synth.facts import DAY
from ringscope.ingest.synth.schemes.lifecycle import RingPlan
from ringscope.ingest.synth.schemes.trace_resale import Purchase, Resold, _record_seller_losses
from ringscope.ingest.synth.truth import Truth

A, B, C, D = 1, 2, 3, 4  # facilities
X, Y = 10, 11  # drugs


def _plan(ring_id: str) -> RingPlan:
    return RingPlan(ring_id, "trace_resale", 0, 200, 3, np.zeros(3, dtype=np.int64))


def _buy(sid: int, fund: int, day: int, facility: int, *drugs: int) -> Purchase:
    return Purchase(sid, fund, day * DAY + 36_000, facility, frozenset(drugs))


def _losses(truth: Truth) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for ring, kind, number, loss, _day in truth.txns:
        assert kind == "settlement"
        out[ring][number] = loss
    return out


def test_seller_purchases_count_at_the_resold_boxes_places_of_their_drugs_within_the_period():
    purchases = {
        1: [_buy(11, 100, 10, A, X),      # bought the box resold on day 50: counts
            _buy(12, 200, 20, A, X),      # same place, same drug, not re-scanned: counts
            _buy(13, 400, 25, B, X),      # another place: not shown to be the scheme's
            _buy(14, 800, 30, A, Y),      # a drug this seller never resold
            _buy(15, 1600, 35, A, X, Y),  # holds the resold drug: counts, whole
            _buy(16, 3200, 90, A, X)],    # after the ring's last resale (day 60)
        2: [_buy(21, 10, 5, C, Y),        # before the ring's first purchase of a resold box (day 10)
            _buy(22, 20, 40, C, Y)],      # bought the box resold on day 60: counts
        3: [_buy(31, 5000, 15, D, X)],    # none of their boxes came back: not listed
    }
    resold = {"TR-0001": [Resold(1, X, A, 10 * DAY + 36_000, 50 * DAY + 40_000),
                          Resold(2, Y, C, 40 * DAY + 36_000, 60 * DAY + 40_000)]}
    truth = Truth()
    _record_seller_losses([_plan("TR-0001")], purchases, resold, truth)
    assert _losses(truth) == {"TR-0001": {11: 100, 12: 200, 15: 1600, 22: 20}}
    assert sum(_losses(truth)["TR-0001"].values()) == 1920
    sellers = {index: day for (ring, etype, index), (_role, day) in truth.members.items() if etype == "patient"}
    assert sellers == {1: 50, 2: 60}  # listed from the day one of their boxes was first resold


def test_an_absorbed_rings_period_is_the_merged_rings():
    survivor, absorbed = _plan("TR-0001"), _plan("TR-0002")
    absorbed.survivor, absorbed.merge_day = survivor, 25
    purchases = {1: [_buy(11, 100, 10, A, X), _buy(12, 200, 40, A, X)],
                 2: [_buy(21, 10, 30, B, X)]}
    resold = {"TR-0001": [Resold(1, X, A, 10 * DAY, 20 * DAY)],
              "TR-0002": [Resold(2, X, B, 30 * DAY, 50 * DAY)]}
    truth = Truth()
    _record_seller_losses([survivor, absorbed], purchases, resold, truth)
    # day 40 is after the survivor's own last resale (day 20) but inside the merged ring's
    assert _losses(truth) == {"TR-0001": {11: 100, 12: 200}, "TR-0002": {21: 10}}


def _rows_by(drop, table: str, key: str) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in drop[table]}


def test_planted_trace_resale_truth_is_the_contract_rule_on_the_drops_rows(drop):
    """Recomputed from the drop's own rows: resales are the later scans of a trace code,
    the seller is the first buyer; the truth must list exactly those resale settlements
    and the sellers' purchases the rule counts, for every planted trace_resale ring."""
    settlements = _rows_by(drop, "settlements", "settlement_id")
    at = {sid: datetime.fromisoformat(r["settled_at"]) for sid, r in settlements.items()}
    lines: dict[str, set[str]] = defaultdict(set)
    scans: dict[str, list[str]] = defaultdict(list)
    for r in drop["dispensings"]:
        lines[r["settlement_id"]].add(r["drug_code"])
        if r["trace_code"]:
            scans[r["trace_code"]].append(r["settlement_id"])
    resale_of: dict[str, list[tuple[str, str]]] = defaultdict(list)  # resale sid -> (origin sid, drug)
    for code, sids in scans.items():
        sids.sort(key=lambda s: (at[s], s))
        for later in sids[1:]:
            resale_of[later].append((sids[0], code))
    drug_of_code = {r["trace_code"]: r["drug_code"] for r in drop["dispensings"] if r["trace_code"]}
    truth_txns: dict[str, set[str]] = defaultdict(set)
    scheme = {r["ring_id"]: r["scheme"] for r in drop.truth("rings")}
    for r in drop.truth("ring_settlements"):
        if scheme[r["ring_id"]] == "trace_resale":
            truth_txns[r["ring_id"]].add(r["txn_id"])
    assert truth_txns
    by_patient: dict[str, list[str]] = defaultdict(list)
    for sid, r in settlements.items():
        by_patient[r["patient_id"]].append(sid)
    for ring, txns in truth_txns.items():
        resales = {s for s in txns if s in resale_of}
        sold = {(settlements[o]["patient_id"], settlements[o]["facility_id"], drug_of_code[c])
                for s in resales for o, c in resale_of[s]}
        first = min(at[o] for s in resales for o, _ in resale_of[s])
        last = max(at[s] for s in resales)
        expected = set(resales)
        for seller in {p for p, _, _ in sold}:
            expected |= {s for s in by_patient[seller] if first <= at[s] <= last
                         and any((seller, settlements[s]["facility_id"], d) in sold for d in lines[s])}
        assert txns == expected, ring
