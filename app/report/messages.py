"""The report's message catalogue (``messages.toml``), Chinese first.

Kept apart from the explorer's catalogue so that a report is reproducible
from this package alone; same conventions as ``app.i18n`` (dotted keys,
``str.format`` placeholders, a missing key shows as itself).
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}: use zh or en")
    data = tomllib.loads(Path(__file__).with_name("messages.toml").read_text(encoding="utf-8"))
    return _flatten(data[lang])


class Messages:
    """``msg = Messages("zh"); msg("section.new")``."""

    def __init__(self, lang: str):
        self.lang = lang
        self._table = catalogue(lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._table.get(key, key)
        return text.format(**values) if values else text

    def get(self, key: str, default: str) -> str:
        return self._table.get(key, default)
