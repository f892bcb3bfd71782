"""``ringscope export-tables DIR``: the workspace catalogue as Parquet, for ``detect --engine spark``.

Writes one ``NAME.parquet`` per contract table (contract columns, store
types) so a Spark cluster — or ``detect --engine spark`` on this machine —
reads exactly what the embedded engine reads.  The tables hold personal
data unmasked, so every export is audit-logged before it is written
(app/audit.py); an audit log that cannot be written stops the export.
"""
from __future__ import annotations

import getpass
from pathlib import Path
from typing import Optional

import typer

from ringscope.app.console import make_console
from ringscope.app.errors import UserError
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from

console = make_console()


def export_tables(
    out: Optional[Path] = typer.Argument(None, help="Folder to write NAME.parquet into (default: WORKSPACE/tables)."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Write the workspace's contract tables as Parquet (input of detect --engine spark)."""
    from ringscope.analytics.spark.tables import write_parquet_tables
    from ringscope.app import audit
    from ringscope.graph.factory import open_store

    cfg = config_from(workspace, store, config)
    folder = out or Path(cfg.workspace) / "tables"
    try:
        audit.record(cfg.workspace, getpass.getuser() or "anonymous", "export", "tables",
                     {"folder": str(folder.resolve()), "format": "parquet"})
    except audit.AuditError as exc:
        raise UserError(f"export refused: the audit log cannot be written ({exc})") from None
    with open_store(cfg.store, read_only=True) as st:
        counts = write_parquet_tables(st.relational(), folder)
    rows = ", ".join(f"{name} {n:,}" for name, n in counts.items() if n)
    console.print(f"Wrote {len(counts)} Parquet tables to {folder} ({rows}).")
    console.print(f"Next: ringscope detect --engine spark --tables {folder}")


def register(app: typer.Typer) -> None:
    app.command("export-tables")(export_tables)
