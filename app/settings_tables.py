"""The ``[app.<section>]`` tables a province may keep in a file of its own (``points``, ``tips``).

Both read the same way: defaults < the TOML file named by ``table_file``
(relative to the workspace unless absolute; its ``[<section>]`` table, or the
whole file) < keys written inline in ``[app.<section>]``.  Written once here so
that the two sections cannot drift apart in precedence or in their errors.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping

from ringscope.app.errors import UserError


def merged_section(app_config: Mapping[str, Any], section: str, workspace: Path,
                   error: type[UserError]) -> tuple[dict[str, Any], str]:
    """The section's values with its table file merged in, and where they came from (for display)."""
    table = dict(app_config.get(section, {}) or {})
    merged: dict[str, Any] = {}
    source = "defaults"
    if table.get("table_file"):
        path = Path(str(table["table_file"]))
        path = path if path.is_absolute() else Path(workspace) / path
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise error(f"[app.{section}] table_file {path}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise error(f"{path}: not valid TOML: {exc}") from None
        merged.update(data.get(section, data))
        source = str(path)
    merged.update({k: v for k, v in table.items() if k != "table_file"})
    if merged and source == "defaults":
        source = f"[app.{section}]"
    return merged, source


def check_known(values: Mapping[str, Any], known: Iterable[str], section: str, error: type[UserError]) -> None:
    """Refuse a key the section does not have (a typo must not be ignored silently)."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise error(f"[app.{section}] unknown setting(s) {unknown}; known: {sorted(known)}")


def positive_ints(values: Mapping[str, Any], names: Iterable[str], section: str,
                  error: type[UserError]) -> dict[str, int]:
    """The given keys that are present, each checked to be a whole number of at least 1."""
    out = {}
    for name in names:
        if name in values:
            value = values[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise error(f"[app.{section}] {name} must be a positive whole number, not {value!r}")
            out[name] = value
    return out
