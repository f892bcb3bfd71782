"""Weekly report speed: building the report for a 100,000-patient week.

Sets up a workspace with two recorded weeks of a generated weekly series
(``ringscope weekly`` on week 1, then week 2: ingest, detect, history,
report), then times what ``ringscope report --week W2`` does, ``--repeat``
times: assembling the report data from the history and the catalogue,
rendering the HTML (Chinese and English) and the PDF (Chinese and English).
Also times ``ringscope report --week W2`` as a fresh process, the way a
scheduler runs it (imports, font discovery, lock, store open included).
Target: the whole report (both languages, both formats) in under a minute.

    python benchmarks/report.py --patients 100000 --repeat 3
    python benchmarks/report.py --series some/series --workspace some/ws --repeat 3   # reuse
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ringscope.app.config import load_config
from ringscope.app.report.data import build_report_data
from ringscope.app.report.render import render_html, render_pdf
from ringscope.app.weekly import run_weekly
from ringscope.graph.factory import open_store

WEEKS = ("2026-W02", "2026-W03")  # a generated series starts on Monday 2026-01-05
TARGET_S = 60.0


def prepare(series: Path, workspace: Path, patients: int, seed: int) -> dict[str, float]:
    """Generate the series and run both weeks when not there yet; returns timings."""
    timings: dict[str, float] = {}
    if not (series / "series.json").exists():
        from ringscope.ingest.synth import generate_weekly_series

        t = time.perf_counter()
        generate_weekly_series(series, patients, seed, weeks=len(WEEKS))
        timings["generate_series"] = time.perf_counter() - t
    cfg = load_config(workspace=workspace, env={})
    for k, week in enumerate(WEEKS, start=1):
        t = time.perf_counter()
        outcome = run_weekly(cfg, series / f"week-{k:02d}", week, formats=("html",), langs=("zh",))
        timings[f"weekly_{week}"] = time.perf_counter() - t
        timings[f"rings_{week}"] = outcome.rings
    return timings


def time_report(workspace: Path, out: Path) -> dict[str, float]:
    cfg = load_config(workspace=workspace, env={})
    t0 = time.perf_counter()
    with open_store(cfg.store) as store:
        data = build_report_data(store.relational(), WEEKS[-1])
    t1 = time.perf_counter()
    html = {lang: render_html(data, lang) for lang in ("zh", "en")}
    for lang, text in html.items():
        (out / f"report-{lang}.html").write_text(text, encoding="utf-8")
    t2 = time.perf_counter()
    for lang, text in html.items():
        render_pdf(text, out / f"report-{lang}.pdf")
    t3 = time.perf_counter()
    return {"data": t1 - t0, "html_zh_en": t2 - t1, "pdf_zh_en": t3 - t2, "total": t3 - t0,
            "rings": data.totals["rings"], "pdf_kb": sum((out / f"report-{lang}.pdf").stat().st_size for lang in html) / 1024}


def time_cli(workspace: Path, out: Path) -> float:
    """The command as a scheduler runs it: a fresh process (imports, fonts, lock, store)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from ringscope.app.cli import main; main()", "report", "--week", WEEKS[-1],
                    "-w", str(workspace), "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--series", type=Path, help="generated weekly series to use (made when missing)")
    ap.add_argument("--workspace", type=Path, help="workspace holding the recorded weeks (made when missing)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ringscope-bench-report-"))
    series = args.series or work / "series"
    workspace = args.workspace or work / "ws"
    setup = {}
    if not (workspace / "ringscope.duckdb").exists():
        setup = prepare(series, workspace, args.patients, args.seed)
    runs = []
    for i in range(args.repeat):
        out = work / f"out-{i}"
        out.mkdir(parents=True, exist_ok=True)
        runs.append(time_report(workspace, out))
        runs[-1]["cli_cold_process"] = time_cli(workspace, work / f"cli-{i}")
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[-1].items()), flush=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    result = {"patients": args.patients, "seed": args.seed, "repeat": args.repeat, "setup_s": setup,
              "median_s": {k: round(v, 2) for k, v in med.items()}, "target_s": TARGET_S,
              "within_target": max(med["total"], med["cli_cold_process"]) < TARGET_S}
    print(json.dumps(result, indent=2))
    print()
    print("| step | median s |")
    print("|---|---:|")
    for k in ("data", "html_zh_en", "pdf_zh_en", "total", "cli_cold_process"):
        print(f"| {k} | {med[k]:.2f} |")


if __name__ == "__main__":
    main()
