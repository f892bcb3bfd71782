"""ring_evolution: one hand-built case per status, plus properties."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ringscope.analytics.ring_evolution import (
    DISSOLVED,
    GROWN,
    MERGED,
    NEW,
    PERSISTING,
    SHRUNK,
    SPLIT,
    STATUSES,
    EvolutionSettings,
    RingSnapshot,
    classify,
)


def ring(rid, members, scheme="trace_resale", loss=0.0):
    return RingSnapshot.of(rid, scheme, [f"patient:{m}" for m in members], loss)


def status(evo, rid):
    return evo.status_of(rid)


def test_persisting_grown_shrunk():
    prev = [ring("R-1", "abcd"), ring("R-2", "efgh"), ring("R-3", "ijkl")]
    cur = [ring("R-1", "abcd"), ring("R-2", "efghxy"), ring("R-3", "ijk")]
    evo = classify(prev, cur)
    assert status(evo, "R-1") == PERSISTING
    assert status(evo, "R-2") == GROWN
    assert status(evo, "R-3") == SHRUNK
    grown = evo.by_status(GROWN)[0]
    assert (grown.members_before, grown.members_after, grown.members_added) == (4, 6, 2)
    assert grown.kept_id


def test_new_and_dissolved():
    evo = classify([ring("R-1", "abcd")], [ring("R-2", "wxyz")])
    assert status(evo, "R-2") == NEW
    assert [c.ring_id for c in evo.by_status(DISSOLVED)] == ["R-1"]


def test_merged_two_into_one():
    prev = [ring("R-1", "abcd"), ring("R-2", "efgh", loss=10)]
    cur = [ring("R-1", "abcdefgh", loss=30)]
    evo = classify(prev, cur)
    ch = evo.by_status(MERGED)[0]
    assert ch.parents == ("R-1", "R-2")
    assert ch.fund_loss_before == 10 and ch.fund_loss_after == 30
    assert not evo.by_status(DISSOLVED)  # R-2 lives on inside R-1


def test_split_one_into_two():
    prev = [ring("R-1", "abcdefgh")]
    cur = [ring("R-1", "abcd"), ring("R-9", "efgh")]
    evo = classify(prev, cur)
    assert status(evo, "R-1") == SPLIT and status(evo, "R-9") == SPLIT
    assert evo.by_status(SPLIT)[1].parents == ("R-1",)


def test_one_shared_member_is_not_a_link():
    # a patient in two unrelated rings of the same scheme, week to week
    evo = classify([ring("R-1", "abcd")], [ring("R-2", "dxyz")])
    assert status(evo, "R-2") == NEW
    assert status(evo, "R-1") == DISSOLVED


def test_schemes_must_be_compatible():
    prev = [ring("R-1", "abcd", scheme="borrowed_cards")]
    assert status(classify(prev, [ring("R-2", "abcd", scheme="maternity")]), "R-2") == NEW
    assert status(classify(prev, [ring("R-2", "abcd", scheme="mixed")]), "R-2") == PERSISTING


def test_small_ring_needs_all_members_shared():
    prev = [RingSnapshot.of("R-1", "borrowed_cards", ["card:C1"])]
    cur = [RingSnapshot.of("R-1", "borrowed_cards", ["card:C1", "card:C2", "card:C3"])]
    assert classify(prev, cur).changes[0].status == GROWN


def test_threshold_is_configurable():
    prev, cur = [ring("R-1", "abcd")], [ring("R-1", "abxy")]
    assert status(classify(prev, cur), "R-1") == PERSISTING  # 2/4 shared: linked, same size
    assert status(classify(prev, cur, EvolutionSettings(min_overlap=0.75)), "R-1") == NEW


def test_output_order_is_deterministic():
    prev = [ring("R-2", "efgh"), ring("R-1", "abcd")]
    cur = [ring("R-3", "wxyz"), ring("R-1", "abcde")]
    a, b = classify(prev, cur), classify(list(reversed(prev)), list(reversed(cur)))
    assert a.changes == b.changes
    assert [c.status for c in a.changes] == [NEW, GROWN, DISSOLVED]


rings_strategy = st.lists(
    st.frozensets(st.integers(0, 30), min_size=1, max_size=8), min_size=0, max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(rings_strategy, rings_strategy)
def test_every_ring_accounted_for_exactly_once(prev_sets, cur_sets):
    prev = [RingSnapshot(f"P{i}", "maternity", frozenset(f"patient:{m}" for m in s)) for i, s in enumerate(prev_sets)]
    cur = [RingSnapshot(f"C{i}", "maternity", frozenset(f"patient:{m}" for m in s)) for i, s in enumerate(cur_sets)]
    evo = classify(prev, cur)
    current = [c for c in evo.changes if c.status != DISSOLVED]
    assert sorted(c.ring_id for c in current) == sorted(r.ring_id for r in cur)
    linked_prev = {p for c in current for p in c.parents}
    dissolved = {c.ring_id for c in evo.by_status(DISSOLVED)}
    assert linked_prev | dissolved == {r.ring_id for r in prev}
    assert not linked_prev & dissolved
    assert all(c.status in STATUSES for c in evo.changes)
    # the same run twice: every ring persists
    same = classify(cur, cur)
    assert all(c.status in (PERSISTING, MERGED, SPLIT) for c in same.changes)
