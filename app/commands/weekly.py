"""``ringscope weekly DROP_DIR``: the scheduled run (ingest, detect, history, report).

Exit codes for a scheduler: 0 done, 2 bad input (drop refused, bad week or
option), 3 store unavailable, 4 another run holds the workspace lock, 1 other.
See docs/scheduling.md for cron and systemd timer set-ups.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ringscope.app.console import make_console
from ringscope.app.options import (
    ConfigOpt,
    ExplorerUrlOpt,
    ReportFormatOpt,
    ReportLangOpt,
    ReportOutOpt,
    StoreOpt,
    WorkspaceOpt,
    config_from,
)

console = make_console()


def bad_input(message: str) -> Exception:
    """A bad option: the CLI prints it as one line with the 'bad input' exit code (2)."""
    from ringscope.app.weekly import BadInput

    option, _, reason = message.partition(": ")
    return BadInput(option, reason)


def week_option(value: Optional[str]) -> Optional[str]:
    from ringscope.app.weekly import parse_week

    if value is None:
        return None
    try:
        return parse_week(value)
    except ValueError as exc:
        raise bad_input(f"--week: {exc}") from None


def split_list(value: str, allowed: tuple[str, ...], name: str) -> list[str]:
    items = [v.strip().lower() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise bad_input(f"{name}: use one or more of {', '.join(allowed)} separated by commas, not {value!r}")
    return items


def weekly(
    drop_dir: Path = typer.Argument(..., help="This week's drop folder (contract CSV/Parquet files)."),
    week: Optional[str] = typer.Option(None, "--week", callback=week_option,
                                       help="ISO week such as 2026-W47 (default: this week in Asia/Shanghai)."),
    out: Optional[Path] = ReportOutOpt,
    formats: str = ReportFormatOpt,
    langs: str = ReportLangOpt,
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML header mapping for the drop."),
    explorer_url: Optional[str] = ExplorerUrlOpt,
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Ingest this week's drop, detect rings (ids kept from last week), record the history, write the report."""
    from ringscope.app.weekly import current_week, run_weekly

    cfg = config_from(workspace, store, config)
    fmt = split_list(formats, ("html", "pdf"), "--format")
    lang = split_list(langs, ("zh", "en"), "--lang")
    wk = week or current_week()
    outcome = run_weekly(cfg, drop_dir, wk, out, fmt, lang, mapping, explorer_url,
                         step=lambda m: console.print(f"{wk}: {m}", style="dim", markup=False, highlight=False))
    counts = ", ".join(f"{k} {v}" for k, v in outcome.status_counts.items() if v)
    console.print(f"{outcome.week}: {outcome.rings} rings ({counts or 'none'}); "
                  f"compared with {outcome.previous_week or 'nothing (first week)'}; run {outcome.run_id}.")
    for f in outcome.files:
        console.print(f"Wrote {f}")


def register(app: typer.Typer) -> None:
    app.command("weekly")(weekly)
