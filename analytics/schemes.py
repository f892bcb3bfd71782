"""The scheme registry: everything a fraud scheme brings, declared once.

A scheme (trace-code resale, borrowed cards, ...) used to be listed by hand
in nine places: the detectors to run, the settings sections, the data it
needs, the names used in evidence sentences, the explorer, the report and
the referral.  Now each scheme's package under ``analytics/detectors/``
declares one :class:`Scheme` (``SCHEME = Scheme(...)``) and every one of
those places asks this module (datasette's hookspecs are the model: the
core names the hooks, a plugin fills them in).

* its **name**, which the data contract must allow (``ingest.contract.SCHEMES``
  stays the source of truth for the names a drop's truth and rings.json may
  carry; a test checks that both lists agree);
* its **settings** dataclass, read from ``[detection.<name>]``;
* its **detector** entry point;
* its **data needs** (:class:`Need`), from which data coverage says what a
  run could not see;
* its **wording**: the catalogue keys ``scheme.<name>`` (app/messages, the
  one message catalogue) under which its zh/en names live, or a messages
  file of its own for a scheme shipped outside this repository.

Adding a scheme is one package plus its messages; :func:`registered` adds
one for the length of a block (tests, a plugin loaded at run time).
"""
from __future__ import annotations

import importlib
import pkgutil
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ringscope.ingest.contract import SCHEMES as CONTRACT_SCHEMES

if TYPE_CHECKING:
    import duckdb

    from ringscope.analytics.community import CommunityEngine
    from ringscope.analytics.ring import Ring
    from ringscope.analytics.settings import DetectionSettings

    Detector = Callable[[duckdb.DuckDBPyConnection, DetectionSettings, CommunityEngine | None], list[Ring]]

# The one message catalogue (the explorer's, app/messages): analytics reads only its ``[scheme]`` names,
# as data, so that evidence sentences name a scheme as every screen does, without importing the app.
CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "app" / "messages"
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Need:
    """One input a scheme depends on: rows of ``table`` where ``condition`` holds
    (a fixed predicate written by the scheme; ``label`` names it for the reader)."""

    table: str
    condition: str
    label: str
    why: str
    why_zh: str
    empty_is_gap: bool = False
    """A table without any rows is a gap too (no maternity claims: nothing to judge); otherwise an
    empty catalogue means an empty run, which says so by itself."""


@dataclass(frozen=True)
class Scheme:
    """What one scheme declares (see the module docstring)."""

    name: str
    settings: type
    """Frozen dataclass of the scheme's ``[detection.<name>]`` settings, every field with a reason."""
    detect: "Detector"
    """``detect(con, settings, engine) -> list[Ring]``: the whole detector for this scheme."""
    needs: tuple[Need, ...] = ()
    """Inputs without which the detector is blind or half-blind (analytics/data_coverage.py)."""
    messages: Path | None = None
    """A TOML file with ``[zh.scheme]`` / ``[en.scheme]`` (and any other keys) for a scheme whose
    words are not in app/messages; merged into the one catalogue.  None: app/messages has them."""

    @property
    def name_key(self) -> str:
        """Catalogue key of the scheme's name (explorer, report, referral, evidence sentences)."""
        return f"scheme.{self.name}"


_extra: dict[str, Scheme] = {}
_generation = [0]


@lru_cache(maxsize=1)
def _builtin() -> tuple[Scheme, ...]:
    """The schemes of ``analytics/detectors/*`` (each package's ``SCHEME``), in the contract's order.

    Discovered rather than listed, so that a new detector package is picked up by itself and
    the test against the contract's list has something to compare.
    """
    from ringscope.analytics import detectors

    found = []
    for info in pkgutil.iter_modules(detectors.__path__):
        module = importlib.import_module(f"{detectors.__name__}.{info.name}")
        scheme = getattr(module, "SCHEME", None)
        if isinstance(scheme, Scheme):
            found.append(scheme)
    order = {s: i for i, s in enumerate(CONTRACT_SCHEMES)}
    return tuple(sorted(found, key=lambda s: (order.get(s.name, len(order)), s.name)))


def schemes() -> tuple[Scheme, ...]:
    """Every scheme: the built-in ones in the contract's order, then those registered at run time."""
    return _builtin() + tuple(s for s in _extra.values() if s.name not in {b.name for b in _builtin()})


def names() -> tuple[str, ...]:
    """Scheme names in run order (the default ``[detection] schemes``)."""
    return tuple(s.name for s in schemes())


def scheme(name: str) -> Scheme:
    """The scheme called ``name``; KeyError when none is."""
    for s in schemes():
        if s.name == name:
            return s
    raise KeyError(name)


def generation() -> int:
    """Changes whenever a scheme is registered or removed, so catalogues cached per generation refresh."""
    return _generation[0]


@contextmanager
def registered(*added: Scheme) -> Iterator[None]:
    """``added`` schemes are known inside the block (a test's toy scheme, a plugin for one run)."""
    taken = [s.name for s in added if s.name in names()]
    if taken:
        raise ValueError(f"scheme(s) already registered: {', '.join(taken)}")
    _extra.update({s.name: s for s in added})
    _generation[0] += 1
    try:
        yield
    finally:
        for s in added:
            _extra.pop(s.name, None)
        _generation[0] += 1


def extra_messages(lang: str) -> dict[str, Any]:
    """The ``lang`` tables of the registered schemes' own message files (nested, as in the TOML)."""
    out: dict[str, Any] = {}
    for s in schemes():
        if s.messages is not None:
            with open(s.messages, "rb") as fh:
                table = tomllib.load(fh).get(lang, {})
            for section, values in table.items():
                out.setdefault(section, {}).update(values)
    return out


@lru_cache(maxsize=8)
def _titles(lang: str, _generation: int) -> dict[str, str]:
    with open(CATALOGUE_DIR / f"{lang}.toml", "rb") as fh:
        titles = {k: str(v) for k, v in tomllib.load(fh).get("scheme", {}).items()}
    titles.update({k: str(v) for k, v in extra_messages(lang).get("scheme", {}).items()})
    return titles


def title(name: str, lang: str) -> str:
    """The scheme's name in ``lang`` from the catalogue (``mixed`` too); the code itself if it has none."""
    return _titles(lang, generation()).get(name, name)
