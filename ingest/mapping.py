"""Header mappings: a source's own column names onto the contract's.

A mapping file is TOML with one table per contract table::

    [settlements]
    file = "结算明细.csv"          # optional: the source file name
    columns = { "结算号" = "settlement_id", "卡号" = "card_id" }

Unmapped headers keep their names (and, if not contract columns, are kept
as extras, as the contract asks).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ringscope.ingest.contract import TABLES
from ringscope.ingest.errors import MappingError


@dataclass(frozen=True)
class TableMapping:
    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # source header -> contract name


@dataclass(frozen=True)
class HeaderMapping:
    tables: dict[str, TableMapping] = field(default_factory=dict)

    def for_table(self, table: str) -> TableMapping:
        return self.tables.get(table, TableMapping())


def load_mapping(path: Path | None) -> HeaderMapping:
    if path is None:
        return HeaderMapping()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(str(path), "mapping file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(str(path), f"not valid TOML: {exc}") from None
    tables: dict[str, TableMapping] = {}
    for name, body in data.items():
        if name not in TABLES:
            raise MappingError(str(path), f"[{name}] is not a contract table ({', '.join(TABLES)})")
        if not isinstance(body, dict):
            raise MappingError(str(path), f"[{name}] must be a table")
        cols = body.get("columns", {})
        if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
            raise MappingError(str(path), f"[{name}].columns must map source headers to contract names")
        unknown = [v for v in cols.values() if v not in TABLES[name].column_names]
        if unknown:
            raise MappingError(str(path), f"[{name}] maps onto unknown columns: {', '.join(unknown)}")
        file = body.get("file")
        if file is not None and not isinstance(file, str):
            raise MappingError(str(path), f"[{name}].file must be a file name")
        tables[name] = TableMapping(file=file, columns=dict(cols))
    return HeaderMapping(tables)
