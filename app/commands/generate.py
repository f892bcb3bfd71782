"""``ringscope generate``: a synthetic drop with planted rings and truth."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ringscope.app.console import make_console

console = make_console()


def generate(
    out: Path = typer.Option(..., "--out", help="Folder to write the drop into."),
    patients: int = typer.Option(20000, "--patients", min=100, help="Number of insured people."),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same files."),
    weeks: Optional[int] = typer.Option(None, "--weeks", min=1, help="Write K weekly drops (week-01, ...) instead of one."),
    no_rings: bool = typer.Option(False, "--no-rings",
                                  help="Plant no fraud ring: only legitimate activity and look-alikes "
                                       "(a clean drop: every reported ring is a false alarm)."),
) -> None:
    """Write every contract table plus truth/ (rings, ring settlements, hard negatives)."""
    from dataclasses import replace

    from ringscope.ingest import synth

    settings = replace(synth.GeneratorSettings(), plant_rings=not no_rings)

    with Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("generate", total=1.0)

        def progress(label: str, fraction: float) -> None:
            bar.update(task, description=label[:28], completed=fraction)

        if weeks:
            summary = synth.generate_weekly_series(out, patients, seed, weeks=weeks, progress=progress,
                                                   settings=settings)
        else:
            summary = synth.generate_drop(out, patients, seed, progress=progress, settings=settings)
    console.print(f"Wrote {out}: {summary}")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
