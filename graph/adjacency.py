"""An integer adjacency of the whole graph, kept beside the catalogue, for fast shortest paths.

Why: answering a path hop by hop in SQL scans every relationship query of
the union view at each hop (16 s for 4 hops, 79 s for 6 at 20k patients).
The graph changes only when a drop is ingested, so the adjacency is built
once per catalogue version (a CSR: ``indptr``/``indices`` plus the
relationship type and direction of each entry, numpy files memory-mapped
on use) and a bidirectional breadth-first search over it answers in
milliseconds.  Node keys map to integers through a Parquet table
(``nodes.parquet``: label, id, nid) read by DuckDB.

Files live in ``<workspace>/adjacency/<version>/``; the version is a digest
of the catalogue's ingested drops.  ``ringscope ingest`` and the weekly job
build it right after a drop (``DuckDBStore.prepare_paths``: 205 s at 1M
patients, better then than on an investigator's first path question); any
other change is picked up by the next path question (which rebuilds).  A
build is written to a temporary folder and renamed, so a reader never sees
half of one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from ringscope.graph.model import REL_TYPE_NAMES

TYPES = tuple(REL_TYPE_NAMES)


@dataclass
class Adjacency:
    folder: Path
    indptr: np.ndarray  # int64, n_nodes + 1
    indices: np.ndarray  # int32 neighbour ids
    types: np.ndarray  # int8 index into TYPES
    forward: np.ndarray  # bool: True when the entry's node is the relationship's source

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1


def catalogue_version(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of what the catalogue holds (its ingested drops), naming one adjacency build."""
    try:
        rows = con.execute("SELECT drop_id, coalesce(fingerprint, ''), coalesce(status, '') FROM ingest_drops "
                           "ORDER BY drop_id").fetchall()
    except duckdb.CatalogException:
        rows = []
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def load_or_build(con: duckdb.DuckDBPyConnection, root: Path, dir_mode: int = 0o700) -> Adjacency:
    """The adjacency of the catalogue's current version, building it when it is missing or stale.

    ``dir_mode``: the workspace's folder mode (``[workspace] dir_mode``; private by default), which the
    build folder gets too — ``mkdtemp`` would leave it 0700 whatever the workspace allows.
    """
    folder = root / catalogue_version(con)
    if not (folder / "indptr.npy").exists():
        _build(con, folder, dir_mode)
    return Adjacency(folder, np.load(folder / "indptr.npy", mmap_mode="r"), np.load(folder / "indices.npy", mmap_mode="r"),
                     np.load(folder / "types.npy", mmap_mode="r"), np.load(folder / "forward.npy", mmap_mode="r"))


def _build(con: duckdb.DuckDBPyConnection, folder: Path, dir_mode: int) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    tmp.chmod(dir_mode)  # as the workspace allows: the explorer may run as another user of a shared workspace
    cur = con.cursor()
    try:
        cur.execute("CREATE OR REPLACE TEMP TABLE _rs_adj_e AS SELECT src_label, src_id, type, dst_label, dst_id "
                    "FROM g_edges")
        cur.execute("CREATE OR REPLACE TEMP TABLE _rs_adj_n AS SELECT label, id, (row_number() OVER "
                    "(ORDER BY label, id) - 1)::INTEGER AS nid FROM (SELECT src_label AS label, src_id AS id "
                    "FROM _rs_adj_e UNION SELECT dst_label, dst_id FROM _rs_adj_e)")
        pairs = cur.execute(
            "SELECT a.nid AS a, b.nid AS b, list_position(?, e.type)::TINYINT - 1 AS t FROM _rs_adj_e e "
            "JOIN _rs_adj_n a ON a.label = e.src_label AND a.id = e.src_id "
            "JOIN _rs_adj_n b ON b.label = e.dst_label AND b.id = e.dst_id", [list(TYPES)]).fetchnumpy()
        counted = cur.execute("SELECT count(*) FROM _rs_adj_n").fetchone()
        n = int(counted[0]) if counted else 0
        path = (tmp / "nodes.parquet").as_posix()
        cur.execute(f"COPY (SELECT * FROM _rs_adj_n ORDER BY label, id) TO '{path}' (FORMAT PARQUET)")
        _write_csr(tmp, n, pairs["a"].astype(np.int32), pairs["b"].astype(np.int32), pairs["t"].astype(np.int8))
        try:
            os.replace(tmp, folder)
        except OSError:  # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.parent.iterdir():  # earlier versions are of no further use
            if old != folder and not old.name.startswith(".build-"):
                shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        cur.execute("DROP TABLE IF EXISTS _rs_adj_e")
        cur.execute("DROP TABLE IF EXISTS _rs_adj_n")


def _write_csr(folder: Path, n: int, a: np.ndarray, b: np.ndarray, t: np.ndarray) -> None:
    """Both directions of every relationship, grouped by node (stable sort keeps the order deterministic)."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.argsort(src, kind="stable")
    np.save(folder / "indices.npy", dst[order].astype(np.int32))
    np.save(folder / "types.npy", np.concatenate([t, t])[order])
    np.save(folder / "forward.npy", np.concatenate([np.ones(len(a), bool), np.zeros(len(b), bool)])[order])
    counts = np.bincount(src, minlength=n)
    np.save(folder / "indptr.npy", np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def node_ids(con: duckdb.DuckDBPyConnection, adj: Adjacency, keys: list[tuple[str, str]]) -> list[int | None]:
    nodes = (adj.folder / "nodes.parquet").as_posix()
    out = []
    for label, node_id in keys:
        row = con.cursor().execute("SELECT nid FROM read_parquet(?) WHERE label = ? AND id = ?",
                                   [nodes, label, node_id]).fetchone()
        out.append(int(row[0]) if row else None)
    return out


def node_keys(con: duckdb.DuckDBPyConnection, adj: Adjacency, nids: list[int]) -> dict[int, tuple[str, str]]:
    rows = con.cursor().execute("SELECT nid, label, id FROM read_parquet(?) WHERE nid IN (SELECT unnest(?))",
                                [(adj.folder / "nodes.parquet").as_posix(), nids]).fetchall()
    return {int(nid): (label, i) for nid, label, i in rows}


def _expand(adj: Adjacency, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(neighbour, the frontier node it was reached from) for every entry of the frontier's rows."""
    starts = adj.indptr[frontier]
    lens = adj.indptr[frontier + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    owner = np.repeat(np.arange(len(frontier)), lens)
    offsets = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    return np.asarray(adj.indices[starts[owner] + offsets]), frontier[owner]


def shortest_path(adj: Adjacency, a: int, b: int, max_hops: int = 8) -> list[int] | None:
    """Node ids of one shortest path a..b (bidirectional BFS, the cheaper side first), or None."""
    if a == b:
        return [a]
    dist = [np.full(adj.n_nodes, -1, np.int16), np.full(adj.n_nodes, -1, np.int16)]
    parent = [np.full(adj.n_nodes, -1, np.int32), np.full(adj.n_nodes, -1, np.int32)]
    frontier = [np.array([a], np.int32), np.array([b], np.int32)]
    dist[0][a], dist[1][b] = 0, 0
    depth = [0, 0]
    while depth[0] + depth[1] < max_hops and len(frontier[0]) and len(frontier[1]):
        cost = [int((adj.indptr[f + 1] - adj.indptr[f]).sum()) for f in frontier]
        side = 0 if cost[0] <= cost[1] else 1
        nbrs, via = _expand(adj, frontier[side])
        fresh = dist[side][nbrs] < 0
        nbrs, via = nbrs[fresh], via[fresh]
        nbrs, first = np.unique(nbrs, return_index=True)
        via = via[first]
        depth[side] += 1
        dist[side][nbrs] = depth[side]
        parent[side][nbrs] = via
        frontier[side] = nbrs.astype(np.int32)
        met = nbrs[dist[1 - side][nbrs] >= 0]
        if len(met):
            meet = int(met[np.argmin(dist[1 - side][met])])
            return _walk(parent[0], meet, a)[::-1] + _walk(parent[1], meet, b)[1:]
    return None


def _walk(parent: np.ndarray, node: int, root: int) -> list[int]:
    out = [node]
    while out[-1] != root:
        out.append(int(parent[out[-1]]))
    return out


def step_type(adj: Adjacency, u: int, v: int) -> tuple[str, bool]:
    """The relationship type between consecutive path nodes u, v, and whether u is its source."""
    lo, hi = int(adj.indptr[u]), int(adj.indptr[u + 1])
    row = np.asarray(adj.indices[lo:hi])
    pos = lo + int(np.flatnonzero(row == v)[0])
    return TYPES[int(adj.types[pos])], bool(adj.forward[pos])
