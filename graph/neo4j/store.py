"""The Neo4j store: the same graph model, served by a Neo4j 5 server.

Ingest is shared with the embedded store: a drop is validated and merged
into the workspace catalogue (DuckDB) by ``graph.catalogue``, then
``graph.neo4j.loader`` projects the new drops into Neo4j.  Graph questions
are answered in Cypher with the same semantics as ``DuckDBStore`` (the
breadth-first order of ``neighbourhood`` is kept hop by hop, in Python, so
that both backends hold the same nodes when a limit cuts a neighbourhood);
tables for analytics come from the catalogue, as in the embedded store.

Uses the official driver (``neo4j`` with the ``neo4j-rust-ext`` codec):
short-lived managed transactions, parameters for every value, labels and
relationship types only from ``graph.model``'s whitelist.
"""
from __future__ import annotations

import json
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import duckdb
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ConfigurationError, Neo4jError, ServiceUnavailable, SessionExpired

from ringscope.graph.catalogue import DropReport, Progress, ingest_into_catalogue, open_catalogue
from ringscope.graph.config import Neo4jConfig, StoreConfig
from ringscope.graph.model import LABELS, REL_TYPE_NAMES
from ringscope.graph.neo4j.loader import WORKERS, ProjectionReport, project_catalogue
from ringscope.graph.neo4j.schema import NAMED_LABELS, ensure_schema
from ringscope.graph.store import (
    Edge,
    InDatabaseGraph,
    Node,
    NodeRef,
    Relational,
    Store,
    StoreError,
    StoreUnavailable,
    Subgraph,
)
from ringscope.graph.traversal import AdjacencyQueries
from ringscope.ingest.contract import MONEY, TABLES
from ringscope.ingest.mapping import HeaderMapping

LOCAL_CONNECTION_FILE = Path("neo4j") / "conf" / "ringscope-connection.json"
MONEY_COLUMNS = frozenset(c.name for t in TABLES.values() for c in t.columns if c.kind == MONEY)
MAX_PATH_HOPS = 16


def _label(name: str) -> str:
    if name not in LABELS:
        raise ValueError(f"not a graph label: {name!r}")
    return name


# Constant statements, one per whitelisted label (built once at import).
_COUNT_NODES = {label: f"MATCH (n:{_label(label)}) RETURN count(n) AS n" for label in LABELS}
_COUNT_RELS = {t: f"MATCH ()-[r:{t}]->() RETURN count(r) AS n" for t in REL_TYPE_NAMES}
_GET_NODE = {label: f"MATCH (n:{label} {{id: $id}}) RETURN properties(n) AS p LIMIT 1" for label in LABELS}
_NODES = {label: f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n.id AS id, n.name AS name" for label in LABELS}
_SEARCH = {
    label: (
        f"MATCH (n:{label}) WHERE n.id STARTS WITH $text OR n.name CONTAINS $text "
        "RETURN n.id AS id, n.name AS name ORDER BY n.id LIMIT $limit"
        if label in NAMED_LABELS
        else f"MATCH (n:{label}) WHERE n.id CONTAINS $text RETURN n.id AS id, null AS name ORDER BY n.id LIMIT $limit"
    )
    for label in LABELS
}
_ADJACENT = {
    label: (
        f"UNWIND $ids AS i MATCH (n:{label} {{id: i}})-[r]-() "
        "WITH DISTINCT r, startNode(r) AS s, endNode(r) AS e "
        "RETURN labels(s)[0] AS sl, s.id AS si, type(r) AS t, labels(e)[0] AS dl, e.id AS di"
    )
    for label in LABELS
}


def _shortest_statement(label_a: str, label_b: str, hops: int) -> str:
    # Variable-length bounds cannot be parameters in Cypher: the bound is an
    # int clamped to 1..MAX_PATH_HOPS, the labels come from the whitelist.
    hops = max(1, min(int(hops), MAX_PATH_HOPS))
    return (
        f"MATCH (a:{_label(label_a)} {{id: $a}}), (b:{_label(label_b)} {{id: $b}}) "
        f"MATCH p = shortestPath((a)-[*..{hops}]-(b)) "
        "RETURN [n IN nodes(p) | [labels(n)[0], n.id]] AS nodes, "
        "[r IN relationships(p) | [labels(startNode(r))[0], startNode(r).id, type(r), "
        "labels(endNode(r))[0], endNode(r).id]] AS rels LIMIT 1"
    )


def resolve_neo4j_config(config: StoreConfig) -> Neo4jConfig:
    """Fill a missing password from the local server's connection file
    (``WORKSPACE/neo4j/conf/ringscope-connection.json``, written by
    ``ringscope neo4j install``) when it is the server configured."""
    cfg = config.neo4j
    if cfg.password is not None:
        return cfg
    path = config.workspace / LOCAL_CONNECTION_FILE
    if path.exists():
        info = json.loads(path.read_text(encoding="utf-8"))
        if info.get("uri") == cfg.uri or cfg.uri == Neo4jConfig().uri:
            return Neo4jConfig(uri=info["uri"], user=info["user"], password=info["password"], database=cfg.database)
    return cfg


def _listening(uri: str) -> bool:
    """Whether anything accepts a connection at the URI's host and port.

    Without a password the driver cannot tell "wrong server" from "no
    server", and a missing server is the likelier mistake on a new machine:
    asking for a password then sends the user the wrong way.
    """
    parts = urlsplit(uri)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or 7687), timeout=2.0):
            return True
    except (OSError, ValueError):
        return False


def connect(cfg: Neo4jConfig) -> Driver:
    """An open, authenticated driver, or StoreUnavailable in one line."""
    if not _listening(cfg.uri):  # fail in a second, not after the driver's retries
        raise StoreUnavailable(
            f"nothing is listening at {cfg.uri}: start Neo4j with `ringscope neo4j install && "
            "ringscope neo4j start`, or set NEO4J_URI to your server"
        ) from None
    if cfg.password is None:
        raise StoreUnavailable(
            f"no password for Neo4j at {cfg.uri}: set NEO4J_PASSWORD (or run `ringscope neo4j install`)"
        )
    try:
        driver = GraphDatabase.driver(
            cfg.uri, auth=(cfg.user, cfg.password), connection_timeout=5.0,
            connection_acquisition_timeout=30.0, max_transaction_retry_time=30.0,
            notifications_min_severity="OFF",  # "unknown label" warnings on a fresh graph are expected
        )
    except (ConfigurationError, ValueError) as exc:
        raise StoreUnavailable(f"invalid Neo4j URI {cfg.uri!r}: {exc}") from None
    try:
        driver.verify_connectivity()
    except AuthError:
        driver.close()
        raise StoreUnavailable(
            f"Neo4j at {cfg.uri} rejected user {cfg.user!r}: wrong password (check NEO4J_USER / NEO4J_PASSWORD)"
        ) from None
    except (ServiceUnavailable, SessionExpired, OSError):
        driver.close()
        raise StoreUnavailable(
            f"cannot reach Neo4j at {cfg.uri}: start it with `ringscope neo4j start` or set NEO4J_URI"
        ) from None
    return driver


def _native(name: str, value: Any) -> Any:
    """Neo4j values back to the Python types the embedded store returns."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if name in MONEY_COLUMNS and isinstance(value, float):
        return Decimal(f"{value:.2f}")
    return value


class Neo4jStore(AdjacencyQueries, Store):
    kind = "neo4j"

    def __init__(self, config: StoreConfig, read_only: bool = False):
        self.config = config
        self.neo4j = resolve_neo4j_config(config)
        self.database = self.neo4j.database
        self.read_only = read_only
        self.driver = connect(self.neo4j)
        self._con: duckdb.DuckDBPyConnection | None = None
        if not read_only:
            try:
                ensure_schema(self.driver, self.database)
            except Neo4jError as exc:
                self.driver.close()
                raise StoreError(f"cannot prepare the graph schema on {self.neo4j.uri}: {exc.message}") from None

    def close(self) -> None:
        self.driver.close()
        if self._con is not None:
            self._con.close()
            self._con = None

    # --- catalogue and ingest ----------------------------------------------
    def _catalogue(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = open_catalogue(self.config, self.read_only)
        return self._con

    def ingest_drop(self, drop_dir: Path, mapping: HeaderMapping, progress: Progress | None = None) -> DropReport:
        """Validate and merge into the catalogue (as the embedded store does),
        then project every pending drop into Neo4j."""
        report = ingest_into_catalogue(self._catalogue(), self.config, drop_dir, mapping,
                                       (lambda label, frac: progress(label, frac * 0.5)) if progress else None)
        self.sync(progress=(lambda label, frac: progress(f"neo4j: {label}", 0.5 + frac * 0.5)) if progress else None)
        return report

    def sync(self, progress: Progress | None = None, workers: int = WORKERS) -> ProjectionReport:
        """Project the catalogue's drops that the graph has not seen yet."""
        try:
            return project_catalogue(self._catalogue(), self.driver, database=self.database,
                                     progress=progress, workers=workers)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailable(
                f"lost Neo4j at {self.neo4j.uri} during the load ({exc}); rerun to resume where it stopped"
            ) from None

    def graph_database(self) -> InDatabaseGraph:
        return InDatabaseGraph(self.driver, self.database)

    def relational(self) -> Relational:
        return self._catalogue()

    # --- graph questions ----------------------------------------------------
    def _read(self, statement: str, **params: Any) -> list:
        try:
            records, _, _ = self.driver.execute_query(statement, params, database_=self.database, routing_="r")
        except (ServiceUnavailable, SessionExpired):
            raise StoreUnavailable(f"cannot reach Neo4j at {self.neo4j.uri}: is the server running?") from None
        return records

    def counts(self) -> dict[str, int]:
        counts = {label: int(self._read(_COUNT_NODES[label])[0]["n"]) for label in LABELS}
        counts.update({f":{t}": int(self._read(_COUNT_RELS[t])[0]["n"]) for t in REL_TYPE_NAMES})
        return counts

    def get_node(self, label: str, node_id: str) -> Node | None:
        if label not in LABELS:
            return None
        records = self._read(_GET_NODE[label], id=node_id)
        if not records:
            return None
        raw = records[0]["p"]
        props = {k: _native(k, v) for k, v in raw.items() if k not in ("id", "_drop_id") and v is not None}
        return Node(label, raw["id"], raw.get("name") or raw["id"], props)

    def search(self, text: str, labels: Iterable[str] | None = None, limit: int = 25) -> list[Node]:
        wanted = sorted(label for label in (labels or LABELS) if label in LABELS)
        found: list[Node] = []
        if not text:
            return found
        for label in wanted:
            if len(found) >= limit:
                break
            for r in self._read(_SEARCH[label], text=text, limit=limit - len(found)):
                found.append(Node(label, r["id"], r["name"] or r["id"]))
        return found

    def _adjacent(self, refs: list[NodeRef]) -> list[tuple[str, str, str, str, str]]:
        by_label: dict[str, list[str]] = {}
        for ref in refs:
            if ref.label in LABELS:
                by_label.setdefault(ref.label, []).append(ref.id)
        out: set[tuple[str, str, str, str, str]] = set()
        for label, ids in by_label.items():
            for r in self._read(_ADJACENT[label], ids=ids):
                out.add((r["sl"], r["si"], r["t"], r["dl"], r["di"]))
        return sorted(out)

    def _nodes(self, refs: Iterable[NodeRef]) -> list[Node]:
        by_label: dict[str, list[str]] = {}
        for ref in refs:
            if ref.label in LABELS:
                by_label.setdefault(ref.label, []).append(ref.id)
        nodes: list[Node] = []
        for label, ids in by_label.items():
            nodes.extend(Node(label, r["id"], r["name"] or r["id"]) for r in self._read(_NODES[label], ids=ids))
        return nodes

    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 8) -> Subgraph | None:
        if a.label not in LABELS or b.label not in LABELS:
            return None
        if self.get_node(a.label, a.id) is None or self.get_node(b.label, b.id) is None:
            return None
        if a == b:
            return self._induced([a], False)
        if max_hops < 1:
            return None
        records = self._read(_shortest_statement(a.label, b.label, max_hops), a=a.id, b=b.id)
        if not records:
            return None
        refs = [NodeRef(label, i) for label, i in records[0]["nodes"]]
        edges = [Edge(f"{sl}:{si}", t, f"{dl}:{di}") for sl, si, t, dl, di in records[0]["rels"]]
        return Subgraph(nodes=self._nodes(refs), edges=sorted(set(edges))).sorted()
