"""Explorer benchmark: time to build the ring-detail view vs the raw store query.

    python benchmarks/explorer.py [--drop DIR] [--sizes 50 500 5000] [--repeat 5]

Baseline: ``store.subgraph(members + settlements, expand)`` — the raw store
query the page needs anyway.  Contender: ``build_ring_detail`` — that same
query plus members, evidence, timeline, fund loss and resale chains (DuckDB),
the graph view (collapsed above 1,000 nodes, precomputed layout above 150)
and the self-contained pyvis HTML.  Rings of about 50, 500 and 5,000 nodes are
cut from the drop's settlements (a settlement brings its card, patient,
facility, device and trace codes).  Target: under 2 s at 500 nodes.
"""
from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drop", type=Path, default=DEFAULT_DROP)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    from ringscope.app.views.ring_detail import build_ring_detail, ring_subgraph
    from ringscope.graph.config import StoreConfig
    from ringscope.graph.duckdb_store import DuckDBStore

    ws = workspace_for(args.drop)
    store = DuckDBStore(StoreConfig(workspace=ws))
    build_ring_detail(store, sized_ring(store, 50)[0])  # warm-up: imports (igraph, pyvis, plotly) and caches
    print(f"drop {args.drop}, repeat {args.repeat}")
    print("| ring nodes | edges | view | store subgraph (baseline) s | ring-detail view s | ratio | "
          "tables s | graph+HTML s | HTML MB |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for target in args.sizes:
        ring, _ = sized_ring(store, target)
        repeat = args.repeat if target < 2000 else max(3, args.repeat // 2)
        sub = ring_subgraph(store, ring)
        base = median_time(lambda: ring_subgraph(store, ring), repeat)
        details = []
        full = median_time(lambda: details.append(build_ring_detail(store, ring)), repeat)
        d = details[-1]
        tables = statistics.median(x.timings["tables"] for x in details)
        graph = statistics.median(x.timings["graph_html"] for x in details)
        print(f"| {len(sub.nodes):,} | {len(sub.edges):,} | {'collapsed' if d.view.collapsed else 'full'} "
              f"({len(d.view.nodes)} drawn) | {base:.3f} | {full:.3f} | {full / base:.2f} | {tables:.3f} | "
              f"{graph:.3f} | {len(d.html) / 1e6:.2f} |")
        sys.stdout.flush()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
