"""``ringscope detect``, ``ringscope evaluate``, ``ringscope train``.

detect   runs every scheme detector on the store, scores the rings, keeps
         their ids stable in the ring book and writes rings.json.
evaluate judges a rings.json against a generated drop's truth/ (contract
         sections 2-3): ring-level precision/recall/F1 per scheme,
         member-level precision/recall, hard-negative share, fund-loss error.
train    fits the supervised ring scorer on generated drops and stores it,
         versioned, in the workspace; detect uses it from then on.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ringscope.app.console import make_console
from ringscope.app.errors import UserError
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from

console = make_console()

def rings_table(rings, limit: int = 15) -> Table:
    table = Table(title=f"Top {min(limit, len(rings))} of {len(rings)} rings", title_justify="left")
    for col in ("ring", "scheme", "score", "members", "txns", "fund loss (CNY)", "main evidence"):
        table.add_column(col, justify="right" if col in ("score", "members", "txns", "fund loss (CNY)") else "left")
    for r in rings[:limit]:
        table.add_row(
            r.ring_id, r.scheme, f"{r.score:.2f}", str(len(r.members)),
            str(len(r.settlement_ids) + len(r.claim_ids)), f"{r.fund_loss:,.2f}",
            (r.evidence[0].text[:70] + "…") if r.evidence and len(r.evidence[0].text) > 70 else (r.evidence[0].text if r.evidence else ""),
        )
    return table


def detect(
    out: Optional[Path] = typer.Option(None, "--out", help="rings.json to write (default: WORKSPACE/rings.json)."),
    top: int = typer.Option(15, "--top", help="Rings to show in the summary table."),
    no_book: bool = typer.Option(False, "--no-book", help="Do not record the run in the ring book (ids not kept)."),
    engine: str = typer.Option("embedded", "--engine", metavar="[embedded|spark]",
                               help="Where the SQL runs: embedded (the store) or spark (Parquet tables, docs/scale.md)."),
    master: str = typer.Option("local[*]", "--master", help="Spark master URL: local[*], spark://…, yarn, k8s://…"),
    conf: list[str] = typer.Option([], "--conf", metavar="KEY=VALUE", help="Spark setting key=value, passed through (repeatable)."),
    tables: Optional[Path] = typer.Option(None, "--tables",
                                          help="Folder of NAME.parquet contract tables for --engine spark "
                                               "(default: [spark] tables, else WORKSPACE/tables written by export-tables)."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Find fraud rings in the ingested data and write rings.json."""
    from ringscope.analytics.rings_json import write_rings_json
    from ringscope.app.detection import detection_settings, run_detection
    from ringscope.graph.factory import open_store

    cfg = config_from(workspace, store, config)
    settings = detection_settings(cfg)
    if engine not in ("embedded", "spark"):
        raise UserError(f"--engine {engine!r}: use 'embedded' or 'spark'")
    with open_store(cfg.store) as st, _sql_engine(engine, master, conf, tables, cfg) as sql:
        with Progress(TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("detect", total=len(settings.schemes))

            def on_step(name: str, phase: str) -> None:
                if phase == "start":
                    bar.update(task, description=name)
                else:
                    bar.advance(task)

            run = run_detection(cfg, st, sql=sql, book=not no_book, on_step=on_step, settings=settings)
    if run.book_note:
        console.print(f"[yellow]Ring book not updated ({run.book_note}); ids are provisional.[/yellow]")
    path = out or (Path(cfg.workspace) / "rings.json")
    write_rings_json(path, run.rings, extra=run.rings_json_extra())
    console.print(rings_table(run.rings, top))
    if run.drg_enabled:
        from ringscope.app.commands.drg_output import drg_cases_table

        console.print(drg_cases_table(run.drg_cases))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in run.timings.items())
    console.print(f"Wrote {len(run.rings)} rings to {path} (scorer: {run.scorer}"
                  f"{', run ' + run.run_id if run.run_id else ''}{', engine spark' if sql else ''}). {timing}")
    print_gaps(run.gaps)


@contextmanager
def _sql_engine(engine: str, master: str, conf: list[str], tables: Optional[Path], cfg: Any) -> Iterator[Any]:
    """``None`` for the embedded engine (the store's connection), else a Spark session.

    Spark reads ``--tables DIR``; without it the catalog tables of ``[spark] tables``,
    else ``WORKSPACE/tables`` (what ``export-tables`` writes)."""
    if engine == "embedded":
        yield None
        return
    from ringscope.app.spark_engine import SparkEngineError, spark_settings, spark_sql

    try:
        settings = spark_settings(cfg.spark, cfg.source)
        if tables is None and not settings.from_catalog:
            tables = Path(cfg.workspace) / "tables"
        with spark_sql(master, conf, tables, settings) as sql:
            yield sql
    except SparkEngineError as exc:
        raise UserError(f"spark: {exc}") from None


def print_gaps(gaps) -> None:
    """Detectors that were blind on this data: no ring of their kind is then no finding."""
    if not gaps:
        return
    console.print("[yellow]数据缺口 / Data gaps — finding no ring of these kinds does not mean there is none:[/yellow]")
    for gap in gaps:
        console.print(f"[yellow]  {gap.text('zh')}\n  {gap.text('en')}[/yellow]")


def evaluate(
    drop_dir: Path = typer.Argument(..., help="Generated drop folder with truth/rings.csv."),
    rings_file: Path = typer.Argument(..., help="rings.json written by `ringscope detect`."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Score a rings.json against a drop's ground truth (contract matching rule)."""
    from ringscope.analytics.evaluation import detected_from_document, load_truth
    from ringscope.analytics.evaluation import evaluate as run_eval
    from ringscope.analytics.rings_json import read_rings_json

    try:
        truth = load_truth(drop_dir)
        doc = read_rings_json(rings_file)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None
    report = run_eval(truth, detected_from_document(doc))
    drg_report = _evaluate_drg(drop_dir, doc)
    if drg_report is not None:
        report["drg"] = drg_report
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{rings_file} against {drop_dir}/truth", title_justify="left")
    for col in ("scheme", "true", "detected", "matched", "precision", "recall", "F1",
                "member P", "member R", "fund-loss error"):
        table.add_column(col, justify="left" if col == "scheme" else "right")
    for scheme, row in report["per_scheme"].items():
        err = row["fund_loss_error"]
        table.add_row(scheme, str(row["true_rings"]), str(row["detected_rings"]), str(row["matched"]),
                      f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      f"{row['member_precision']:.3f}", f"{row['member_recall']:.3f}",
                      "-" if err is None else f"{err:.2%}")
    o = report["overall"]
    table.add_row("all", str(report["true_rings"]), str(report["detected_rings"]), str(report["matched"]),
                  f"{o['precision']:.3f}", f"{o['recall']:.3f}", f"{o['f1']:.3f}", "", "",
                  "-" if report["fund_loss_error_mean"] is None else f"{report['fund_loss_error_mean']:.2%}")
    console.print(table)
    console.print(f"Hard-negative rings (members mostly planted look-alikes): {report['hard_negative_rings']} "
                  f"of {report['detected_rings']} ({report['hard_negative_share']:.1%}).")
    if drg_report is not None:
        from ringscope.app.commands.drg_output import drg_evaluation_table

        console.print(drg_evaluation_table(drg_report))


def _evaluate_drg(drop_dir: Path, doc: dict) -> dict | None:
    """Contract 1.1: DRG cases against truth/drg_cases.csv when the drop has it (None otherwise)."""
    from ringscope.analytics.drg.evaluation import evaluate_drg, load_drg_truth, load_lookalikes

    try:
        truth = load_drg_truth(drop_dir)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if truth is None:
        return None
    cases = doc.get("drg_cases") or []
    if not isinstance(cases, list):
        raise UserError("rings.json: drg_cases must be a list")
    return evaluate_drg(truth, cases, load_lookalikes(drop_dir))


def train(
    drop_dirs: list[Path] = typer.Argument(..., metavar="DROP_DIR", help="Generated drop folders (with truth/) to learn from."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Fit the supervised ring scorer on generated drops and store it in the workspace."""
    from ringscope.analytics.training import train_scorer
    from ringscope.app.detection import detection_settings, drop_detector

    cfg = config_from(workspace, store, config)
    settings = detection_settings(cfg)
    for d in drop_dirs:
        if not (Path(d) / "truth" / "rings.csv").exists():
            raise UserError(f"{d}: no truth/rings.csv; train needs generated drops with ground truth")
    with console.status("detecting rings in the training drops"):
        try:
            path, meta = train_scorer(drop_dirs, cfg.workspace, settings, drop_detector(cfg, settings))
        except ValueError as exc:
            raise UserError(f"cannot train: {exc}") from None
    console.print(f"Stored scorer v{meta['version']} at {path}: {meta['rings']} rings "
                  f"({meta['positives']} matching a true ring) from {len(drop_dirs)} drop(s); "
                  f"training AUC {meta.get('train_auc', float('nan')):.3f}.")
    console.print("detect keeps the rank score until you opt in: set [detection.scoring] "
                  f"model_path = \"{path}\" (or \"latest\") in ringscope.toml.")


def register(app: typer.Typer) -> None:
    app.command("detect")(detect)
    app.command("evaluate")(evaluate)
    app.command("train")(train)
