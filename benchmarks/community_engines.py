"""The community step in-process (igraph) against inside Neo4j (GDS): speed and agreement.

Two measurements, against the running Neo4j server (``ringscope neo4j start``):

1. **Engine calls** on planted graphs (dense weighted communities of 5-40
   nodes joined by light stray edges, as the detectors' link graphs look):
   median wall time of ``components`` and ``leiden`` per engine over
   ``--repeats`` runs, the ratio GDS / igraph, and whether the groups agree
   (components must be identical; Leiden is compared, not required equal).
2. **Detection** on generated drops: ``run_detection`` with each engine
   (one DuckDB thread, so both get the same edge lists), median wall time,
   the time spent inside the engine, Leiden calls and how many gave the same
   partition, and the ring-level F1 per scheme between the two outputs
   (contract matching rule, igraph's rings as the truth).  ``--leiden-above``
   also runs a Leiden-heavy variant (every detector's ``leiden_above``
   lowered) to show where GDS's Leiden and igraph's part ways.

Usage::

    python benchmarks/community_engines.py --data /tmp/rsdata \\
        --drops 8000:1 8000:2 8000:3 8000:4 8000:5 20000:11 --leiden-above 10 --repeats 5

Connection: ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD``, else the local
server's ``WORKSPACE/neo4j/conf/ringscope-connection.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Callable, TypeVar

from ringscope.analytics.community import CommunityEngine, IgraphEngine, WeightedEdges
from ringscope.analytics.community_gds import GdsEngine
from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.evaluation import agreement_f1
from ringscope.analytics.pipeline import run_detection
from ringscope.analytics.settings import DetectionSettings
from ringscope.graph.config import Neo4jConfig
from ringscope.graph.neo4j.store import connect
from ringscope.ingest.synth import generate_drop

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
LEIDEN_SCHEMES = ("trace_resale", "borrowed_cards", "car_shuttle", "over_prescription")


def neo4j_config() -> Neo4jConfig:
    if os.environ.get("NEO4J_URI") and os.environ.get("NEO4J_PASSWORD"):
        return Neo4jConfig(uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                           password=os.environ["NEO4J_PASSWORD"])
    ws = Path(os.environ.get("RINGSCOPE_WORKSPACE", ROOT / "ringscope-workspace"))
    info = json.loads((ws / "neo4j" / "conf" / "ringscope-connection.json").read_text(encoding="utf-8"))
    return Neo4jConfig(uri=info["uri"], user=info["user"], password=info["password"])


def planted(seed: int, edges_wanted: int) -> WeightedEdges:
    rng = random.Random(seed)
    rows: list[tuple[str, str, float]] = []
    g = 0
    while len(rows) < edges_wanted:
        members = [f"c{g}:{i}" for i in range(rng.randint(5, 40))]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if rng.random() < 0.3:
                    rows.append((a, b, float(rng.randint(1, 4))))
            if i:
                rows.append((members[i - 1], a, 1.0))
        g += 1
    for _ in range(max(1, g // 3)):  # stray links: a few groups become one component
        g1, g2 = rng.sample(range(g), 2)
        rows.append((f"c{g1}:0", f"c{g2}:1", 1.0))
    return WeightedEdges.from_rows(rows)


def median_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """The median wall time of ``repeats`` calls (at least one) and the last call's result."""
    times: list[float] = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


Step = Callable[[CommunityEngine, WeightedEdges], list[list[str]]]
STEPS: tuple[tuple[str, Step], ...] = (("components", lambda e, x: e.components(x)),
                                       ("leiden", lambda e, x: e.leiden(x, 1.0, 42)))


def engine_calls(gds: GdsEngine, sizes: list[int], repeats: int) -> list[str]:
    ig = IgraphEngine()
    lines = ["| edges | step | igraph median | GDS median | GDS / igraph | groups |", "|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for n in sizes:
        edges = planted(n, n)
        for step, call in STEPS:
            t_ig, out_ig = median_time(partial(call, ig, edges), repeats)
            t_gds, out_gds = median_time(partial(call, gds, edges), repeats)
            same = "identical" if out_ig == out_gds else \
                f"differ ({len(out_ig)} vs {len(out_gds)}; Q {ig.modularity(edges, out_ig):.4f} vs {ig.modularity(edges, out_gds):.4f})"
            lines.append(f"| {len(edges):,} | {step} | {t_ig * 1000:.1f} ms | {t_gds * 1000:.1f} ms | "
                         f"{t_gds / t_ig:.0f}× | {same} |")
            print(lines[-1], flush=True)
    return lines


class Timed:
    """Engine wrapper: time inside the engine, Leiden calls and their partitions."""

    def __init__(self, inner):
        self.inner, self.name = inner, inner.name
        self.seconds = 0.0
        self.leiden_out: list = []

    def _t(self, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds += time.perf_counter() - t0

    def components(self, edges):
        return self._t(self.inner.components, edges)

    def leiden(self, edges, resolution, seed):
        out = self._t(self.inner.leiden, edges, resolution, seed)
        self.leiden_out.append(out)
        return out

    def modularity(self, edges, groups):
        return self.inner.modularity(edges, groups)


def detection(gds: GdsEngine, drop: Path, settings: DetectionSettings, repeats: int) -> dict:
    res = {}
    for engine in (IgraphEngine(), gds):
        walls, inside, last = [], [], None
        for _ in range(repeats):
            con = connect_drop(drop)
            con.execute("SET threads = 1")  # same edge lists for both engines (mode() ties)
            timed = Timed(engine)
            t0 = time.perf_counter()
            last = run_detection(con, settings, engine=timed)
            walls.append(time.perf_counter() - t0)
            inside.append(timed.seconds)
            con.close()
        assert last is not None, "--repeat must be at least 1"
        res[engine.name] = (statistics.median(walls), statistics.median(inside), last, timed.leiden_out)
    ig, gd = res["igraph"], res["gds"]
    same_leiden = sum(1 for a, b in zip(ig[3], gd[3]) if a == b)
    return {"igraph_wall": ig[0], "gds_wall": gd[0], "igraph_engine": ig[1], "gds_engine": gd[1],
            "leiden_calls": len(ig[3]), "leiden_same": same_leiden, "f1": agreement_f1(ig[2].rings, gd[2].rings)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("/tmp/rsdata"), help="where generated drops are cached")
    ap.add_argument("--drops", nargs="*", default=["8000:1", "8000:2", "8000:3"], help="PATIENTS:SEED ...")
    ap.add_argument("--sizes", nargs="*", type=int, default=[1_000, 10_000, 100_000], help="edges per planted graph")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--leiden-above", type=int, default=0, help="also run with every leiden_above set to this")
    args = ap.parse_args()

    driver = connect(neo4j_config())
    gds = GdsEngine(driver)
    print("## engine calls (planted graphs)\n")
    engine_calls(gds, args.sizes, args.repeats)

    variants = [("default", DetectionSettings())]
    if args.leiden_above:
        variants.append((f"leiden_above={args.leiden_above}", DetectionSettings.from_dict(
            {s: {"leiden_above": args.leiden_above} for s in LEIDEN_SCHEMES})))
    print("\n## detection (igraph rings as the truth)\n")
    print("| drop | settings | igraph detect | GDS detect | in engine igraph / GDS | Leiden same/calls | F1 per scheme (rings igraph/GDS) |")
    print("|---|---|---|---|---|---|---|")
    for spec in args.drops:
        patients, seed = (int(x) for x in spec.split(":"))
        drop = args.data / f"engines-s{seed}-{patients}"
        if not (drop / "truth" / "rings.csv").exists():
            generate_drop(drop, patients, seed)
        for label, settings in variants:
            r = detection(gds, drop, settings, args.repeats)
            f1 = ", ".join(f"{s} {v:.2f} ({a}/{b})" for s, (v, a, b) in r["f1"].items())
            print(f"| {patients:,} s{seed} | {label} | {r['igraph_wall']:.2f} s | {r['gds_wall']:.2f} s | "
                  f"{r['igraph_engine'] * 1000:.0f} ms / {r['gds_engine'] * 1000:.0f} ms | "
                  f"{r['leiden_same']}/{r['leiden_calls']} | {f1} |", flush=True)
    driver.close()


if __name__ == "__main__":
    main()
