"""Stable, shareable explorer URLs: one place builds them for the explorer, the report and the referral.

Why: a link in a weekly report or a referral must open the same page next
month; the explorer's pages read exactly these query parameters
(``ring?ring=ID``, ``entity?node=Label:ID``, ``entity?node=..&to=..`` for a path).
"""
from __future__ import annotations

from urllib.parse import urlencode


def _join(base: str, page: str, params: dict[str, str]) -> str:
    tail = f"{page}?{urlencode(params)}"
    return f"{base.rstrip('/')}/{tail}" if base else tail


def ring_url(ring_id: str, base: str = "") -> str:
    """The ring page: ``{base}/ring?ring=ID`` (relative to the explorer when ``base`` is empty)."""
    return _join(base, "ring", {"ring": ring_id})


def entity_url(node_key: str, base: str = "") -> str:
    """An entity's neighbourhood: ``{base}/entity?node=Label:ID``."""
    return _join(base, "entity", {"node": node_key})


def path_url(start_key: str, end_key: str, base: str = "") -> str:
    """The shortest path between two entities: ``{base}/entity?node=A&to=B``."""
    return _join(base, "entity", {"node": start_key, "to": end_key})
