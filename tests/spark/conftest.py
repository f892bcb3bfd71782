"""One Spark session (local[2]) and one small drop for every Spark test: a JVM start costs seconds."""
from __future__ import annotations

import pytest

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.spark.tables import write_parquet_tables

PATIENTS, SEED = 1000, 3

SMALL_DATA = {
    # a test JVM lives minutes and runs ~200 small statements: C2 compilation of Spark's own code is
    # CPU it never earns back on 2 cores (trace resale + maternity on this drop: 33.8 -> 15.7 CPU-s cold,
    # 18.2 -> 10.6 warm; benchmarks/README.md, Spark engine). Not for real runs: a 1M-patient run needs C2.
    # The serial collector: a heap this small gains nothing from parallel GC threads on 2 cores.
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.sql.codegen.wholeStage": "false",  # tiny tables: nothing for generated code to win
    # nor from compiling each statement's expressions with Janino: interpreted evaluation (the
    # same results; production runs keep code generation, and the 1M benchmark checks parity
    # there). The parity fixture's Spark run, JVM CPU-s: 188 -> 143 with this, 119 with the
    # serial collector too (benchmarks/README.md, Spark engine, test-suite overhead).
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.ui.enabled": "false",  # no listener work per job for a UI nobody opens
    "spark.sql.shuffle.partitions": "2",
}


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from ringscope.analytics.spark.settings import SparkSettings
    from ringscope.app.spark_engine import session_conf, start_session

    # the catalog test saves tables: into a scratch warehouse, never ./spark-warehouse
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    conf = {**session_conf("local[2]", [], SparkSettings()), **SMALL_DATA, "spark.sql.warehouse.dir": str(warehouse)}
    session = start_session("local[2]", conf, app_name="ringscope-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def small_drop(tmp_path_factory):
    """A generated drop (every scheme planted) and the same tables as Parquet."""
    from ringscope.ingest.synth import generate_drop

    root = tmp_path_factory.mktemp("spark-drop")
    generate_drop(root / "drop", PATIENTS, SEED)
    con = connect_drop(root / "drop")
    try:
        write_parquet_tables(con, root / "tables")
    finally:
        con.close()
    return root


ONE_SCHEME_ONLY = "[detection.drg]\nenabled = false\n"
"""Settings tail for the tests that run one scheme end to end: the DRG screens' parity is
test_spark_parity's, and on Spark they cost a dozen jobs more per run."""
