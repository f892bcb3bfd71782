"""``[spark]`` settings: where the contract tables come from and how big a local run's shuffles are.

```toml
[spark]
tables = "nhsa_ringscope"            # a catalog database holding tables named like the contract tables
# tables = {settlements = "dw.fact_settlement", patients = "dw.dim_person", ...}   # or one name each
shuffle_partitions = 8               # default: 2 x the cores of a local[N] master; Spark's own on a cluster
driver_graph_edges = 2000000         # candidate graphs below this many edges: components + Leiden on the driver
temp_tables = "auto"                 # how detectors' temp tables are materialised: auto, parquet, disk, memory, columnar
```

Why each exists: a province's platform keeps its data in Hive/catalog
tables, not in a Parquet folder; Spark's default of 200 shuffle partitions
turns every step of a laptop run into 200 tiny tasks (minutes of overhead
on a 2-core machine); and a candidate graph the detectors have already
fetched to the driver is split faster by igraph there than by shipping it
back to the executors — only a graph too big for that goes to Spark SQL.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ringscope.ingest.contract import TABLES

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
DRIVER_GRAPH_EDGES = 2_000_000
KEEP_MODES = ("auto", "parquet", "disk", "memory", "columnar")
"""How temp tables are materialised; kept here (not in connection.py) so settings need no Spark import."""
TEMP_TABLES = "auto"
"""parquet on a local master (fewest CPU-seconds at 200k patients), disk on a cluster (no shared scratch folder)."""


class SparkSettingsError(ValueError):
    """A ``[spark]`` setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class SparkSettings:
    database: str = ""
    """Catalog database whose tables are named like the contract tables (``tables = "db"``)."""
    tables: dict[str, str] = field(default_factory=dict)
    """Contract table -> catalog table (``tables = {settlements = "db.t", ...}``)."""
    shuffle_partitions: int = 0
    """0: derived from the master (:meth:`partitions_for`)."""
    driver_graph_edges: int = DRIVER_GRAPH_EDGES
    temp_tables: str = TEMP_TABLES
    """How a detector's temp table is materialised (``analytics.spark.connection.KEEP_MODES``)."""

    @property
    def from_catalog(self) -> bool:
        return bool(self.database or self.tables)

    def catalog_names(self) -> dict[str, str]:
        """Contract table -> catalog table name, for every table the settings name."""
        if self.tables:
            return dict(self.tables)
        return {name: f"{self.database}.{name}" for name in TABLES}

    def partitions_for(self, master: str) -> int | None:
        """``spark.sql.shuffle.partitions`` for this master: the setting, else 2 x local cores, else Spark's."""
        if self.shuffle_partitions:
            return self.shuffle_partitions
        m = re.match(r"^local(\[(\*|\d+)(,\d+)?\])?$", master or "")
        if not m:
            return None  # a cluster: Spark's default or the user's --conf (docs/scale.md)
        cores = m.group(2)
        return 2 * (os.cpu_count() or 2 if cores in (None, "*") else int(cores))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SparkSettings:
        unknown = sorted(set(raw) - {"tables", "shuffle_partitions", "driver_graph_edges", "temp_tables"})
        if unknown:
            raise SparkSettingsError(f"unknown setting(s) {', '.join(unknown)}")
        database, tables = _tables(raw.get("tables"))
        return cls(database=database, tables=tables,
                   shuffle_partitions=_count(raw, "shuffle_partitions", 0),
                   driver_graph_edges=_count(raw, "driver_graph_edges", DRIVER_GRAPH_EDGES),
                   temp_tables=_keep_mode(raw.get("temp_tables", TEMP_TABLES)))


def _keep_mode(value: Any) -> str:
    if value not in KEEP_MODES:
        raise SparkSettingsError(f"temp_tables must be one of {', '.join(KEEP_MODES)}, not {value!r}")
    return str(value)


def _count(raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SparkSettingsError(f"{key} must be a whole number >= 0, not {value!r}")
    return value


def _tables(value: Any) -> tuple[str, dict[str, str]]:
    if value is None:
        return "", {}
    if isinstance(value, str):
        if not _NAME.match(value):
            raise SparkSettingsError(f"tables = {value!r} is not a catalog database name")
        return value, {}
    if not isinstance(value, Mapping):
        raise SparkSettingsError("tables must be a database name or a table of contract table = catalog table")
    out: dict[str, str] = {}
    for name, target in value.items():
        if name not in TABLES:
            raise SparkSettingsError(f"tables.{name}: not a contract table ({', '.join(TABLES)})")
        if not isinstance(target, str) or not _NAME.match(target):
            raise SparkSettingsError(f"tables.{name} = {target!r} is not a catalog table name (db.table)")
        out[name] = target
    return "", out
