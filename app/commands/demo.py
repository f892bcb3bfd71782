"""``ringscope demo``: the main job end to end on the embedded store.

Generates a demo drop with planted rings, ingests it, detects rings and
prints the top ones, then evaluates them against the drop's truth — the
first thing a new user runs to see the tool work with no server.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ringscope.app.commands.detect import detect, evaluate
from ringscope.app.commands.generate import MIN_PATIENTS, generation_table
from ringscope.app.commands.ingest import run_ingest, summary_table
from ringscope.app.console import make_console
from ringscope.app.options import ConfigOpt, WorkspaceOpt, config_from

console = make_console()


def demo(
    patients: int = typer.Option(5000, "--patients", min=MIN_PATIENTS, help="Size of the demo population."),
    seed: int = typer.Option(7, "--seed", help="Random seed of the demo data."),
    workspace: Optional[Path] = WorkspaceOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Generate demo data, ingest it, detect rings and show the top ones."""
    from ringscope.ingest.synth import generate_drop

    cfg = config_from(workspace, "duckdb", config)
    drop = Path(cfg.workspace) / "demo-drop"
    console.rule("1/4 generate")
    with console.status(f"Generating {patients:,} insured people with planted rings (seed {seed})…"):
        summary = generate_drop(drop, patients, seed)
    console.print(generation_table(summary))
    console.rule("2/4 ingest")
    report = run_ingest(cfg, drop, None)
    console.print(summary_table(report))
    console.rule("3/4 detect")
    rings_file = Path(cfg.workspace) / "rings.json"
    detect(out=rings_file, top=10, no_book=False, engine="embedded", master="local[*]", conf=[], tables=None,
           workspace=cfg.workspace, store="duckdb", config=config)
    console.rule("4/4 evaluate against the planted truth")
    evaluate(drop_dir=drop, rings_file=rings_file, as_json=False)
    console.print(f"\nNext: `ringscope explore -w {cfg.workspace}` opens the investigator's explorer.")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
