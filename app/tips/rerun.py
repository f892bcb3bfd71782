"""A focused re-run: every detector on the neighbourhood of what a tip names.

When a tip names entities that no ring holds, the investigator may want to
know whether the detectors see a ring *there*, with the tip's entities as
the seed.  The neighbourhood (``rerun_hops`` around each matched entity, by
the store's own walk) gives the people, cards, facilities, prescribers and
employers; every settlement of those (all of a facility's, so the detectors
keep their baselines), with its lines, cards, holders, drugs, employments
and maternity claims, is copied into an in-memory DuckDB with the contract's
schema, and :func:`analytics.pipeline.run_detection` runs on it unchanged.

The workspace is only read: the candidates get provisional ids (``T-…-F…``),
go to a rings.json of their own (never the ring book) and are named in the
audit log, so that an investigator decides whether a full run is due.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from ringscope.app import audit
from ringscope.app.errors import UserError
from ringscope.app.tips import store as tip_store
from ringscope.graph.catalogue import ensure_schema
from ringscope.graph.store import NodeRef, Store
from ringscope.ingest.contract import TABLES

SEED_LABELS = {"Patient": "patients", "Card": "cards", "Institution": "facilities", "Pharmacy": "facilities",
               "Prescriber": "prescribers", "Employer": "employers"}


@dataclass(frozen=True)
class RerunResult:
    rings: list[dict[str, Any]]
    settlements: int
    seeds: int
    path: Path


def _seed_ids(store: Store, refs: list[NodeRef], hops: int, limit: int) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {t: set() for t in set(SEED_LABELS.values())}
    for ref in refs:
        for node in store.neighbourhood(ref, hops=hops, node_limit=limit).nodes:
            if node.label in SEED_LABELS:
                ids[SEED_LABELS[node.label]].add(node.id)
    return ids


def _column(table: Any, name: str) -> list[str]:
    return sorted({str(v) for v in table.column(name).to_pylist() if v is not None})


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> Any:
    """Rows as an Arrow table (a relation, not a DB-API result: no extra copy)."""
    return con.sql(sql, params=params).to_arrow_table()


def copy_neighbourhood(con: duckdb.DuckDBPyConnection, seeds: dict[str, set[str]], max_settlements: int
                       ) -> tuple[duckdb.DuckDBPyConnection, int]:
    """An in-memory store holding only the neighbourhood's rows (same schema as the catalogue)."""
    lists = [sorted(seeds["cards"]), sorted(seeds["patients"]), sorted(seeds["prescribers"]), sorted(seeds["facilities"])]
    where = ("WHERE list_contains(?, card_id) OR list_contains(?, patient_id) OR list_contains(?, prescriber_id) "
             "OR list_contains(?, facility_id)")
    n = int(con.execute(f"SELECT count(*) FROM settlements {where}", lists).fetchall()[0][0])
    if n > max_settlements:
        raise UserError(f"the neighbourhood holds {n:,} settlements, more than [app.tips] rerun_max_settlements "
                        f"({max_settlements:,}); run `ringscope detect` on the whole store instead")
    tables: dict[str, Any] = {}
    tables["settlements"] = _arrow(con, f"SELECT * FROM settlements {where}", lists)
    s = tables["settlements"]
    cards = sorted(set(_column(s, "card_id")) | seeds["cards"])
    tables["cards"] = _arrow(con, "SELECT * FROM cards WHERE list_contains(?, card_id) OR list_contains(?, patient_id)",
                             [cards, sorted(seeds["patients"])])
    tables["dispensings"] = _arrow(con, "SELECT * FROM dispensings WHERE list_contains(?, settlement_id)",
                                   [_column(s, "settlement_id")])
    people = sorted(set(_column(s, "patient_id")) | set(_column(tables["cards"], "patient_id")) | seeds["patients"])
    employers = sorted(seeds["employers"])
    tables["employments"] = _arrow(con, "SELECT * FROM employments WHERE list_contains(?, patient_id) "
                                        "OR list_contains(?, employer_id)", [people, employers])
    tables["maternity_claims"] = _arrow(con, "SELECT * FROM maternity_claims WHERE list_contains(?, patient_id) "
                                             "OR list_contains(?, employer_id)", [people, employers])
    employers = sorted(set(employers) | set(_column(tables["employments"], "employer_id"))
                       | set(_column(tables["maternity_claims"], "employer_id")))
    people = sorted(set(people) | set(_column(tables["employments"], "patient_id")))
    tables["patients"] = _arrow(con, "SELECT * FROM patients WHERE list_contains(?, patient_id)", [people])
    tables["employers"] = _arrow(con, "SELECT * FROM employers WHERE list_contains(?, employer_id)", [employers])
    prescribers = sorted(set(_column(s, "prescriber_id")) | seeds["prescribers"])
    tables["prescribers"] = _arrow(con, "SELECT * FROM prescribers WHERE list_contains(?, prescriber_id)",
                                   [prescribers])
    facilities = sorted(set(_column(s, "facility_id")) | seeds["facilities"]
                        | set(_column(tables["prescribers"], "facility_id")))
    tables["facilities"] = _arrow(con, "SELECT * FROM facilities WHERE list_contains(?, facility_id)", [facilities])
    for reference in sorted(set(TABLES) - set(tables)):  # small reference tables (drugs, DRG groups): whole
        tables[reference] = _arrow(con, f"SELECT * FROM {reference}", [])
    mem = duckdb.connect(":memory:")
    ensure_schema(mem)
    for name, rows in tables.items():
        mem.register("_focused_rows", rows)
        mem.execute(f"INSERT INTO {name} SELECT * FROM _focused_rows")
        mem.unregister("_focused_rows")
    return mem, int(n)


def focused_rerun(cfg: Any, ctx: Any, store: Store, tip_id: str, user: str, out: Path | None = None) -> RerunResult:
    """Detect on the tip's neighbourhood; write the candidates beside the workspace and log them."""
    from ringscope.analytics.pipeline import provisional_ids, run_detection
    from ringscope.analytics.rings_json import ring_to_json, write_rings_json
    from ringscope.analytics.settings import DetectionSettings, SettingsError

    con = store.relational()
    tip_store.get_tip(con, tip_id)
    refs = sorted({NodeRef(m["label"], m["id"]) for e in tip_store.tip_entities(con, tip_id) for m in e.matches
                   if m["label"] in SEED_LABELS})
    if not refs:
        raise UserError(f"tip {tip_id} names nothing found in the store, so there is no neighbourhood to re-run on")
    try:
        settings = DetectionSettings.from_dict(cfg.detection)
    except SettingsError as exc:
        raise UserError(f"[detection] settings: {exc}") from None
    seeds = _seed_ids(store, refs, ctx.settings.rerun_hops, ctx.settings.neighbourhood_limit)
    mem, n = copy_neighbourhood(con, seeds, ctx.settings.rerun_max_settlements)
    try:
        rings = provisional_ids(run_detection(mem, settings).rings)
    finally:
        mem.close()
    for ring in rings:
        ring.ring_id = f"{tip_id}-F{ring.ring_id[2:]}"  # focused candidates never look like ring-book ids
    path = Path(out) if out else Path(cfg.workspace) / "tips" / f"{tip_id}-rerun.json"
    write_rings_json(path, rings, datetime.now(timezone.utc), extra={"focused_on_tip": tip_id, "settlements": n})
    docs = [ring_to_json(r) for r in rings]
    audit.record(cfg.workspace, user=user, action="tip_rerun", target=f"tip:{tip_id}",
                 details={"file": str(path), "settlements": n, "candidates": [d["ring_id"] for d in docs]})
    return RerunResult(docs, n, len(refs), path)
