"""The rewrites of analytics/spark/dialect.py give DuckDB's answers when Spark runs them.

Each expression is evaluated by DuckDB on a small table and, transpiled, by
Spark on the same rows: a rewrite that drifts from DuckDB's meaning fails here
before it can change a ring."""
from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from ringscope.analytics.spark.connection import SparkConnection

ROWS = pd.DataFrame({
    "g": [1, 1, 1, 2, 2, 3],
    "k": [0, 1, 2, 3, 5, 8],
    "a": pd.to_datetime(["2026-01-01 23:30", "2026-02-28 10:00", "2025-12-31 23:59", "2026-03-01 00:00",
                         "2024-02-29 12:00", "2026-06-07 08:00"]),
    "b": pd.to_datetime(["2026-01-02 00:10", "2026-03-01 09:00", "2026-01-01 00:01", "2026-03-08 23:00",
                         "2026-02-28 12:00", "2026-06-07 09:30"]),
    "s": ["N41.0", "N43", "O80", "n41", "N42.9", "X"],
})

EXPRESSIONS = [
    "SELECT k, lgamma(k + 1) FROM t ORDER BY k",
    "SELECT k, date_diff('day', a, b), date_diff('year', a, b), date_diff('hour', a, b) FROM t ORDER BY k",
    "SELECT k, dayofweek(CAST(a AS DATE)) FROM t ORDER BY k",
    "SELECT k, date_diff('hour', a, b) / 24, 2 * date_diff('year', a, b) FROM t ORDER BY k",
    "SELECT k, s SIMILAR TO 'N4[0-2].*' FROM t ORDER BY k",
    "SELECT g, list(s ORDER BY k), list(DISTINCT s ORDER BY s), list(s) FILTER (WHERE k > 100) FROM t GROUP BY g ORDER BY g",
    "SELECT g, quantile_cont(k, 0.25), median(k) FROM t GROUP BY g ORDER BY g",
    "SELECT k, epoch(a) FROM t ORDER BY k",
    "SELECT g, count(*), (SELECT count(*) FROM t t2 WHERE t2.g = t.g AND t2.k > 1) FROM t GROUP BY g ORDER BY g",
    "SELECT o.x FROM (SELECT 1 AS one) CROSS JOIN range(-2, 2 + 1) o(x) ORDER BY 1",
    "SELECT k, CAST(k AS DECIMAL(14,2)) / 7, sum(CAST(k AS DECIMAL(14,2))) OVER () / 3 FROM t ORDER BY k",
]


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture(scope="module")
def engines(spark):
    con = duckdb.connect()
    con.register("t_df", ROWS)
    con.execute("CREATE TABLE t AS SELECT g::BIGINT AS g, k::BIGINT AS k, a::TIMESTAMP AS a, b::TIMESTAMP AS b, s FROM t_df")
    spark.createDataFrame(ROWS).selectExpr("g", "k", "CAST(a AS TIMESTAMP_NTZ) AS a", "CAST(b AS TIMESTAMP_NTZ) AS b",
                                           "s").createOrReplaceTempView("t")
    return con, SparkConnection(spark)


@pytest.mark.parametrize("sql", EXPRESSIONS)
def test_spark_gives_duckdbs_answer(engines, sql):
    duck, spark = engines
    expected, got = duck.execute(sql).fetchall(), spark.execute(sql).fetchall()
    assert len(expected) == len(got)
    for e, g in zip(expected, got):
        assert _same(list(e), list(g)), (sql, e, g)


def test_positional_values_bind_in_text_order(engines):
    """DuckDB binds ``?`` in the order written; a CTE's placeholder comes first though the tree walk meets it last."""
    duck, spark = engines
    sql = "WITH c AS (SELECT k * ? AS y FROM t) SELECT y, ? FROM c WHERE y < ? ORDER BY y"
    expected = duck.execute(sql, [2, "a ? in a value", 9]).fetchall()
    assert expected == [(0, "a ? in a value"), (2, "a ? in a value"), (4, "a ? in a value"), (6, "a ? in a value")]
    assert spark.execute(sql, [2, "a ? in a value", 9]).fetchall() == expected


@pytest.mark.parametrize("mode", ["disk", "memory", "columnar", "parquet"])
def test_temp_tables_keep_their_rows_in_every_materialisation(engines, mode):
    """``[spark] temp_tables`` changes how a temp table is stored, never what it holds: money stays
    DECIMAL(14,2) (a Parquet round trip must not turn it into DOUBLE), an untyped NULL column survives, INSERT
    adds rows and DROP forgets the table."""
    duck, _ = engines
    spark = SparkConnection(engines[1].spark, temp_tables=mode)
    make = ("CREATE OR REPLACE TEMP TABLE _rs_keep AS SELECT g, k, CAST(k AS DECIMAL(14,2)) / 4 AS money, "
            "CAST(k AS DECIMAL(14,2)) AS paid, NULL AS nothing, a FROM t WHERE k < 5")
    more = "INSERT INTO _rs_keep SELECT g, k, NULL, NULL, NULL, a FROM t WHERE k >= 5"
    read = "SELECT g, k, money, paid, nothing, a FROM _rs_keep ORDER BY k"
    try:
        for con in (duck, spark):
            con.execute(make)
            con.execute(more)
        expected, got = duck.execute(read).fetchall(), spark.execute(read).fetchall()
        assert len(got) == len(ROWS) and got[0][3] == expected[0][3] and type(got[0][3]) is type(expected[0][3])
        for e, g in zip(expected, got):
            assert _same(list(e), list(g)), (mode, e, g)
    finally:
        duck.execute("DROP TABLE IF EXISTS _rs_keep")
        spark.execute("DROP TABLE IF EXISTS _rs_keep")
        spark.close()
    assert not spark.spark.catalog.tableExists("_rs_keep")
