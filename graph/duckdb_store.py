"""The embedded store: the workspace DuckDB file, queried as a graph.

Nodes and relationships are views over the contract tables, defined once in
``graph.model``; graph questions (neighbourhood, shortest path, subgraph)
are answered hop by hop with set-based SQL, so nothing needs a server.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ringscope.graph import adjacency
from ringscope.graph.catalogue import DropReport, Progress, ingest_into_catalogue, open_catalogue
from ringscope.graph.config import StoreConfig
from ringscope.graph.model import LABELS, NODE_SQL, REL_TYPE_NAMES, edges_view_sql, nodes_view_sql
from ringscope.graph.store import Edge, Node, NodeRef, Relational, Store, Subgraph
from ringscope.graph.traversal import AdjacencyQueries
from ringscope.ingest.mapping import HeaderMapping


class DuckDBStore(AdjacencyQueries, Store):
    kind = "duckdb"

    def __init__(self, config: StoreConfig, read_only: bool = False):
        self.config = config
        self.con = open_catalogue(config, read_only)
        if not read_only:
            self._create_views()

    def _create_views(self) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW g_edges AS {edges_view_sql()}")
        self.con.execute(f"CREATE OR REPLACE VIEW g_nodes AS {nodes_view_sql()}")

    def close(self) -> None:
        self.con.close()

    # --- ingest -------------------------------------------------------------
    def ingest_drop(self, drop_dir: Path, mapping: HeaderMapping, progress: Progress | None = None) -> DropReport:
        return ingest_into_catalogue(self.con, self.config, drop_dir, mapping, progress)

    # --- graph questions ----------------------------------------------------
    def counts(self) -> dict[str, int]:
        rows = self.con.execute("SELECT label, count(*) FROM g_nodes GROUP BY label").fetchall()
        counts = {label: 0 for label in LABELS}
        counts.update({label: int(n) for label, n in rows})
        rel = self.con.execute("SELECT type, count(*) FROM g_edges GROUP BY type").fetchall()
        counts.update({f":{t}": 0 for t in REL_TYPE_NAMES})
        counts.update({f":{t}": int(n) for t, n in rel})
        return counts

    def get_node(self, label: str, node_id: str) -> Node | None:
        if label not in NODE_SQL:
            return None
        cur = self.con.execute(f"SELECT * FROM ({NODE_SQL[label]}) WHERE id = ? LIMIT 1", [node_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            return None
        record = dict(zip(names, row))
        props = {k: v for k, v in record.items() if k not in ("id", "caption", "_drop_id") and v is not None}
        return Node(label, str(record["id"]), str(record["caption"] or record["id"]), props)

    def search(self, text: str, labels: Iterable[str] | None = None, limit: int = 25) -> list[Node]:
        wanted = [label for label in (labels or LABELS) if label in NODE_SQL]
        if not text or not wanted:
            return []
        rows = self.con.execute(
            "SELECT label, id, caption FROM g_nodes WHERE list_contains(?, label) "
            "AND (starts_with(id, ?) OR contains(coalesce(caption, ''), ?)) ORDER BY label, id LIMIT ?",
            [wanted, text, text, limit],
        ).fetchall()
        return [Node(label, i, c or i) for label, i, c in rows]

    def _adjacent(self, refs: list[NodeRef]) -> list[tuple[str, str, str, str, str]]:
        """Edges touching any of ``refs``: (src_label, src_id, type, dst_label, dst_id)."""
        if not refs:
            return []
        labels = [r.label for r in refs]
        ids = [r.id for r in refs]
        return self.con.execute(
            "WITH f AS (SELECT unnest(?) AS label, unnest(?) AS id) "
            "SELECT e.src_label, e.src_id, e.type, e.dst_label, e.dst_id FROM g_edges e "
            "WHERE e.src_id IN (SELECT id FROM f) AND (e.src_label, e.src_id) IN (SELECT (label, id) FROM f) "
            "UNION "
            "SELECT e.src_label, e.src_id, e.type, e.dst_label, e.dst_id FROM g_edges e "
            "WHERE e.dst_id IN (SELECT id FROM f) AND (e.dst_label, e.dst_id) IN (SELECT (label, id) FROM f)",
            [labels, ids],
        ).fetchall()

    def _nodes(self, refs: list[NodeRef]) -> list[Node]:
        if not refs:
            return []
        rows = self.con.execute(
            "WITH f AS (SELECT unnest(?) AS label, unnest(?) AS id) "
            "SELECT n.label, n.id, n.caption FROM g_nodes n JOIN f USING (label, id)",
            [[r.label for r in refs], [r.id for r in refs]],
        ).fetchall()
        return [Node(label, i, c or i) for label, i, c in rows]

    def prepare_paths(self) -> bool:
        """Build the path adjacency for the catalogue's current drops (205 s at 1M patients: after ingest,
        not on the first path question); nothing when it is already current."""
        root = self.config.catalogue_path.parent / "adjacency"
        current = (root / adjacency.catalogue_version(self.con) / "indptr.npy").exists()
        adjacency.load_or_build(self.con, root, self.config.dir_mode)
        return not current

    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 8) -> Subgraph | None:
        """Bidirectional BFS over the adjacency kept beside the catalogue (graph.adjacency), built on first use."""
        if self.get_node(a.label, a.id) is None or self.get_node(b.label, b.id) is None:
            return None
        if a == b:
            return self._induced([a], False)
        adj = adjacency.load_or_build(self.con, self.config.catalogue_path.parent / "adjacency", self.config.dir_mode)
        ia, ib = adjacency.node_ids(self.con, adj, [(a.label, a.id), (b.label, b.id)])
        if ia is None or ib is None:  # a node with no relationship at all
            return None
        found = adjacency.shortest_path(adj, ia, ib, max_hops)
        if found is None:
            return None
        keys = adjacency.node_keys(self.con, adj, found)
        refs = [NodeRef(*keys[n]) for n in found]
        edges = []
        for (u, v), (ru, rv) in zip(zip(found, found[1:]), zip(refs, refs[1:])):
            rel, forward = adjacency.step_type(adj, u, v)
            edges.append(Edge(ru.key, rel, rv.key) if forward else Edge(rv.key, rel, ru.key))
        # captions label by label (get_node), not through the all-labels node view: a path has a few nodes
        nodes = [n for n in (self.get_node(r.label, r.id) for r in refs) if n is not None]
        return Subgraph(nodes=[Node(n.label, n.id, n.caption) for n in nodes], edges=sorted(edges)).sorted()

    def relational(self) -> Relational:
        return self.con
