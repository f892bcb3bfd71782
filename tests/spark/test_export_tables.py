"""``ringscope export-tables``: the workspace catalogue as NAME.parquet, what ``detect --engine spark`` reads.

Checked without Spark (DuckDB reads the Parquet back): every contract table is
written, with the contract's columns and the store's row counts, and the
export is audit-logged."""
from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from ringscope.app import audit
from ringscope.app.cli import app
from ringscope.graph.config import StoreConfig
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.contract import TABLES
from ringscope.ingest.mapping import HeaderMapping
from tests.drops import minimal_drop


def test_export_tables_writes_every_contract_table_readable_with_the_same_rows(tmp_path):
    ws = tmp_path / "ws"
    store = DuckDBStore(StoreConfig(workspace=ws))
    try:
        store.ingest_drop(minimal_drop(tmp_path / "drop"), HeaderMapping())
        con = store.relational()
        expected = {name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] for name in TABLES}
    finally:
        store.close()
    out = tmp_path / "tables"
    res = CliRunner().invoke(app, ["export-tables", str(out), "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert expected["settlements"] == 2 and expected["dispensings"] == 2
    got = {}
    for name, spec in TABLES.items():
        path = out / f"{name}.parquet"
        assert path.is_file(), name
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{path.as_posix()}')")
        assert rel is not None and rel.columns == list(spec.column_names), name
        got[name] = duckdb.execute(f"SELECT count(*) FROM read_parquet('{path.as_posix()}')").fetchall()[0][0]
    assert got == expected
    assert not list(out.glob(".*.part"))  # written beside the target and renamed: no half table left
    events = audit.read_events(ws, action="export")
    assert events and events[-1]["target"] == "tables"
