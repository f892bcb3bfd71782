"""Issue #15: the contract tables read from Spark catalog (Hive/metastore) tables named in ``[spark] tables``.

The drop's Parquet files are registered as external tables of a catalog database, then
``ringscope detect --engine spark`` without ``--tables`` reads them through
the catalog and finds the rings the embedded engine finds on the same drop."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ringscope.analytics.settings import DetectionSettings
from ringscope.analytics.spark.settings import SparkSettings, SparkSettingsError
from ringscope.analytics.spark.tables import MissingTables, load_catalog_tables
from ringscope.app.detection import DropTables
from ringscope.ingest.contract import TABLES
from tests.spark.conftest import ONE_SCHEME_ONLY

SCHEME = "trace_resale"


@pytest.fixture(scope="module")
def catalog(spark, small_drop):
    """The drop's Parquet files as external catalog tables: a metastore entry each, no copy (a Spark job
    per table) — the catalog path under test is the same as for tables saved with ``saveAsTable``."""
    spark.sql("CREATE DATABASE IF NOT EXISTS rs_catalog")
    for name in TABLES:
        path = (small_drop / "tables" / f"{name}.parquet").as_posix()
        spark.sql(f"DROP TABLE IF EXISTS rs_catalog.{name}")  # names from the contract only
        spark.sql(f"CREATE TABLE rs_catalog.{name} USING parquet LOCATION '{path}'")
    return "rs_catalog"


def test_detect_reads_the_catalog_tables_named_in_settings(catalog, small_drop, tmp_path):
    from ringscope.analytics.pipeline import run_detection
    from ringscope.app.cli import app

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "ringscope.toml").write_text(f'[detection]\nschemes = ["{SCHEME}"]\n{ONE_SCHEME_ONLY}[spark]\ntables = "{catalog}"\n',
                                       encoding="utf-8")
    out = tmp_path / "rings.json"
    res = CliRunner().invoke(app, ["detect", "--engine", "spark", "--master", "local[2]", "-w", str(ws),
                                   "--no-book", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = sorted(sorted(r["settlement_ids"]) for r in json.loads(out.read_text(encoding="utf-8"))["rings"])
    drop = DropTables(small_drop / "drop")
    try:
        expected = sorted(sorted(r.settlement_ids) for r in
                          run_detection(drop.con, DetectionSettings.from_dict({"schemes": [SCHEME]})).rings)
    finally:
        drop.close()
    assert expected and got == expected


def test_a_missing_catalog_table_is_named(spark, catalog):
    names = SparkSettings.from_dict({"tables": {"patients": f"{catalog}.patients", "cards": f"{catalog}.cards",
                                                "facilities": f"{catalog}.facilities",
                                                "settlements": f"{catalog}.no_such_table"}}).catalog_names()
    with pytest.raises(MissingTables, match=r"rs_catalog\.no_such_table \(settlements\)"):
        load_catalog_tables(spark, names)


@pytest.mark.parametrize("raw, message", [
    ({"tables": {"claims": "db.claims"}}, "tables.claims: not a contract table"),
    ({"tables": "db; DROP"}, "not a catalog database name"),
    ({"shuffle_partitions": -1}, "shuffle_partitions must be a whole number"),
    ({"partitions": 4}, "unknown setting"),
    ({"temp_tables": "ram"}, "temp_tables must be one of auto, parquet, disk, memory, columnar"),
])
def test_bad_spark_settings_say_which(raw, message):
    with pytest.raises(SparkSettingsError, match=message):
        SparkSettings.from_dict(raw)


def test_local_runs_get_few_shuffle_partitions():
    assert SparkSettings().partitions_for("local[2]") == 4
    assert SparkSettings(shuffle_partitions=12).partitions_for("local[2]") == 12
    assert SparkSettings().partitions_for("yarn") is None  # a cluster keeps Spark's own or --conf


def test_parquet_temp_tables_need_a_local_master(tmp_path):
    """A cluster's executors cannot read the driver's scratch folder: refused in one line, before Spark starts."""
    from ringscope.app.spark_engine import SparkEngineError, spark_sql

    with pytest.raises(SparkEngineError, match="temp_tables = 'parquet' needs a local master"):
        with spark_sql("yarn", [], tmp_path, SparkSettings(temp_tables="parquet")):
            pass
