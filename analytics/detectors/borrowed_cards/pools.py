"""Borrowed cards: from linked pairs and batches to pools, and pools of one gang merged.

Components of the links (Leiden above a size) are the pools; batches sharing cards on
different days add the gang's rotating cards; pools presented from one gang phone are one gang.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import (
    register_groups,
    rows,
    union_groups,
)
from ringscope.analytics.detectors.borrowed_cards.assessment import Device
from ringscope.analytics.detectors.borrowed_cards.batches import (
    BATCH_CARDS_SQL,
    BATCH_LINKS_SQL,
    POOL_SQL,
    RUNS_SQL,
    SESSION_POOL_SQL,
    SESSIONS_SQL,
)
from ringscope.analytics.detectors.borrowed_cards.copresence import (
    ATTACH_SQL,
    CHANCE_SQL,
    EDGES_SQL,
    EVENTS_SQL,
    LINKED_POOLS_SQL,
    NEAR_SQL,
    REPEAT_SQL,
    VISITS_SQL,
)
from ringscope.analytics.detectors.borrowed_cards.settings import BorrowedCardsSettings
from ringscope.analytics.detectors.borrowed_cards.signs import CardSigns
from ringscope.analytics.settings import DetectionSettings


def coordinated_pools(con: duckdb.DuckDBPyConnection, settings: DetectionSettings,
                       engine: CommunityEngine | None) -> list[tuple[str, str, float]] | None:
    """Co-presentations, the chance test, pools (registered as _rs_bc_groups); returns the pair
    edges (empty when the pools come from batches alone), or None when there is no pool."""
    cfg = settings.borrowed_cards
    windows = {"window": cfg.window_minutes * 60, "facility_window": cfg.facility_window_minutes * 60}
    alpha = math.log10(cfg.chance_alpha)
    con.execute(EVENTS_SQL, {"skip_inpatient": cfg.skip_inpatient})
    con.execute(REPEAT_SQL, {"min_days": cfg.min_shared_days})
    con.execute(NEAR_SQL, windows)
    con.execute(CHANCE_SQL, windows)
    con.execute(VISITS_SQL)
    con.execute(EDGES_SQL, {"min_days": cfg.min_shared_days, "log10_alpha": alpha, "share": cfg.min_visit_share})
    edge_rows = rows(con, "SELECT 'card:' || card_a, 'card:' || card_b, shared_days FROM _rs_bc_edges ORDER BY 1, 2")
    groups = [g for g in find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above,
                                     cfg.leiden_resolution, settings.seed, cfg.leiden_min_modularity)
              if len(g) >= 2] if edge_rows else []
    groups = _with_batch_gangs(groups, _batch_gangs(con, cfg, windows, alpha))
    if not groups:
        return None
    register_groups(con, "_rs_bc_groups", groups)
    con.execute(ATTACH_SQL, {"min_days": cfg.min_shared_days, "min_links": cfg.attach_min_links,
                              "log10_alpha": alpha, "share": cfg.min_visit_share})
    links = rows(con, LINKED_POOLS_SQL, {"min_days": cfg.min_shared_days, "log10_alpha": alpha,
                                          "min_links": cfg.attach_min_links})
    if links:
        _regroup(con, links)
    con.execute(POOL_SQL)
    con.execute(SESSIONS_SQL, {"window": windows["window"], "min_links": cfg.attach_min_links})
    con.execute(SESSION_POOL_SQL)
    return edge_rows


BatchGang = dict[str, set]
"""A gang found from its batches: each of its cards (``card:<id>``) with the days it came in them."""


def _batch_gangs(con: duckdb.DuckDBPyConnection, cfg: BorrowedCardsSettings, windows: dict[str, int],
                 alpha: float) -> list[BatchGang]:
    """Gangs found from their batches: runs linked (chance test) into chains of one gang.

    A card belongs to the gang when it came in the chain's batches on ``min_shared_days``
    days and on ``min_visit_share`` of its visits there: a rotating gang's cards come back
    with its batches while any two of them rarely meet twice; a regular who was settled next
    to a batch once or twice among many visits does not belong.
    """
    con.execute(RUNS_SQL, {**windows, "min_links": cfg.attach_min_links, "log10_alpha": alpha})
    con.execute(BATCH_LINKS_SQL, {"min_links": cfg.attach_min_links})
    parent: dict[tuple, tuple] = {}

    def root(b: tuple) -> tuple:
        parent.setdefault(b, b)
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for fac, d1, r1, d2, r2 in rows(con, "SELECT * FROM _rs_bc_batch_links ORDER BY ALL"):
        ra, rb = root((fac, d1, r1)), root((fac, d2, r2))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    days: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    visits: dict[tuple[str, str], int] = {}
    for fac, day, run, card, n in rows(con, BATCH_CARDS_SQL):
        days[root((fac, day, run))][card].add(day)
        visits[(fac, card)] = n
    gangs = []
    for chain, cards in sorted(days.items()):
        keep = {f"card:{c}": ds for c, ds in sorted(cards.items())
                if len(ds) >= cfg.min_shared_days and len(ds) >= cfg.min_visit_share * visits[(chain[0], c)]}
        if len(keep) >= 2:
            gangs.append(keep)
    return gangs


def _with_batch_gangs(groups: list[list[str]], gangs: list[BatchGang]) -> list[list[str]]:
    """Pools from repeated pairs and gangs from linked batches, joined where they share a card.

    A batch chain is joined to the pool whose cards it carries, but it never joins two pools
    by itself: one run can hold two gangs' sessions interleaved at a shared counter, and
    chaining through it would make them one.  Its new cards go each to the pool whose
    cards came on the same days (the gang it came with), else to the pool it carries most
    of; whether two pools are one gang is the chance test of ``LINKED_POOLS_SQL`` (meetings
    on repeated days beyond what both pools' days there explain).
    """
    everything = [list(g) for g in groups]
    pool_of = {key: i for i, group in enumerate(groups) for key in group}
    first: dict[str, int] = {}
    links = []
    for gang in gangs:
        carried = Counter(pool_of[key] for key in gang if key in pool_of)
        placed: dict[str, int] = {}  # each new card -> the group it was put in
        if len(carried) >= 2:
            for i, cards in sorted(_split_by_pool(gang, pool_of, carried).items()):
                everything.append(cards)
                links.append((i, len(everything) - 1))
                placed.update(dict.fromkeys(cards, len(everything) - 1))
        else:
            everything.append(sorted(gang))
            links += [(i, len(everything) - 1) for i in carried]
            placed = {key: len(everything) - 1 for key in gang if key not in pool_of}
        for key, j in sorted(placed.items()):
            if key in first:
                links.append((first[key], j))
            else:
                first[key] = j
    return union_groups(everything, links) if everything else []


def _split_by_pool(gang: BatchGang, pool_of: dict[str, int], carried: Counter) -> dict[int, list[str]]:
    """A chain's new cards, each with the carried pool whose cards came on most of its days."""
    pool_days: dict[int, set] = defaultdict(set)
    for key, ds in gang.items():
        if key in pool_of:
            pool_days[pool_of[key]] |= ds
    home = min(carried, key=lambda i: (-carried[i], i))
    parts: dict[int, list[str]] = defaultdict(list)
    for key, ds in sorted(gang.items()):
        if key not in pool_of:
            best = max(sorted(carried), key=lambda i: (len(ds & pool_days[i]), i == home))
            parts[best if ds & pool_days[best] else home].append(key)
    return parts


def _regroup(con: duckdb.DuckDBPyConnection, links: list[tuple[int, int]]) -> None:
    """Re-register the pools with ``links`` (pairs of pool numbers) merged."""
    current: dict[int, list[str]] = defaultdict(list)
    for grp, node in rows(con, "SELECT grp, node FROM _rs_bc_groups ORDER BY grp, node"):
        current[grp].append(node)
    register_groups(con, "_rs_bc_groups", union_groups([current[g] for g in range(max(current) + 1)], links))


def merge_by_gang_device(by_group: dict[int, list[CardSigns]], devices: dict[str, Device],
                          cfg: BorrowedCardsSettings) -> dict[int, list[CardSigns]]:
    """Pools presented from one gang phone are one gang's pools.

    Only a device that is the pools' own (at least half of everything it ever presented is
    pool settlements) merges: a counter terminal serves every gang and every patient.
    """
    if not cfg.merge_by_device:
        return by_group
    pool_use: dict[str, float] = defaultdict(float)
    groups_of: dict[str, set[int]] = defaultdict(set)
    for grp, cards in by_group.items():
        per_device: dict[str, int] = defaultdict(int)
        for c in cards:
            for d in c.devices:
                per_device[d] += 1
                pool_use[d] += c.pool_settlements / max(len(c.devices), 1)
        for d, k in per_device.items():
            if k >= 2:
                groups_of[d].add(grp)
    parent = {g: g for g in by_group}

    def root(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for d in sorted(groups_of):
        own = d in devices and pool_use[d] >= 0.5 * devices[d].settlements
        gs = sorted(groups_of[d])
        for g in gs[1:] if own else []:
            ra, rb = root(gs[0]), root(g)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    merged: dict[int, list[CardSigns]] = defaultdict(list)
    for grp in sorted(by_group):
        merged[root(grp)].extend(by_group[grp])
    return dict(merged)
