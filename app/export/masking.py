"""Personal data in a referral: masked unless an entitled user unmasks it.

The package masks exactly as the explorer's screens do (``app.pii``: name
keeps the surname, ID number its first 4 and last 2 characters, mobile its
first 3 and last 4 digits, address its first 3 characters, birth date its
year), which follows PIPL art. 51's minimisation for material that leaves
the fund's systems.  Free text (detection's evidence sentences) is scrubbed
too: ID numbers and mobile numbers in it, and the name of every person the
case names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ringscope.app import pii
from ringscope.app.free_text import mask_free_text

PERSONAL_FIELDS = ("name", "id_number", "phone", "address", "birth_date")


@dataclass
class Masker:
    """Masks personal fields when ``enabled``; a no-op for an unmasked export."""

    enabled: bool = True
    names_seen: set[str] = field(default_factory=set)
    con: Any = None  # the store's connection: its own names, ID numbers and phones are masked in free text

    def field(self, field_name: str, value: object) -> object:
        if field_name == "name" and value:
            self.names_seen.add(str(value))
        if not self.enabled or value is None or value == "" or field_name not in PERSONAL_FIELDS:
            return value
        return getattr(pii, f"mask_{field_name}")(str(value))

    def text(self, value: str) -> str:
        """Scrub free text: the store's known personal values, ID/phone patterns and the names seen so far."""
        if not self.enabled or not value:
            return value
        return mask_free_text(self.con, value, tuple(self.names_seen))
