"""``ringscope ingest DIR``: validate a drop and load its good rows."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ringscope.app.console import make_console
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from
from ringscope.graph.catalogue import DropReport
from ringscope.graph.factory import open_store
from ringscope.ingest.mapping import load_mapping

console = make_console()


def summary_table(report: DropReport) -> Table:
    table = Table(title=f"Drop {report.drop_id}", title_justify="left")
    for col in ("file", "read", "new", "updated", "unchanged", "duplicates", "rejected"):
        table.add_column(col, justify="left" if col == "file" else "right", no_wrap=True)
    for t in report.tables:
        table.add_row(t.file, *(str(v) for v in (t.read, t.new, t.updated, t.unchanged, t.duplicates, t.rejected)))
    return table


def run_ingest(cfg, drop_dir: Path, mapping_file: Optional[Path], quiet: bool = False) -> DropReport:
    mapping = load_mapping(mapping_file)
    with open_store(cfg.store) as store, Progress(
        TextColumn("{task.description:<32}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=console, transient=True, disable=quiet,
    ) as bar:
        task = bar.add_task("ingest", total=1.0)

        def progress(label: str, fraction: float) -> None:
            bar.update(task, description=label[:32], completed=fraction)

        report = store.ingest_drop(drop_dir, mapping, progress)
        progress("path index", 1.0)
        store.prepare_paths()  # the first shortest-path question is then fast (graph.adjacency)
        return report


def ingest(
    drop_dir: Path = typer.Argument(..., help="Folder holding the drop's CSV/Parquet files."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML mapping the source's headers onto contract names."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Validate every row of a drop and load the good ones (atomically)."""
    cfg = config_from(workspace, store, config)
    report = run_ingest(cfg, drop_dir, mapping)
    for warning in report.warnings:
        console.print(f"Warning: {warning}", style="yellow", highlight=False, markup=False)
    console.print(summary_table(report))
    console.print(f"Loaded {report.loaded} rows, rejected {report.rejected}.")
    if report.rejects_file:
        console.print(f"Rejected rows, with file, line, column and reason: {report.rejects_file}")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
