"""Synthetic generator speed and memory: ``generate_drop`` at several sizes.

Each size runs in a fresh child process so its peak RSS is its own (read
with ``os.wait4``).  The table gives wall seconds, rows written per second
over all tables, and peak resident memory.  Targets: 100,000 patients in
under 2 minutes and 4 GB; 1,000,000 in well under 15 minutes.

    python benchmarks/generate.py                 # 10k and 100k patients
    python benchmarks/generate.py --million       # also 1M (several GB of CSV)
    python benchmarks/generate.py --sizes 20000 --keep /tmp/drops
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys, time
from pathlib import Path
from ringscope.ingest.synth import generate_drop
out, patients, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
summary = generate_drop(out, patients, seed)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": summary.rows}))
"""


def run_one(patients: int, seed: int, out: Path) -> dict:
    process = subprocess.Popen([sys.executable, "-c", CHILD, str(out), str(patients), str(seed)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None  # stdout=PIPE
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"generation of {patients} patients failed (exit {process.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    result["bytes"] = sum(p.stat().st_size for p in out.rglob("*.csv"))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--million", action="store_true", help="also generate 1,000,000 patients")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the drops under this folder")
    args = ap.parse_args()
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    work = args.keep or Path(tempfile.mkdtemp(prefix="ringscope-generate-"))
    print("| patients | seconds | settlements | dispensings | rows (all tables) | rows/s | CSV MB | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for patients in sizes:
            out = work / f"drop-{patients}"
            shutil.rmtree(out, ignore_errors=True)
            r = run_one(patients, args.seed, out)
            rows = sum(v for k, v in r["rows"].items() if not k.startswith("truth/"))
            print(f"| {patients:,} | {r['seconds']:.1f} | {r['rows']['settlements']:,} | "
                  f"{r['rows']['dispensings']:,} | {rows:,} | {rows / r['seconds']:,.0f} | "
                  f"{r['bytes'] / 2**20:,.0f} | {r['peak_rss_mb']:,.0f} |", flush=True)
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
