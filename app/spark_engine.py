"""Starting the Spark engine for ``ringscope detect --engine spark`` (docs/scale.md).

Checks what a user can get wrong before Spark prints pages of Java: that
Java 17+ is installed, that the master URL is one Spark accepts (and, for a
standalone master, that it answers), and that the Parquet folder holds the
contract tables.  Each failure is a :class:`SparkEngineError` with a
one-line message; the command turns it into the usual error line.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

MASTER_RE = re.compile(r"^(local(\[(\*|[1-9]\d*)(,[1-9]\d*)?\])?|spark://[^/\s]+:\d+(,[^/\s]+:\d+)*|yarn|k8s://\S+)$")

SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",  # naive timestamps, as in the embedded store
    "spark.sql.ansi.enabled": "false",  # NULL on division by zero, as DuckDB
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
}


class SparkEngineError(Exception):
    """Spark cannot run here; the message says what to fix."""


def check_java() -> str:
    """The ``java`` that Spark will start, or the error to show when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if not java:
        raise SparkEngineError("no Java found (Spark needs Java 17 or newer): install it or set JAVA_HOME")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SparkEngineError(f"cannot run {java}: {exc}") from None
    m = re.search(r'version "(\d+)', out)
    if m and int(m.group(1)) < 17:
        raise SparkEngineError(f"{java} is Java {m.group(1)}; Spark needs Java 17 or newer")
    return java


def check_master(master: str) -> None:
    """A master URL Spark accepts; a standalone master must answer on its port."""
    if not MASTER_RE.match(master or ""):
        raise SparkEngineError(f"--master {master!r} is not a Spark master URL "
                               "(use local[*], local[N], spark://HOST:PORT, yarn or k8s://URL)")
    if master.startswith("spark://"):
        host, _, port = master[len("spark://"):].split(",")[0].rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
        except OSError as exc:
            raise SparkEngineError(f"--master {master}: no Spark master answers at {host}:{port} ({exc})") from None


def parse_conf(pairs: Sequence[str]) -> dict[str, str]:
    """``--conf key=value`` pairs as a dict; a pair without ``=`` is an error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SparkEngineError(f"--conf {pair!r}: write it as key=value, e.g. spark.executor.memory=8g")
        out[key.strip()] = value.strip()
    return out


def start_session(master: str, conf: dict[str, str], app_name: str = "ringscope-detect") -> Any:
    """A Spark session with the engine's defaults, overridden by ``conf``."""
    check_java()
    check_master(master)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkEngineError("pyspark is not installed: pip install 'ringscope[spark]'") from None
    running = SparkSession.getActiveSession()
    if running is not None:  # a session this process already runs (a notebook, the test suite): use it
        return running
    if master.startswith("local"):
        # Python workers (Leiden in applyInPandas) must import ringscope: this interpreter, not `python3`
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**SESSION_DEFAULTS, **conf}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: show its first line, not a Java trace
        raise SparkEngineError(f"Spark did not start on {master}: {str(exc).strip().splitlines()[0][:200]}") from None
    spark.sparkContext.setLogLevel("FATAL")  # failures reach the user as one line, not as Java logs
    return spark


def spark_settings(raw: dict[str, Any], source: Any = None) -> Any:
    """``[spark]`` parsed, or the one-line error naming the file."""
    from ringscope.analytics.spark.settings import SparkSettings, SparkSettingsError

    try:
        return SparkSettings.from_dict(raw)
    except SparkSettingsError as exc:
        raise SparkEngineError(f"[spark] settings{f' in {source}' if source else ''}: {exc}") from None


def session_conf(master: str, conf_pairs: Sequence[str], settings: Any) -> dict[str, str]:
    """Spark settings of this run: ``[spark]`` first, ``--conf`` over it."""
    conf: dict[str, str] = {}
    partitions = settings.partitions_for(master)
    if partitions:
        conf["spark.sql.shuffle.partitions"] = str(partitions)
    if master.startswith("local"):
        # adaptive execution runs every shuffle stage as a job of its own: on one machine with a
        # few partitions there is nothing to re-plan, and it doubled the jobs of a detector
        # (85 -> 45 per trace resale + maternity run, docs/scale.md); a cluster keeps it
        conf["spark.sql.adaptive.enabled"] = "false"
    conf.update(parse_conf(conf_pairs))
    return conf


@contextmanager
def spark_sql(master: str, conf_pairs: Sequence[str], tables: Path | None, settings: Any = None) -> Iterator[Any]:
    """The Spark connection detectors run on, over the Parquet tables in ``tables``.

    ``tables`` None: the catalog tables ``[spark] tables`` names."""
    from ringscope.analytics.spark.connection import SparkConnection
    from ringscope.analytics.spark.settings import SparkSettings
    from ringscope.analytics.spark.tables import MissingTables, check_folder, load_catalog_tables, load_tables

    settings = settings or SparkSettings()
    if settings.temp_tables == "parquet" and not master.startswith("local"):
        raise SparkEngineError("[spark] temp_tables = 'parquet' needs a local master (the scratch folder is the "
                               "driver's); use 'disk' on a cluster")
    if tables is None and not settings.from_catalog:
        raise SparkEngineError("no tables: give --tables DIR (Parquet) or name catalog tables in [spark] tables")
    conf = session_conf(master, conf_pairs, settings)
    try:
        if tables is not None:
            check_folder(Path(tables))
    except MissingTables as exc:
        raise SparkEngineError(str(exc)) from None
    from pyspark.sql import SparkSession

    ours = SparkSession.getActiveSession() is None
    spark = start_session(master, conf)
    con = SparkConnection(spark, driver_graph_edges=settings.driver_graph_edges, temp_tables=settings.temp_tables)
    try:
        try:
            if tables is not None:
                load_tables(spark, tables)
            else:
                load_catalog_tables(spark, settings.catalog_names())
        except MissingTables as exc:
            raise SparkEngineError(str(exc)) from None
        yield con
    finally:
        con.close()
        if ours:
            spark.stop()
