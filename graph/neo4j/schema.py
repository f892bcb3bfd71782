"""Constraints and indexes of the Neo4j graph, created idempotently and versioned.

Every label of the graph model (``graph.model.LABELS``) gets a uniqueness
constraint on ``id``: it is the index every ``MERGE``/``MATCH`` of the loader
and the store uses, and it makes a duplicate node impossible even if a load
is interrupted and rerun.  Names get no text index on purpose: measured,
a text index on ``Patient.name`` makes node creation ~2.8x slower, while
``search``'s ``CONTAINS`` over a label scan stays well under a second for a
city's patients (and ``STARTS WITH`` on ``id`` uses the constraint's index).

Bookkeeping labels (never part of the model, never connected):

* ``_RingScopeSchema {version}``: the schema version applied;
* ``_RingScopeDrop {drop_id}``: catalogue drops already projected into the graph;
* ``_RingScopeBatch {key}``: load ledger, one node per committed batch of an
  unfinished load (written in the batch's own transaction, so a killed load
  resumes exactly where it stopped; removed when the load finishes).

All statements are constants built from the code's label whitelist; nothing
here takes a name from data or user input.
"""
from __future__ import annotations

from neo4j import Driver

from ringscope.graph.model import LABELS, NODE_SQL

SCHEMA_VERSION = 1

SCHEMA_LABEL = "_RingScopeSchema"
DROP_LABEL = "_RingScopeDrop"
BATCH_LABEL = "_RingScopeBatch"
BOOKKEEPING_LABELS = (SCHEMA_LABEL, DROP_LABEL, BATCH_LABEL)

# Labels whose caption is their name (graph.model.NODE_SQL: "name AS caption").
NAMED_LABELS: tuple[str, ...] = tuple(label for label in LABELS if "name AS caption" in NODE_SQL[label])


def _ident(name: str) -> str:
    """Guard: only whitelisted identifiers ever reach a Cypher string."""
    if name not in LABELS and name not in BOOKKEEPING_LABELS:
        raise ValueError(f"not a RingScope label: {name!r}")
    return name


def schema_statements() -> list[str]:
    """The DDL, in order; every statement is ``IF NOT EXISTS``."""
    stmts = [
        f"CREATE CONSTRAINT rs_{_ident(label).lower()}_id IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.id IS UNIQUE"
        for label in LABELS
    ]
    stmts += [
        f"CREATE CONSTRAINT rs_schema_version IF NOT EXISTS FOR (n:{SCHEMA_LABEL}) REQUIRE n.name IS UNIQUE",
        f"CREATE CONSTRAINT rs_drop_id IF NOT EXISTS FOR (n:{DROP_LABEL}) REQUIRE n.drop_id IS UNIQUE",
        f"CREATE CONSTRAINT rs_batch_key IF NOT EXISTS FOR (n:{BATCH_LABEL}) REQUIRE n.key IS UNIQUE",
        f"CREATE INDEX rs_batch_load IF NOT EXISTS FOR (n:{BATCH_LABEL}) ON (n.load_id)",
    ]
    return stmts


_GET_VERSION = f"MATCH (s:{SCHEMA_LABEL} {{name: 'ringscope'}}) RETURN s.version AS version"
_SET_VERSION = (
    f"MERGE (s:{SCHEMA_LABEL} {{name: 'ringscope'}}) "
    "SET s.version = $version, s.applied_at = datetime()"
)


def schema_version(driver: Driver, database: str = "neo4j") -> int | None:
    records, _, _ = driver.execute_query(_GET_VERSION, database_=database, routing_="r")
    return records[0]["version"] if records else None


def ensure_schema(driver: Driver, database: str = "neo4j") -> bool:
    """Apply the schema if the graph is behind; returns True when it changed
    anything.  Waits for the indexes to come online (a load that starts
    before its index is online would scan)."""
    current = schema_version(driver, database)
    if current == SCHEMA_VERSION:
        return False
    if current is not None and current > SCHEMA_VERSION:
        raise RuntimeError(
            f"the graph has schema version {current}, newer than this RingScope ({SCHEMA_VERSION}): upgrade RingScope"
        )
    for stmt in schema_statements():
        driver.execute_query(stmt, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    driver.execute_query(_SET_VERSION, version=SCHEMA_VERSION, database_=database)
    return True
