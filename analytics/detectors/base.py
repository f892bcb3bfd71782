"""Plumbing the detectors share: moving small tables between DuckDB and Python.

Set-based work stays in SQL; only the reduced edge lists and the groups
found in them cross over.  Temporary objects carry the ``_rs_`` prefix and
the detector's name so that detectors never collide on one connection.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping, Sequence

import duckdb
import pandas as pd


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[tuple]:
    """Run ``sql`` and fetch every row (DuckDB 2: results must be fully fetched)."""
    return con.execute(sql, params or []).fetchall()


def register_groups(con: duckdb.DuckDBPyConnection, name: str, groups: Iterable[Iterable[str]]) -> None:
    """Create temp table ``name(grp BIGINT, node VARCHAR, type VARCHAR, id VARCHAR)`` from node keys."""
    data = [
        (gi, key, key.split(":", 1)[0], key.split(":", 1)[1])
        for gi, group in enumerate(groups) for key in group
    ]
    df = pd.DataFrame(data, columns=["grp", "node", "type", "id"]).astype(
        {"grp": "int64", "node": "object", "type": "object", "id": "object"}
    )
    con.register(f"{name}_df", df)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT grp, node::VARCHAR AS node, type::VARCHAR AS type, id::VARCHAR AS id FROM {name}_df")
    con.unregister(f"{name}_df")


def drop(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for n in names:
        con.execute(f"DROP TABLE IF EXISTS {n}")


@contextmanager
def temp_tables(con: duckdb.DuckDBPyConnection, *names: str) -> Iterator[None]:
    """A detector's temp tables (its own constants), dropped however the detector ends,
    so that no stale table is read by the next run on the same connection."""
    try:
        yield
    finally:
        drop(con, *names)


def fmt_money(value: Any) -> str:
    return f"{float(value):,.2f}"


def pair_settlements_sql(out: str, pairs: str, groups: str, left: str, right: str) -> str:
    """SQL creating ``out(grp, settlement_id)``: the two settlements behind every pair of one group.

    Pairs (``left``, ``right``, ``s1``, ``s2``) are the co-occurrences a detector linked;
    a ring's transactions are those of its pairs whose two ends landed in the same group.
    Table and column names are the detectors' own constants, never user input.
    """
    return f"""
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT DISTINCT g1.grp, x.settlement_id
FROM {pairs} p
JOIN {groups} g1 ON g1.id = p.{left}
JOIN {groups} g2 ON g2.id = p.{right} AND g2.grp = g1.grp
CROSS JOIN LATERAL (SELECT p.s1 AS settlement_id UNION ALL SELECT p.s2) x
"""


def union_groups(groups: list[list[str]], links: list[tuple[int, int]]) -> list[list[str]]:
    """Groups joined through ``links`` (pairs of group indices), largest first.

    Detectors find groups one behaviour at a time; a link between two groups
    (villagers or patients who moved from one to the other) makes them one ring.
    """
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    merged: dict[int, set[str]] = defaultdict(set)
    for grp, keys in enumerate(groups):
        merged[root(grp)].update(keys)
    return sorted((sorted(keys) for keys in merged.values()), key=lambda g: (-len(g), g[0]))


def moved_links(found: Iterable[tuple], min_moved: int, share: float) -> list[tuple[int, int]]:
    """Group pairs from ``(group, other group, members moved, group size)`` rows.

    A takeover moves a real part of a group (``share``, and at least ``min_moved``
    members); one member who changed place links nothing.
    """
    return [(grp, other) for grp, other, n, size in found if n >= min_moved and n >= share * size]
