"""Which detectors can see anything in this data.

The contract makes many columns optional, and another system's export may
leave out exactly the one a detector lives on: without trace codes no resold
box can be seen.  Other inputs only feed one indication among several
(operator or device ids for rented cards, self-paid amounts for waived
fees): without them the detector still finds rings, with less confidence.
A run that then reports no rings of that kind would read as "none found"
when the detector was blind or half-blind.  :func:`coverage_gaps` names, per
scheme, the inputs that are missing, so the CLI and the weekly job can say
so next to the rings.

Each scheme declares its inputs (table, predicate) in its registry entry
(analytics/schemes.py, ``Scheme.needs``), fixed in code, so every identifier
in the SQL below comes from the schemes' own modules, never from the data or
the user.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ringscope.analytics import schemes as registry
from ringscope.analytics.schemes import Need


@dataclass(frozen=True)
class Gap:
    scheme: str
    label: str
    why: str
    why_zh: str

    def reason(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.why_zh}（{self.label} 为空）。"
        return f"{self.why} ({self.label} empty)."

    def text(self, lang: str = "zh") -> str:
        return f"{self.scheme}{'：' if lang == 'zh' else ': '}{self.reason(lang)}"


def _filled(con: duckdb.DuckDBPyConnection, need: Need) -> tuple[bool, bool]:
    """(any rows, any row meeting the condition); table and condition come from a scheme's declaration only.

    Each stops at the first row found, so the check costs nothing where the input is there
    (the explorer runs it on every page view) and one scan where it is missing.
    """
    row = con.execute(f'SELECT EXISTS (SELECT 1 FROM "{need.table}"), '
                      f'EXISTS (SELECT 1 FROM "{need.table}" WHERE {need.condition})').fetchall()[0]
    return bool(row[0]), bool(row[1])


def coverage_gaps(con: duckdb.DuckDBPyConnection, schemes: tuple[str, ...] | list[str] | None = None) -> list[Gap]:
    """The inputs each of ``schemes`` depends on that are empty in this data.

    ``schemes`` None means every scheme.  A table with no rows at all is a gap only where the
    need says so (``Need.empty_is_gap``: no maternity claims, nothing to judge); otherwise an
    empty catalogue means an empty run, which says so by itself.
    """
    gaps: list[Gap] = []
    for scheme in registry.schemes():
        if schemes is not None and scheme.name not in schemes:
            continue
        for need in scheme.needs:
            has_rows, filled = _filled(con, need)
            if not filled and (has_rows or need.empty_is_gap):
                gaps.append(Gap(scheme.name, need.label, need.why, need.why_zh))
    return gaps
