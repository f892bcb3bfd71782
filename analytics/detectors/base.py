"""Plumbing the detectors share: moving small tables between DuckDB and Python.

Set-based work stays in SQL; only the reduced edge lists and the groups
found in them cross over.  Temporary objects carry the ``_rs_`` prefix and
the detector's name so that detectors never collide on one connection.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import duckdb
import pandas as pd


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
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


def fmt_money(value: Any) -> str:
    return f"{float(value):,.2f}"
