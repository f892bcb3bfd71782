"""CSV output: UTF-8, header row, streamed table by table.

``pyarrow.csv.CSVWriter`` appends record batches, so a million-patient drop
is written block by block without holding it in memory.  Values are never
quoted (none of ours contains a comma, quote or newline; Arrow raises if
one ever does), which keeps files small and diff-friendly.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

TABLES = ("patients", "cards", "facilities", "prescribers", "drugs", "settlements", "dispensings",
          "employers", "employments", "maternity_claims", "drg_groups")
FACT_TABLES = ("settlements", "dispensings", "maternity_claims")


class DropWriter:
    """Open CSV writers for one drop folder; tables are created on first write."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pacsv.CSVWriter] = {}
        self._files: list = []
        self.rows: dict[str, int] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self._writers:
            handle = open(self.folder / f"{name}.csv", "wb")
            self._files.append(handle)
            self._writers[name] = _csv_writer(handle, table.schema)
            self.rows[name] = 0
        self._writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def ensure(self, name: str, schema: pa.Schema) -> None:
        """Create the file with only a header if nothing was written to it."""
        if name not in self._writers:
            self.write(name, schema.empty_table())

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for handle in self._files:
            handle.close()
        self._writers.clear()
        self._files.clear()


def _csv_writer(handle, schema: pa.Schema) -> pacsv.CSVWriter:
    """Plain header line (Arrow would quote the names), then unquoted rows."""
    handle.write((",".join(schema.names) + "\n").encode("utf-8"))
    return pacsv.CSVWriter(handle, schema, write_options=pacsv.WriteOptions(
        include_header=False, quoting_style="none", batch_size=65_536))


def write_csv(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        writer = _csv_writer(handle, table.schema)
        writer.write_table(table)
        writer.close()
