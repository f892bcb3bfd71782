"""One message catalogue for every label the explorer shows; Chinese first.

Messages live in ``app/messages/zh.toml`` and ``app/messages/en.toml`` (TOML
tables flattened to dotted keys, e.g. ``queue.title``); a scheme registered
from outside the repository adds its own file (``Scheme.messages``).  Every key exists in
both languages (a test checks it); a key missing at run time shows as the key
itself rather than crashing a page.  Placeholders use ``str.format`` syntax.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ringscope.analytics import schemes

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
MESSAGES_DIR = Path(__file__).with_name("messages")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = str(value)
    return out


def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, by dotted key: app/messages, plus the words of any scheme
    registered with a messages file of its own (analytics/schemes.py)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return _catalogue(lang, schemes.generation())


@lru_cache(maxsize=8)
def _catalogue(lang: str, _generation: int) -> dict[str, str]:
    with open(MESSAGES_DIR / f"{lang}.toml", "rb") as fh:
        table = _flatten(tomllib.load(fh))
    table.update(_flatten(schemes.extra_messages(lang)))
    return table


def normalise_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = catalogue(normalise_language(lang)).get(key, key)
    return text.format(**values) if values else text


class Translator:
    """``tr = Translator("en"); tr("queue.title")`` — a language bound once per page run."""

    def __init__(self, lang: str | None = None):
        self.lang = normalise_language(lang)

    def __call__(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def maybe(self, key: str, default: str) -> str:
        """A message that may not exist (e.g. a scheme or label added later): ``default`` then."""
        return catalogue(self.lang).get(key, default)


def missing_keys() -> dict[str, set[str]]:
    """Keys present in some language but not in ``lang``: ``{lang: {keys}}`` (empty when complete)."""
    all_keys = set().union(*(catalogue(lang).keys() for lang in LANGUAGES))
    return {lang: all_keys - set(catalogue(lang)) for lang in LANGUAGES if all_keys - set(catalogue(lang))}
