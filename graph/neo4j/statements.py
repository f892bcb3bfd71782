"""The loader's Cypher statements, built once from ``graph.model``'s whitelist (values always parameters)."""
from __future__ import annotations

from typing import Callable, Iterator

import duckdb

from ringscope.graph.model import LABELS, REL_TYPE_NAMES
from ringscope.graph.neo4j.schema import BATCH_LABEL, DROP_LABEL

NODE_BATCH = 10_000
REL_BATCH = 10_000
# Two sessions in flight: while Neo4j commits one batch, DuckDB and the driver
# prepare the next (measured on 2 cores: 59k vs 32k relationships/s).
WORKERS = 2
Progress = Callable[[str, float], None]


# --------------------------------------------------------------- statements


def _label(name: str) -> str:
    if name not in LABELS:
        raise ValueError(f"not a graph label: {name!r}")
    return name


def _rel_type(name: str) -> str:
    if name not in REL_TYPE_NAMES:
        raise ValueError(f"not a relationship type: {name!r}")
    return name


def node_statement(label: str, mode: str) -> str:
    if mode == "create":
        # Returns the new nodes' internal ids: the relationships of this load
        # then find their ends by id (a direct record read) instead of an
        # index seek; see rel_by_nid_statement.
        return (f"UNWIND $rows AS r CREATE (n:{_label(label)}) SET n = r "
                "RETURN collect([r.id, id(n)]) AS nids")
    return f"UNWIND $rows AS r MERGE (n:{_label(label)} {{id: r.id}}) SET n += r"


def nid_lookup_statement(label: str) -> str:
    """Internal ids of nodes committed by an earlier, interrupted run."""
    return f"UNWIND $rows AS r MATCH (n:{_label(label)} {{id: r.id}}) RETURN collect([r.id, id(n)]) AS nids"


def rel_by_nid_statement(rel_type: str) -> str:
    """First load only: both ends were created by this load, whose internal
    ids are known (deleted nodes' ids can be reused, so ids are never kept
    past the load that read them)."""
    return (
        "UNWIND $rows AS r MATCH (a) WHERE id(a) = r[0] MATCH (b) WHERE id(b) = r[1] "
        f"CREATE (a)-[:{_rel_type(rel_type)}]->(b)"
    )


def rel_statement(rel_type: str, src_label: str, dst_label: str, mode: str) -> str:
    verb = "CREATE" if mode == "create" else "MERGE"
    return (
        f"UNWIND $rows AS r "
        f"MATCH (a:{_label(src_label)} {{id: r[0]}}) "
        f"MATCH (b:{_label(dst_label)} {{id: r[1]}}) "
        f"{verb} (a)-[:{_rel_type(rel_type)}]->(b)"
    )


_LEDGER_WRITE = f"CREATE (:{BATCH_LABEL} {{key: $key, load_id: $load_id, rows: $n, at: datetime()}})"
_LEDGER_KEYS = f"MATCH (b:{BATCH_LABEL} {{load_id: $load_id}}) RETURN b.key AS key"
_LEDGER_FOREIGN = f"MATCH (b:{BATCH_LABEL}) WHERE b.load_id <> $load_id RETURN count(b) AS n"
# Once every catalogue drop is projected, no ledger (this load's or an
# abandoned one's) is needed any more.
_LEDGER_CLEAR = f"MATCH (b:{BATCH_LABEL}) DELETE b"
_PROJECTED_DROPS = f"MATCH (d:{DROP_LABEL}) RETURN d.drop_id AS drop_id"
_MARK_DROPS = (
    f"UNWIND $drops AS d MERGE (x:{DROP_LABEL} {{drop_id: d}}) "
    "SET x.projected_at = datetime(), x.load_id = $load_id"
)
_MODEL_REL_COUNT = "MATCH ()-[r]->() RETURN count(r) AS n"

# Relationships whose owner has exactly one current target: when an updated
# reference row arrives, the owner's other relationships of that type are
# stale.  (owner label, rel type, SQL giving owner id and current target id)
_SINGLE_VALUED: tuple[tuple[str, str, str], ...] = (
    ("Card", "HOLDS", "SELECT card_id, patient_id FROM cards"),
    ("Prescriber", "WORKS_AT", "SELECT prescriber_id, facility_id FROM prescribers"),
    ("Patient", "HAS_PHONE", "SELECT patient_id, phone FROM patients"),
    ("Employer", "HAS_PHONE", "SELECT employer_id, phone FROM employers"),
    ("Patient", "HAS_ADDRESS", "SELECT patient_id, address FROM patients"),
    ("Employer", "HAS_ADDRESS", "SELECT employer_id, address FROM employers"),
)


def stale_statement(owner_label: str, rel_type: str) -> str:
    return (
        f"UNWIND $rows AS r MATCH (o:{_label(owner_label)} {{id: r[0]}})-[x:{_rel_type(rel_type)}]-(m) "
        "WHERE r[1] IS NULL OR m.id <> r[1] DELETE x"
    )


_RELABEL_TO_INSTITUTION = "UNWIND $ids AS id MATCH (n:Pharmacy {id: id}) REMOVE n:Pharmacy SET n:Institution"
_RELABEL_TO_PHARMACY = "UNWIND $ids AS id MATCH (n:Institution {id: id}) REMOVE n:Institution SET n:Pharmacy"
_ORPHANS = {
    label: f"MATCH (n:{_label(label)}) WHERE NOT (n)--() DELETE n" for label in ("Phone", "Address")
}


def rel_steps(cur: duckdb.DuckDBPyConnection, rel, mode: str) -> Iterator[tuple[str, str, str]]:
    """(ledger step name, Cypher, SQL of [src, dst] rows in a stable order)
    for one relationship type.  First load: ends by internal id, ordered by
    it (neighbouring records, warm pages).  Later loads: ends by their
    ``id`` index, one statement per pair of end labels."""
    sql = f"SELECT * FROM ({rel.sql}) q(src_label, src_id, dst_label, dst_id)"
    if mode == "create":
        yield (
            f"rel:{rel.type}",
            rel_by_nid_statement(rel.type),
            f"SELECT a.nid, b.nid FROM ({sql}) q "
            "JOIN rs_nid a ON a.label = q.src_label AND a.id = q.src_id "
            "JOIN rs_nid b ON b.label = q.dst_label AND b.id = q.dst_id ORDER BY 1, 2",
        )
        return
    for src_label, dst_label in cur.execute(f"SELECT DISTINCT src_label, dst_label FROM ({sql}) ORDER BY ALL").fetchall():
        yield (
            f"rel:{rel.type}:{src_label}:{dst_label}",
            rel_statement(rel.type, src_label, dst_label, mode),
            f"SELECT src_id, dst_id FROM ({sql}) WHERE src_label = '{_label(src_label)}' "
            f"AND dst_label = '{_label(dst_label)}' ORDER BY src_id, dst_id",
        )
