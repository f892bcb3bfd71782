"""The report's message catalogue (``messages.toml``), Chinese first.

The report's own sentences live here; the names of things (schemes, roles,
entity types) are taken from the explorer's catalogue (``app.i18n``), the one
vocabulary of every output.  Same conventions as ``app.i18n`` (dotted keys,
``str.format`` placeholders, a missing key shows as itself).
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ringscope.analytics import schemes

LANGUAGES = ("zh", "en")
SHARED_SECTIONS = ("scheme", "role", "entity", "label")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}: use zh or en")
    return _catalogue(lang, schemes.generation())


@lru_cache(maxsize=8)
def _catalogue(lang: str, _generation: int) -> dict[str, str]:
    """Cached per registry generation, so a scheme registered later is named too."""
    data = tomllib.loads(Path(__file__).with_name("messages.toml").read_text(encoding="utf-8"))
    table = _flatten(data[lang])
    # One vocabulary: scheme, role and entity names come from the explorer's catalogue (app/messages),
    # so the explorer, the report and the referral name a scheme the same way.
    from ringscope.app.i18n import catalogue as app_catalogue

    table.update({k: v for k, v in app_catalogue(lang).items() if k.split(".", 1)[0] in SHARED_SECTIONS})
    return table


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
