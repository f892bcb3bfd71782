"""Masking free text (triage notes, evidence sentences) with what the store itself knows.

Patterns (``app.pii.mask_text``) catch ID numbers and mobiles written in the
usual ways, but not a name, nor a number written in a way no pattern
foresaw.  So before showing a note to someone who may not see personal data,
the store is asked which of *its own* names, ID numbers and phones occur in
the text — names as written, numbers also with every separator removed —
and exactly those are masked, wherever and however they occur, before the
patterns run.  The questions are parameterised ``contains`` scans of the
patients, prescribers and employers tables, cheap next to a page render.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ringscope.app.pii import mask_text

# (table, column) pairs holding personal data that free text may repeat.
NAME_COLUMNS = (("patients", "name"), ("prescribers", "name"))
NUMBER_COLUMNS = (("patients", "id_number"), ("patients", "phone"), ("employers", "phone"))
MIN_NAME_LEN = 2
HIDDEN = "（内容含个人信息，无法核验，已隐藏 / hidden: personal data could not be checked）"


@dataclass(frozen=True)
class KnownValues:
    names: tuple[str, ...] = ()
    numbers: tuple[str, ...] = field(default_factory=tuple)


def _tables(con: Any) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def known_in(con: Any, text: str) -> KnownValues:
    """The store's names and numbers that occur in ``text`` (numbers also with separators removed)."""
    if not text or con is None:
        return KnownValues()
    tables = _tables(con)
    squeezed = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    names: set[str] = set()
    numbers: set[str] = set()
    for table, column in NAME_COLUMNS:
        if table in tables:
            names.update(r[0] for r in con.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE length({column}) >= ? AND contains(?, {column})",
                [MIN_NAME_LEN, text]).fetchall())
    for table, column in NUMBER_COLUMNS:
        if table in tables and squeezed:
            numbers.update(r[0] for r in con.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE length({column}) >= 7 "
                f"AND contains(?, upper({column}))", [squeezed]).fetchall())
    return KnownValues(tuple(sorted(names)), tuple(sorted(numbers)))


def mask_free_text(con: Any, text: str | None, names: tuple[str, ...] = ()) -> str:
    """``text`` with the store's own personal values and every ID/phone pattern masked."""
    if not text:
        return ""
    try:
        known = known_in(con, text)
    except duckdb.Error:  # a store that cannot answer must not leave names in clear
        return HIDDEN
    return mask_text(text, names=tuple(names) + known.names, values=known.numbers)
