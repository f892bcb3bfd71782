"""Explorer benchmark: time to build the ring-detail view vs the raw store query.

    python benchmarks/explorer.py [--drop DIR | --workspace WS] [--sizes 50 500 5000] [--repeat 5] [--paths N]

    python benchmarks/explorer.py --workspace WS --sizes --paths 5   # shortest paths only

Rings: baseline ``store.subgraph(members + settlements, expand)`` — the raw
store query the old page drew; contender ``build_ring_detail`` — members,
evidence, timeline, fund loss, resale chains and the entity picture with its
HTML (what the page now shows), cold (every call rebuilt) and warm (the
page's cache).  Rings of about 50, 500 and 5,000 store nodes are cut from the
drop's settlements.  Targets: 1 s at 500 nodes, 2 s at 5,000, warm or cold.
Paths: card -> employer pairs; baseline the former hop-by-hop SQL search, in
the same run.  Targets: 0.5 s at 20k patients, 2 s at 1M.
"""
from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DROP = Path("/work/shared/datasets/outside-a")


def workspace_for(drop: Path) -> Path:
    from ringscope.graph.config import StoreConfig
    from ringscope.graph.duckdb_store import DuckDBStore
    from ringscope.ingest.mapping import HeaderMapping

    ws = REPO / "benchmarks" / ".data" / f"explorer-{drop.name}"
    if not (ws / "ringscope.duckdb").exists():
        with DuckDBStore(StoreConfig(workspace=ws)) as store:
            store.ingest_drop(drop, HeaderMapping())
    return ws


def ring_of(con, n_settlements: int, target: int):
    from ringscope.app.ring_source import EvidenceRecord, MemberRecord, RingRecord

    rows = con.execute(
        "SELECT settlement_id, patient_id, facility_id FROM settlements ORDER BY hash(settlement_id) LIMIT ?",
        [n_settlements]).fetchall()
    members = {("patient", p, "member") for _, p, _ in rows if p} | {("facility", f, "reseller") for _, _, f in rows}
    return RingRecord(
        ring_id=f"BENCH-{target}", scheme="trace_resale", score=0.9,
        members=tuple(MemberRecord(*m) for m in sorted(members)),
        settlement_ids=tuple(sorted(s for s, _, _ in rows)),
        evidence=(EvidenceRecord("bench", "Benchmark ring.", "基准测试团伙。"),))


def sized_ring(store, target: int):
    """A ring whose subgraph has about ``target`` nodes (a few secant steps on the settlement count)."""
    from ringscope.app.views.ring_detail import ring_subgraph

    con = store.relational().cursor()
    k = max(2, target // 4)
    for _ in range(4):
        ring = ring_of(con, k, target)
        nodes = len(ring_subgraph(store, ring).nodes)
        if abs(nodes - target) <= target * 0.1:
            break
        k = max(2, int(k * target / max(nodes, 1)))
    return ring, nodes


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def old_path(store, a, b, max_hops: int = 8) -> int | None:
    """Baseline: the former hop-by-hop SQL breadth-first search (one union-view query per hop)."""
    from ringscope.graph.store import NodeRef

    seen, frontier = {a}, [a]
    for hop in range(1, max_hops + 1):
        nxt = []
        for sl, si, _t, dl, di in store._adjacent(frontier):
            for ref in (NodeRef(sl, si), NodeRef(dl, di)):
                if ref not in seen:
                    seen.add(ref)
                    nxt.append(ref)
        if b in seen:
            return hop
        frontier = nxt
    return None


def path_pairs(store, n: int):
    """Card -> employer pairs (paths of 4-7 hops across the graph), chosen by hash for repeatability."""
    from ringscope.graph.store import NodeRef

    con = store.relational().cursor()
    cards = [r[0] for r in con.execute("SELECT card_id FROM cards ORDER BY hash(card_id) LIMIT ?", [n]).fetchall()]
    emps = [r[0] for r in con.execute("SELECT employer_id FROM employers ORDER BY hash(employer_id) LIMIT ?",
                                      [n]).fetchall()]
    return [(NodeRef("Card", c), NodeRef("Employer", e)) for c, e in zip(cards, emps)]


def bench_paths(store, pairs: int, baseline: bool) -> None:
    from ringscope.graph import adjacency

    t0 = time.perf_counter()
    adjacency.load_or_build(store.con, store.config.catalogue_path.parent / "adjacency")
    print(f"adjacency ready in {time.perf_counter() - t0:.2f} s (one-off per catalogue version)")
    print("| pair | hops | path s (adjacency) | hop-by-hop SQL s (baseline) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for a, b in path_pairs(store, pairs):
        t0 = time.perf_counter()
        sub = store.shortest_path(a, b)
        new = time.perf_counter() - t0
        hops = len(sub.edges) if sub else None
        old = None
        if baseline:
            t0 = time.perf_counter()
            assert old_path(store, a, b) == hops
            old = time.perf_counter() - t0
        print(f"| {a.key} → {b.key} | {hops} | {new:.3f} | {f'{old:.2f}' if old else '—'} | "
              f"{f'{old / new:.0f}' if old else '—'} |")
        sys.stdout.flush()


def bench_rings(store, sizes: list[int], repeat: int) -> None:
    from ringscope.app.views.ring_detail import build_ring_detail, ring_subgraph

    print("| ring nodes | edges | picture (entities, links) | store subgraph (baseline) s | ring page cold s | "
          "ring page warm s | ratio cold/baseline | tables s | picture+HTML s |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for target in sizes:
        ring, _ = sized_ring(store, target)
        sub = ring_subgraph(store, ring)
        base = median_time(lambda r=ring: ring_subgraph(store, r), max(1, repeat // 2) if target >= 2000 else repeat)
        colds = []
        for _ in range(repeat):

            t0 = time.perf_counter()
            colds.append((build_ring_detail(store, ring), time.perf_counter() - t0))
        d = colds[-1][0]
        cold = statistics.median(t for _d, t in colds)
        # warm: the page's st.cache_data hit, i.e. unpickling the built detail
        blob = pickle.dumps(d)
        warm = median_time(lambda b=blob: pickle.loads(b), repeat)
        tables = statistics.median(x.timings["tables"] for x, _t in colds)
        pic = statistics.median(x.timings["picture_html"] for x, _t in colds)
        print(f"| {len(sub.nodes):,} | {len(sub.edges):,} | {len(d.picture.nodes)}, {len(d.picture.edges)} | "
              f"{base:.3f} | {cold:.3f} | {warm:.4f} | {cold / base:.2f} | {tables:.3f} | {pic:.3f} |")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drop", type=Path, default=DEFAULT_DROP)
    ap.add_argument("--workspace", type=Path, help="use this ingested workspace instead of ingesting --drop")
    ap.add_argument("--sizes", type=int, nargs="*", default=[50, 500, 5000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--paths", type=int, default=0, help="also time N shortest paths")
    ap.add_argument("--no-path-baseline", action="store_true", help="skip the (slow) hop-by-hop SQL baseline")
    args = ap.parse_args(argv)

    from ringscope.app.views.ring_detail import build_ring_detail
    from ringscope.graph.config import StoreConfig
    from ringscope.graph.duckdb_store import DuckDBStore

    ws = args.workspace or workspace_for(args.drop)
    store = DuckDBStore(StoreConfig(workspace=ws), read_only=True)
    print(f"workspace {ws}, repeat {args.repeat}")
    if args.sizes:
        build_ring_detail(store, sized_ring(store, 50)[0])  # warm-up: imports (igraph, pyvis, plotly)
        bench_rings(store, args.sizes, args.repeat)
    if args.paths:
        bench_paths(store, args.paths, not args.no_path_baseline)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
