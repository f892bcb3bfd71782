"""``ringscope generate``: a synthetic drop with planted rings and truth."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ringscope.app.console import make_console

console = make_console()

# The generator plants every scheme with its look-alikes; below this many
# people it cannot, so the option refuses it up front (same floor as ``demo``).
MIN_PATIENTS = 500


def generation_table(summary) -> Table:
    """What a drop holds, as a reader wants it: rows per table, rings per scheme, look-alikes, money."""
    table = Table(title=f"{summary.out_dir}  (seed {summary.seed}, {summary.patients:,} insured)")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, rows in summary.rows.items():
        if not name.startswith("truth/"):
            table.add_row(name, f"{rows:,}")
    for scheme, count in summary.rings.items():
        table.add_row(f"rings: {scheme}", f"{count:,}")
    table.add_row("ring members", f"{summary.ring_members:,}")
    table.add_row("look-alikes (legitimate)", f"{sum(summary.hard_negatives.values()):,}")
    table.add_row("planted fund loss (CNY)", f"{summary.fund_loss:,.2f}")
    return table


def series_table(summary) -> Table:
    """One line per weekly drop of a series, then the rings across the series."""
    table = Table(title=f"{summary.out_dir}  (seed {summary.seed}, {summary.patients:,} insured, "
                        f"{len(summary.weeks)} weeks)")
    table.add_column("drop")
    table.add_column("settlements", justify="right")
    for week in summary.weeks:
        table.add_row(Path(week.out_dir).name, f"{week.rows.get('settlements', 0):,}")
    for scheme, count in summary.rings.items():
        table.add_row(f"rings: {scheme}", f"{count:,}")
    return table


def generate(
    out: Path = typer.Option(..., "--out", help="Folder to write the drop into."),
    patients: int = typer.Option(20000, "--patients", min=MIN_PATIENTS,
                                 help="Number of insured people (at least enough to plant every scheme)."),
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
            series = synth.generate_weekly_series(out, patients, seed, weeks=weeks, progress=progress,
                                                  settings=settings)
        else:
            summary = synth.generate_drop(out, patients, seed, progress=progress, settings=settings)
    console.print(series_table(series) if weeks else generation_table(summary))


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
