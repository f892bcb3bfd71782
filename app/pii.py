"""Masking of personal data: names, ID numbers, phones, addresses.

Personal data is masked by default everywhere the explorer shows it
(tables, graph labels, evidence sentences); only a logged-in user with the
``unmask`` right sees it in clear, and each unmasking is audit-logged
(``app.audit``).  The masks follow common Chinese practice (GB/T 35273
personal-information de-identification examples):

* name: surname kept, the rest starred — ``张三丰`` -> ``张**``;
* ID number (18 chars): first 4 and last 2 kept — ``1101************14``;
* mobile phone: first 3 and last 4 kept — ``138****0001``;
* address: the first 3 characters kept, the rest starred, digits never shown.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z.])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# Free text writes the same numbers in many ways: after a letter ("ID532…", "身份证532…"), in groups
# separated by spaces, hyphens or dots ("110105 19900101 1234", "1101-0519-9001-0112-34"), phones with
# the country code ("+86 138…", "0086-138…", "(+86)138…", "86-138…") or grouped 3-4-4.
_SEP = r"[ \u00a0\u3000.\-]?"
TEXT_ID_RE = re.compile(r"(?<![0-9])\d(?:" + _SEP + r"\d){16}" + _SEP + r"[\dXx](?![0-9Xx])")
TEXT_PHONE_RE = re.compile(r"(?<![0-9])(?:(?:\(?(?:\+|00)86\)?|86)" + _SEP + r")?1[3-9]\d(?:" + _SEP + r"\d){8}(?![0-9])")

# Which node properties and which labels' captions are personal data.
PERSONAL_PROPS: frozenset[str] = frozenset({"name", "id_number", "phone", "address", "birth_date"})
PERSONAL_CAPTION_LABELS: frozenset[str] = frozenset({"Patient", "Prescriber", "Phone", "Address"})
PERSONAL_ID_LABELS: frozenset[str] = frozenset({"Phone", "Address"})  # the node id itself is personal


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    name = str(name)
    if " " in name.strip():  # Latin-script names: initials
        return " ".join(part[0] + "." for part in name.split() if part)
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_address(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    return re.sub(r"\d", "*", value[:3]) + "*" * min(6, max(1, len(value) - 3))


def mask_birth_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    return str(value)[:4] + "-**-**"


_MASKERS = {
    "name": mask_name, "id_number": mask_id_number, "phone": mask_phone,
    "address": mask_address, "birth_date": mask_birth_date,
}


def _mask_text_id(match: re.Match) -> str:
    digits = re.sub(r"[^0-9Xx]", "", match.group(0))
    return mask_id_number(digits)


def _mask_text_phone(match: re.Match) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return mask_phone(digits[-11:])


def mask_text(text: str | None, names: Iterable[str] = (), values: Iterable[str] = ()) -> str:
    """Mask ID numbers and mobile numbers found in free text, the given names and the given known values.

    ``values`` are ID numbers or phones known to the store (``app.free_text``): they are masked
    wherever they occur, even written with separators between the digits.
    """
    if not text:
        return ""
    out = str(text)
    for value in sorted({v for v in values if v and len(v) >= 7}, key=len, reverse=True):
        spaced = _SEP.join(re.escape(c) for c in value)
        out = re.sub(r"(?<![0-9])" + spaced + r"(?![0-9])", _mask_value(value).replace("\\", "\\\\"), out,
                     flags=re.I)
    out = TEXT_ID_RE.sub(_mask_text_id, out)
    out = TEXT_PHONE_RE.sub(_mask_text_phone, out)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        out = out.replace(name, mask_name(name))
    return out


def _mask_value(value: str) -> str:
    return mask_phone(value) if len(value) == 11 and value.isdigit() else mask_id_number(value)


def mask_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of node properties with the personal ones masked."""
    return {k: (_MASKERS[k](v) if k in _MASKERS and v is not None else v) for k, v in props.items()}


def mask_caption(label: str, caption: str) -> str:
    """A node's caption as shown: masked when the label's caption is personal data."""
    if label not in PERSONAL_CAPTION_LABELS:
        return caption
    if label == "Phone":
        return mask_phone(caption)
    if label == "Address":
        return mask_address(caption)
    return mask_name(caption)


def mask_node_id(label: str, node_id: str) -> str:
    """A node's id as shown: phones and addresses are their own ids."""
    if label == "Phone":
        return mask_phone(node_id)
    if label == "Address":
        return mask_address(node_id)
    return node_id


def find_unmasked_id_numbers(text: str) -> list[str]:
    """18-character ID numbers in clear in ``text`` (what the masking tests look for)."""
    return [m.group(0) for m in ID_NUMBER_RE.finditer(text or "")]
