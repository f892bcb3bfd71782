"""The SQL engine seam on Spark: what detectors call on a DuckDB connection, answered by Spark.

Detectors talk to their SQL engine through four calls: ``execute(sql,
params)`` (then ``fetchall``/``fetchone``/``df``), ``register(name, frame)``
and ``unregister(name)``.  A DuckDB connection is the embedded
implementation; :class:`SparkConnection` is the distributed one, so detector
code is the same for both (issue #15: one source of truth for the SQL).

* ``CREATE [OR REPLACE] TEMP TABLE t AS SELECT ...`` becomes a Spark
  DataFrame, materialised once (detectors read their temp tables several
  times, and lineage must not grow with each step) and registered as temp
  view ``t``.  How (``[spark] temp_tables``; ``auto``, the default, is
  ``parquet`` on a local master and ``disk`` on a cluster): ``disk`` is a
  ``localCheckpoint`` stored serialised on the executors' local disks;
  ``memory`` keeps it as deserialised rows in the block manager (fine at
  1,000 patients, stuck at a million: tasks spent their time copying rows
  into the memory store); ``columnar`` is ``persist`` (Spark's compressed
  in-memory columns) plus a count; ``parquet`` writes it to a local scratch
  folder and reads it back (local masters only: executors must see the
  folder).  Measurements in benchmarks/README.md (Spark engine);
* ``DROP TABLE IF EXISTS t`` drops the view and frees the cached data;
* a query's rows are collected to the driver — detectors only fetch reduced
  results (edge lists, groups, facts per group), never the contract tables;
* values come back as DuckDB gives them: money (DECIMAL scale 2) as
  ``Decimal``; other decimals (Spark keeps ``avg``/division in DECIMAL where
  DuckDB gives DOUBLE) as ``float``.
"""
from __future__ import annotations

import os
import sys
import time
from decimal import Decimal
from typing import Any, Mapping, Sequence

from sqlglot import exp

from ringscope.analytics.spark.dialect import DialectError, spark_text, to_spark
from ringscope.analytics.spark.settings import KEEP_MODES, TEMP_TABLES


class SparkStepError(RuntimeError):
    """A detector step failed on Spark; the message names the step and Spark's first line."""


class SparkResult:
    """The rows of one statement, fetched like a DuckDB result."""

    def __init__(self, frame: Any = None, step: str = "") -> None:
        self._frame = frame
        self._step = step
        self._rows: list[tuple] | None = None

    def fetchall(self) -> list[tuple]:
        if self._rows is None:
            t0 = time.perf_counter()
            self._rows = [] if self._frame is None else _rows(self._frame)
            if self._step and os.environ.get("RINGSCOPE_SPARK_DEBUG"):
                print(f"-- {time.perf_counter() - t0:6.2f}s fetch {len(self._rows)} rows: {self._step}", file=sys.stderr)
        return self._rows

    def fetchone(self) -> tuple | None:
        got = self.fetchall()
        return got[0] if got else None

    def df(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.fetchall(), columns=[] if self._frame is None else self._frame.columns)


def _rows(frame: Any) -> list[tuple]:
    from pyspark.sql.types import DecimalType

    to_float = [isinstance(f.dataType, DecimalType) and f.dataType.scale != 2 for f in frame.schema.fields]
    out = []
    for row in frame.collect():
        out.append(tuple(float(v) if conv and isinstance(v, Decimal) else v for v, conv in zip(row, to_float)))
    return out


class SparkConnection:
    """Detectors' SQL on a Spark session whose catalog holds the contract tables as temp views."""

    def __init__(self, session: Any, driver_graph_edges: int = 2_000_000, temp_tables: str = TEMP_TABLES) -> None:
        if temp_tables not in KEEP_MODES:
            raise ValueError(f"temp_tables must be one of {', '.join(KEEP_MODES)}, not {temp_tables!r}")
        self.spark = session
        self.driver_graph_edges = driver_graph_edges
        if temp_tables == "auto":  # the driver's scratch folder is the executors' only on one machine
            temp_tables = "parquet" if str(session.sparkContext.master).startswith("local") else "disk"
        self.temp_tables = temp_tables
        self._cached: dict[str, Any] = {}
        self._files: dict[int, str] = {}  # id of a Parquet temp table's frame -> its scratch folder
        self._scratch: str | None = None
        self.statements = 0

    def _keep(self, frame: Any) -> Any:
        """A temp table computed once: detectors read each several times (lazy views cost more, docs/scale.md)."""
        from pyspark.storagelevel import StorageLevel

        if self.temp_tables == "memory":
            return frame.localCheckpoint(eager=True)
        if self.temp_tables == "disk":
            return frame.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)
        if self.temp_tables == "columnar":
            kept = frame.persist(StorageLevel.MEMORY_AND_DISK)
            kept.count()
            return kept
        return self._parquet(frame)

    def _parquet(self, frame: Any) -> Any:
        """Written as Parquet to a scratch folder and read back: columnar, compressed, lineage cut."""
        import tempfile

        if self._scratch is None:
            import atexit
            import shutil

            self._scratch = tempfile.mkdtemp(prefix="ringscope-spark-")
            # a run that never reaches close() (an error, a script) must not leave GBs in the temp folder
            atexit.register(shutil.rmtree, self._scratch, ignore_errors=True)
        path = f"{self._scratch}/t{self.statements}"
        frame.write.mode("overwrite").parquet(path)
        kept = self.spark.read.parquet(path)
        self._files[id(kept)] = path
        return kept

    def _forget(self, frame: Any) -> None:
        """Free a replaced or dropped temp table: its cached blocks, or its Parquet files (a run at a
        million patients writes GBs of temp tables; only the live ones may stay on disk)."""
        frame.unpersist()
        path = self._files.pop(id(frame), None)
        if path is not None:
            import shutil

            shutil.rmtree(path, ignore_errors=True)

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> SparkResult:
        if sql.strip().upper().startswith("SET "):
            return SparkResult()  # DuckDB settings (memory_limit, threads) have no meaning here
        tree = to_spark(sql, params)
        self.statements += 1
        try:
            t0 = time.perf_counter()
            out = self._run(tree)
            out._step = sql.strip().splitlines()[0][:70]
            if os.environ.get("RINGSCOPE_SPARK_DEBUG"):
                print(f"-- {time.perf_counter() - t0:6.2f}s {sql.strip().splitlines()[0][:70]}", file=sys.stderr)
            return out
        except Exception as exc:
            if os.environ.get("RINGSCOPE_SPARK_DEBUG"):
                print(f"-- failed on Spark:\n{spark_text(tree)}", file=sys.stderr)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SparkStepError(f"{first[:300]} (in the step starting {sql.strip().splitlines()[0][:60]!r})") from exc

    def _run(self, tree: exp.Expression) -> SparkResult:
        if isinstance(tree, exp.Create):
            return self._create(tree)
        if isinstance(tree, exp.Insert):
            return self._insert(tree)
        if isinstance(tree, exp.Drop):
            self._drop(tree.this.name)
            return SparkResult()
        return SparkResult(self.spark.sql(spark_text(tree)))

    def _create(self, tree: exp.Create) -> SparkResult:
        kind = (tree.args.get("kind") or "").upper()
        query = tree.expression
        if kind not in ("TABLE", "VIEW") or query is None:
            raise DialectError(f"only CREATE TABLE/VIEW ... AS SELECT runs on Spark, not {kind}")
        name = tree.this.this.name if isinstance(tree.this, exp.Schema) else tree.this.name
        frame = self.spark.sql(spark_text(query))
        if kind == "TABLE":
            frame = self._keep(frame)
        self._drop(name)
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        return SparkResult()

    def _insert(self, tree: exp.Insert) -> SparkResult:
        """``INSERT INTO t SELECT ...`` on a temp table: its rows plus the new ones, by position."""
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        name = target.name
        if name not in self._cached or tree.expression is None:
            raise DialectError(f"INSERT INTO {name}: only temp tables made by CREATE TEMP TABLE take rows on Spark")
        old = self._cached[name]
        frame = self._keep(old.union(self.spark.sql(spark_text(tree.expression))))
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        self._forget(old)
        return SparkResult()

    def _drop(self, name: str) -> None:
        frame = self._cached.pop(name, None)
        if frame is not None:
            self._forget(frame)
        self.spark.catalog.dropTempView(name)

    def register(self, name: str, frame: Any) -> None:
        """A small pandas frame from the driver as temp view ``name`` (groups, rings)."""
        from pyspark.sql.types import StringType, StructField, StructType

        if len(frame) == 0:  # no rows: Spark cannot infer types; every registered column is text or int
            schema = StructType([StructField(str(c), StringType()) for c in frame.columns])
            sdf = self.spark.createDataFrame([], schema)
        else:
            sdf = self.spark.createDataFrame(frame)
        sdf.createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        for name in list(self._cached):
            self._drop(name)
        if self._scratch is not None:
            import shutil

            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def community_engine(self) -> Any:
        """Components and Leiden on Spark (``analytics.spark.components``)."""
        from ringscope.analytics.spark.components import SparkCommunityEngine

        return SparkCommunityEngine(self.spark, self.driver_graph_edges)
