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
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ringscope.app.console import make_console
from ringscope.app.errors import UserError
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from

console = make_console()

SCHEME_ZH = {
    "trace_resale": "药品回流", "borrowed_cards": "冒用/出借医保卡", "car_shuttle": "包车接送住院",
    "over_prescription": "超量开药", "maternity": "虚假生育津贴", "mixed": "混合型",
}


def _settings(cfg):
    from ringscope.analytics.settings import DetectionSettings, SettingsError

    try:
        return DetectionSettings.from_dict(cfg.detection)
    except SettingsError as exc:
        where = f" in {cfg.source}" if cfg.source else ""
        raise UserError(f"[detection] settings{where}: {exc}") from None


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
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Find fraud rings in the ingested data and write rings.json."""
    from ringscope.analytics.data_coverage import coverage_gaps
    from ringscope.analytics.pipeline import provisional_ids, run_detection
    from ringscope.analytics.rings_json import sort_rings, write_rings_json
    from ringscope.app.weekly import chosen_scorer
    from ringscope.graph import ring_book
    from ringscope.graph.factory import open_store

    cfg = config_from(workspace, store, config)
    settings = _settings(cfg)
    scorer = chosen_scorer(cfg, settings)
    started = datetime.now(timezone.utc)
    from ringscope.analytics.community_gds import engine_for_store

    with open_store(cfg.store) as st:
        try:
            engine = engine_for_store(st, settings.engine)
        except ValueError as exc:
            raise UserError(f"[detection] engine: {exc}") from None
        con = st.relational()
        if settings.memory_limit:
            con.execute(f"SET memory_limit = '{settings.memory_limit}'")  # validated by DetectionSettings
        with Progress(TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("detect", total=len(settings.schemes))

            def on_step(name: str, phase: str) -> None:
                if phase == "start":
                    bar.update(task, description=name)
                else:
                    bar.advance(task)

            result = run_detection(con, settings, scorer=scorer, engine=engine, on_step=on_step)
        from ringscope.analytics.drg.screens import run_drg_screens

        drg = run_drg_screens(con, settings.drg)
        result.timings.update(drg.timings)
        gaps = coverage_gaps(con, settings.schemes)
        run_id = ""
        if no_book:
            rings = provisional_ids(result.rings)
        else:
            try:
                run_id = ring_book.record_run(con, result.rings, settings.digest(), result.scorer, started)
            except Exception as exc:  # a read-only catalogue: still write rings.json
                if "read-only" not in str(exc).lower() and "read only" not in str(exc).lower():
                    raise
                console.print(f"[yellow]Ring book not updated ({str(exc).splitlines()[0]}); ids are provisional.[/yellow]")
                provisional_ids(result.rings)
            rings = sort_rings(result.rings)
            if run_id:
                from ringscope.graph.drg_book import record_drg_cases

                record_drg_cases(con, run_id, [c.to_json() for c in drg.cases])
    path = out or (Path(cfg.workspace) / "rings.json")
    extra = {"run_id": run_id, "scorer": result.scorer, "settings_hash": settings.digest()} if run_id else \
        {"scorer": result.scorer, "settings_hash": settings.digest()}
    extra["drg_cases"] = [c.to_json() for c in drg.cases]  # contract 1.1, section 3
    write_rings_json(path, rings, extra=extra)
    console.print(rings_table(rings, top))
    if settings.drg.enabled:
        from ringscope.app.commands.drg_output import drg_cases_table

        console.print(drg_cases_table(drg.cases))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(f"Wrote {len(rings)} rings to {path} (scorer: {result.scorer}{', run ' + run_id if run_id else ''}). {timing}")
    print_gaps(gaps + (drg.gaps if settings.drg.enabled else []))


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
    from ringscope.analytics.evaluation import detected_from_document, evaluate as run_eval, load_truth
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
    drop_dirs: list[Path] = typer.Argument(..., help="Generated drop folders (with truth/) to learn from."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Fit the supervised ring scorer on generated drops and store it in the workspace."""
    from ringscope.analytics.training import train_scorer

    cfg = config_from(workspace, store, config)
    settings = _settings(cfg)
    for d in drop_dirs:
        if not (Path(d) / "truth" / "rings.csv").exists():
            raise UserError(f"{d}: no truth/rings.csv; train needs generated drops with ground truth")
    with console.status("detecting rings in the training drops"):
        try:
            path, meta = train_scorer(drop_dirs, cfg.workspace, settings)
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
