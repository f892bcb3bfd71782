"""The contract tables on Spark: ``NAME.parquet`` files (or folders) read and typed like the store's.

A folder holds one Parquet file (or a folder of part files, as Spark and
Hive write them) per contract table: a drop delivered as Parquet, or what
``ringscope export-tables`` wrote from the workspace catalogue.  Every
column is cast to the type the embedded store uses (contract section 1:
dates DATE, ``settled_at`` TIMESTAMP without time zone, money
DECIMAL(14,2), quantities DOUBLE, ``line_no`` BIGINT, ``controlled``
BOOLEAN, the rest STRING), so the detectors' SQL sees the same values on
both engines.  Optional tables that are absent are empty (the detectors
that need them report a data gap, as on the embedded engine).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ringscope.ingest.contract import BOOL, DATE, DATETIME, INT, MONEY, NUMBER, TABLES

REQUIRED = ("patients", "cards", "facilities", "settlements")
"""Without these no detector can run; the others may be missing (a data gap, not an error)."""

_SPARK_TYPE = {
    DATE: "DATE", DATETIME: "TIMESTAMP_NTZ", MONEY: "DECIMAL(14,2)", NUMBER: "DOUBLE",
    INT: "BIGINT", BOOL: "BOOLEAN",
}


class MissingTables(ValueError):
    """The Parquet folder lacks a table every run needs."""


def spark_type(kind: str) -> str:
    return _SPARK_TYPE.get(kind, "STRING")


def table_path(folder: Path, name: str) -> Path | None:
    """``NAME.parquet`` (a file or a folder of parts), or None."""
    path = folder / f"{name}.parquet"
    return path if path.exists() else None


def check_folder(folder: Path) -> None:
    """Raise :class:`MissingTables` naming every required table absent from ``folder``."""
    if not folder.is_dir():
        raise MissingTables(f"{folder}: no such folder of Parquet tables (write one with `ringscope export-tables`)")
    missing = [f"{n}.parquet" for n in REQUIRED if table_path(folder, n) is None]
    if missing:
        raise MissingTables(f"{folder}: missing Parquet table(s) {', '.join(missing)} "
                            f"(every run needs {', '.join(REQUIRED)})")


def _column(name: str, kind: str, present: dict[str, str]) -> str:
    target = spark_type(kind)
    if name not in present:
        return f"CAST(NULL AS {target}) AS `{name}`"
    if kind == BOOL and present[name] == "string":
        return f"CASE lower(`{name}`) WHEN 'true' THEN true WHEN '1' THEN true ELSE false END AS `{name}`"
    if target == "STRING":
        return f"NULLIF(CAST(`{name}` AS STRING), '') AS `{name}`"
    return f"TRY_CAST(`{name}` AS {target}) AS `{name}`"


def load_tables(spark: Any, folder: Path | str) -> dict[str, int]:
    """Register every contract table of a Parquet folder as a typed temp view.

    Returns 0 for an absent optional table, -1 for a table read (not counted:
    a count is a full scan, left to the detectors)."""
    folder = Path(folder)
    check_folder(folder)
    counts: dict[str, int] = {}
    for name in TABLES:
        path = table_path(folder, name)
        counts[name] = _register(spark, name, None if path is None else spark.read.parquet(str(path)))
    return counts


def load_catalog_tables(spark: Any, names: dict[str, str]) -> dict[str, int]:
    """Register the contract tables from catalog (Hive/metastore) tables: ``names`` maps contract -> catalog name.

    A province's platform keeps the data in its warehouse; reading the catalog
    tables directly saves an export.  They are typed like Parquet tables."""
    missing = [f"{names[n]} ({n})" if n in names else n for n in REQUIRED
               if n not in names or not spark.catalog.tableExists(names[n])]
    if missing:
        raise MissingTables(f"catalog table(s) not found: {', '.join(missing)} "
                            f"(every run needs {', '.join(REQUIRED)}; [spark] tables in docs/scale.md)")
    counts: dict[str, int] = {}
    for name in TABLES:
        target = names.get(name)
        raw = spark.table(target) if target and spark.catalog.tableExists(target) else None
        counts[name] = _register(spark, name, raw)
    return counts


def _register(spark: Any, name: str, raw: Any) -> int:
    """Temp view ``name`` with the store's columns and types over ``raw`` (empty when ``raw`` is None)."""
    spec = TABLES[name]
    if raw is None:
        cols = ", ".join(f"CAST(NULL AS {spark_type(c.kind)}) AS `{c.name}`" for c in spec.columns)
        spark.sql(f"SELECT {cols} WHERE false").createOrReplaceTempView(name)
        return 0
    present = {f.name: f.dataType.simpleString() for f in raw.schema.fields}
    raw.createOrReplaceTempView(f"_raw_{name}")
    typed = spark.sql(f"SELECT {', '.join(_column(c.name, c.kind, present) for c in spec.columns)} FROM _raw_{name}")
    typed.createOrReplaceTempView(name)
    return -1


def write_parquet_tables(con: Any, folder: Path | str) -> dict[str, int]:
    """Write every contract table of a DuckDB connection as ``folder/NAME.parquet``; returns row counts.

    The embedded catalogue (or a drop loaded in memory) becomes what the Spark
    engine reads: contract columns only, with their store types."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, spec in TABLES.items():
        cols = ", ".join(f'"{c}"' for c in spec.column_names)
        target = folder / f"{name}.parquet"
        part = folder / f".{name}.parquet.part"
        # written next to the target, then renamed: a reader never sees half a table
        con.execute(f"COPY (SELECT {cols} FROM {name}) TO '{part.as_posix()}' (FORMAT parquet, COMPRESSION zstd)")
        part.replace(target)
        counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    return counts
