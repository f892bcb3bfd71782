"""Spark's fixed overhead on a small drop: CPU seconds of a detection run under given session settings.

    python benchmarks/spark_overhead.py TABLES_DIR [--schemes trace_resale,maternity] [--repeat 2]
        [--conf spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 ...]

One fresh JVM (local[2]) per invocation, ``--repeat`` runs in it (the first cold, the rest
warm).  Each run prints wall time, CPU seconds of this process plus the JVM (the figure the
machine's other load barely moves), statements and rings.  Run it once per setting to
compare; the table in benchmarks/README.md (Spark engine) came from it.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any


def _cpu_s(jvm: int) -> float:
    fields = Path(f"/proc/{jvm}/stat").read_text().rsplit(")", 1)[1].split()
    own = os.times()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + own.user + own.system


def main() -> None:
    from ringscope.analytics.pipeline import run_detection
    from ringscope.analytics.settings import DetectionSettings
    from ringscope.analytics.spark.connection import SparkConnection
    from ringscope.analytics.spark.settings import SparkSettings
    from ringscope.analytics.spark.tables import load_tables
    from ringscope.app.spark_engine import session_conf, start_session

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tables", type=Path)
    ap.add_argument("--schemes", default="trace_resale,maternity")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--conf", action="append", default=[])
    args = ap.parse_args()
    t0 = time.perf_counter()
    spark = start_session("local[2]", session_conf("local[2]", args.conf, SparkSettings()))
    load_tables(spark, args.tables)
    jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    print(json.dumps({"start_s": round(time.perf_counter() - t0, 1), "conf": args.conf}), flush=True)
    settings = DetectionSettings.from_dict({"schemes": args.schemes.split(",")})
    for rep in range(args.repeat):
        con: Any = SparkConnection(spark)  # stands in for a DuckDB connection (analytics/spark)
        cpu0, t0 = _cpu_s(jvm), time.perf_counter()
        rings = run_detection(con, settings, engine=con.community_engine()).rings
        print(json.dumps({"run": rep, "wall_s": round(time.perf_counter() - t0, 1),
                          "cpu_s": round(_cpu_s(jvm) - cpu0, 1), "statements": con.statements,
                          "rings": len(rings), "load": round(os.getloadavg()[0], 1)}), flush=True)
        con.close()
    spark.stop()


if __name__ == "__main__":
    main()
