"""The ring book: every detection run and its rings, in the workspace DuckDB file.

Investigators cite ring ids in case files, so a ring keeps its id while it
persists across runs on growing data.  Which new ring inherits which old id
is decided in analytics (``analytics.ring_identity``, handed to
:func:`record_run` by the app); the book reads the previous run's rings and
stores the ids.  An id is never reused.

Tables (plain, so that ``analytics.ring_evolution`` / ``graph.ring_history``
can classify rings as new, grown, merged or split on top):

``ring_runs``
    ``run_id`` (``RUN-000001``...), ``started_at``, ``finished_at``,
    ``settings_hash`` (``DetectionSettings.digest()``), ``drop_ids``
    (VARCHAR[]: drops in the store when the run started), ``scorer``,
    ``ring_count``, ``fund_loss``.
``ring_book_rings``
    ``run_id``, ``ring_id``, ``scheme``, ``score``, ``fund_loss``
    (DECIMAL(18,2)), ``matched_jaccard`` (to the previous run's ring with the
    same id, NULL when new), ``evidence`` (JSON list of ``kind``/``text``/
    ``text_zh``/``value``), ``features`` (JSON object).
``ring_book_members``
    ``run_id``, ``ring_id``, ``member_type``, ``member_id``, ``role``.
``ring_book_txns``
    ``run_id``, ``ring_id``, ``kind`` (``settlement`` or ``claim``), ``txn_id``.
``ring_ids``
    ``ring_id``, ``scheme``, ``first_run_id``, ``last_run_id``: every id ever
    issued (ids are never reused).

Every function takes a DuckDB connection (the DuckDB store's own, from
``store.relational()``), so the book lives next to the data it describes.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

import duckdb
import pandas as pd

# (rings, previous run's rings as id -> (scheme, member keys), next free number)
#   -> (ids in ring order, Jaccard of each inherited match or None, next free number)
AssignIds = Callable[[Sequence[Any], dict[str, tuple[str, frozenset[str]]], int],
                     tuple[list[str], list[float | None], int]]

DDL = (
    "CREATE TABLE IF NOT EXISTS ring_runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMPTZ, "
    "finished_at TIMESTAMPTZ, settings_hash VARCHAR, drop_ids VARCHAR[], scorer VARCHAR, ring_count INTEGER, "
    "fund_loss DECIMAL(18,2))",
    "CREATE TABLE IF NOT EXISTS ring_book_rings (run_id VARCHAR, ring_id VARCHAR, scheme VARCHAR, score DOUBLE, "
    "fund_loss DECIMAL(18,2), matched_jaccard DOUBLE, evidence VARCHAR, features VARCHAR, PRIMARY KEY (run_id, ring_id))",
    "CREATE TABLE IF NOT EXISTS ring_book_members (run_id VARCHAR, ring_id VARCHAR, member_type VARCHAR, "
    "member_id VARCHAR, role VARCHAR)",
    "CREATE TABLE IF NOT EXISTS ring_book_txns (run_id VARCHAR, ring_id VARCHAR, kind VARCHAR, txn_id VARCHAR)",
    "CREATE TABLE IF NOT EXISTS ring_ids (ring_id VARCHAR PRIMARY KEY, scheme VARCHAR, first_run_id VARCHAR, "
    "last_run_id VARCHAR)",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def previous_run(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT max(run_id) FROM ring_runs").fetchall()
    return row[0][0] if row and row[0][0] else None


def previous_rings(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, tuple[str, frozenset[str]]]:
    """ring_id -> (scheme, member keys) of one run."""
    out: dict[str, tuple[str, set[str]]] = {}
    for ring_id, scheme in con.execute(
        "SELECT ring_id, scheme FROM ring_book_rings WHERE run_id = ? ORDER BY ring_id", [run_id]
    ).fetchall():
        out[ring_id] = (scheme, set())
    for ring_id, mtype, mid in con.execute(
        "SELECT ring_id, member_type, member_id FROM ring_book_members WHERE run_id = ?", [run_id]
    ).fetchall():
        if ring_id in out:
            out[ring_id][1].add(f"{mtype}:{mid}")
    return {k: (s, frozenset(m)) for k, (s, m) in out.items()}


def _next_number(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT max(CAST(substr(ring_id, 3) AS BIGINT)) FROM ring_ids WHERE ring_id LIKE 'R-%'").fetchall()
    return int(row[0][0] or 0) + 1


def _drop_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        return [r[0] for r in con.execute("SELECT drop_id FROM ingest_drops ORDER BY drop_id").fetchall()]
    except duckdb.CatalogException:
        return []


def record_run(
    con: duckdb.DuckDBPyConnection,
    rings: Sequence[Any],
    settings_hash: str,
    scorer: str = "",
    started_at: datetime | None = None,
    drop_ids: Iterable[str] | None = None,
    *,
    assign: AssignIds,
) -> str:
    """Give ``rings`` stable ids (sets ``ring.ring_id``) and store the run; returns the run id.

    ``assign`` is the identity rule (``analytics.ring_identity.assign_ids``):
    the book stores ids, it does not decide which ring is which.
    """
    ensure_schema(con)
    started = started_at or datetime.now(timezone.utc)
    prev = previous_run(con)
    previous = previous_rings(con, prev) if prev else {}
    drops = list(drop_ids) if drop_ids is not None else _drop_ids(con)  # before the transaction: may not exist
    con.execute("BEGIN TRANSACTION")
    try:
        ids, jaccards, _ = assign(rings, previous, _next_number(con))
        n = con.execute("SELECT count(*) FROM ring_runs").fetchall()[0][0]
        run_id = f"RUN-{n + 1:06d}"
        total = sum((Decimal(str(getattr(r, "fund_loss", 0))) for r in rings), Decimal("0"))
        con.execute(
            "INSERT INTO ring_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started, datetime.now(timezone.utc), settings_hash, drops, scorer, len(rings), total],
        )
        ring_rows, member_rows, txn_rows = [], [], []
        for ring, rid, jac in zip(rings, ids, jaccards):
            ring.ring_id = rid
            ring_rows.append((
                run_id, rid, ring.scheme, float(ring.score), str(getattr(ring, "fund_loss", "0")), jac,
                json.dumps([e.to_json() for e in ring.evidence], ensure_ascii=False),
                json.dumps(dict(sorted(ring.features.items()))),
            ))
            member_rows += [(run_id, rid, m.type, m.id, m.role) for m in ring.members]
            txn_rows += [(run_id, rid, "settlement", s) for s in ring.settlement_ids]
            txn_rows += [(run_id, rid, "claim", c) for c in ring.claim_ids]
        _insert(con, "ring_book_rings", ring_rows,
                ["run_id", "ring_id", "scheme", "score", "fund_loss", "matched_jaccard", "evidence", "features"],
                {"fund_loss": "DECIMAL(18,2)", "score": "DOUBLE", "matched_jaccard": "DOUBLE"})
        _insert(con, "ring_book_members", member_rows, ["run_id", "ring_id", "member_type", "member_id", "role"])
        _insert(con, "ring_book_txns", txn_rows, ["run_id", "ring_id", "kind", "txn_id"])
        for ring, rid in zip(rings, ids):
            con.execute(
                "INSERT INTO ring_ids VALUES (?, ?, ?, ?) ON CONFLICT (ring_id) DO UPDATE SET last_run_id = excluded.last_run_id",
                [rid, ring.scheme, run_id, run_id],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return run_id


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: list[tuple], columns: list[str],
            casts: dict[str, str] | None = None) -> None:
    if not data:
        return
    casts = casts or {}
    df = pd.DataFrame(data, columns=columns).astype("object")
    con.register("_rs_book_rows", df)
    try:
        select = ", ".join(f"CAST({c} AS {casts.get(c, 'VARCHAR')})" for c in columns)
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM _rs_book_rows")
    finally:
        con.unregister("_rs_book_rows")


# --- reading -------------------------------------------------------------------

def _ring_dicts(con: duckdb.DuckDBPyConnection, run_id: str, ring_id: str | None = None) -> list[dict[str, Any]]:
    where, params = "WHERE r.run_id = ?", [run_id]
    if ring_id is not None:
        where += " AND r.ring_id = ?"
        params.append(ring_id)
    rings = con.execute(
        f"SELECT r.ring_id, r.scheme, r.score, r.fund_loss, r.evidence, r.features FROM ring_book_rings r {where} "
        "ORDER BY r.score DESC, r.ring_id", params).fetchall()
    if not rings:
        return []
    wanted = [r[0] for r in rings]
    members: dict[str, list[dict[str, str]]] = {}
    for rid, t, i, role in con.execute(
        "SELECT ring_id, member_type, member_id, role FROM ring_book_members WHERE run_id = ? AND list_contains(?, ring_id) "
        "ORDER BY ring_id, member_type, member_id", [run_id, wanted]).fetchall():
        members.setdefault(rid, []).append({"type": t, "id": i, "role": role})
    txns: dict[tuple[str, str], list[str]] = {}
    for rid, kind, tid in con.execute(
        "SELECT ring_id, kind, txn_id FROM ring_book_txns WHERE run_id = ? AND list_contains(?, ring_id) ORDER BY 1, 2, 3",
        [run_id, wanted]).fetchall():
        txns.setdefault((rid, kind), []).append(tid)
    return [
        {
            "ring_id": rid, "scheme": scheme, "score": score, "fund_loss": float(loss),
            "members": members.get(rid, []),
            "settlement_ids": txns.get((rid, "settlement"), []), "claim_ids": txns.get((rid, "claim"), []),
            "evidence": json.loads(evidence or "[]"), "features": json.loads(features or "{}"), "run_id": run_id,
        }
        for rid, scheme, score, loss, evidence, features in rings
    ]


def latest_rings(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The latest run's rings as rings.json items (plus ``run_id``); [] when no run yet."""
    run = previous_run(con)
    return _ring_dicts(con, run) if run else []


def load_rings(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[dict[str, Any]]:
    run = run_id or previous_run(con)
    return _ring_dicts(con, run) if run else []


def get_ring(con: duckdb.DuckDBPyConnection, ring_id: str, run_id: str | None = None) -> dict[str, Any] | None:
    """One ring of the latest run that has it (or of ``run_id``), with ``run`` metadata."""
    if run_id is None:
        row = con.execute("SELECT max(run_id) FROM ring_book_rings WHERE ring_id = ?", [ring_id]).fetchall()
        run_id = row[0][0] if row else None
        if not run_id:
            return None
    found = _ring_dicts(con, run_id, ring_id)
    if not found:
        return None
    item = found[0]
    run = con.execute("SELECT run_id, started_at, settings_hash, scorer FROM ring_runs WHERE run_id = ?", [run_id]).fetchall()
    if run:
        item["run"] = {"run_id": run[0][0], "started_at": str(run[0][1]), "settings_hash": run[0][2], "scorer": run[0][3]}
    return item


def runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = ["run_id", "started_at", "finished_at", "settings_hash", "drop_ids", "scorer", "ring_count", "fund_loss"]
    return [dict(zip(cols, r)) for r in con.execute(f"SELECT {', '.join(cols)} FROM ring_runs ORDER BY run_id").fetchall()]


def booked_txns(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[str], list[str]]:
    """Settlement and claim ids of every ring of a recorded run (each once), or two empty lists.

    The book only stores which transactions a run's rings hold; what they cost
    is analytics' rule (``analytics.fund_loss``), applied by the caller.
    """
    try:
        rows = con.execute("SELECT DISTINCT kind, txn_id FROM ring_book_txns WHERE run_id = ? ORDER BY 1, 2",
                           [run_id]).fetchall()
    except duckdb.CatalogException:  # no run recorded in this workspace yet
        return [], []
    return [t for k, t in rows if k == "settlement"], [t for k, t in rows if k == "claim"]
