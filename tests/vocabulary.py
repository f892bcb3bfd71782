"""The vocabulary's ASCII code words, which a Chinese page or document must never show.

Built from the catalogue itself (every scheme, role, entity, label and picture-link code), plus the
store's relationship types, evidence kinds and Streamlit's own English chrome, so a code added to
the vocabulary is checked without editing this list.
"""
from __future__ import annotations

import html
import re

from ringscope.app.i18n import catalogue
from ringscope.graph.model import REL_TYPE_NAMES

EXTRA = ("BOX_RESOLD", "USED_AT", "RESOLD", "Deploy", "card_far_from_home", "shell employer", "ring book",
         "fund_paid", "holder_id")


def code_words() -> list[str]:
    keys = catalogue("zh").keys()
    codes = {k.split(".")[-1] for k in keys
             if k.split(".")[0] in ("scheme", "role", "entity", "label") or k.startswith(("picture.kind.",
                                                                                           "picture.type."))}
    # settlement and facility kinds, card statuses, insured types, triage statuses (one letter codes are too short)
    codes |= {k.split(".")[-1] for k in keys if k.split(".")[0] in ("value", "status") and len(k.split(".")[-1]) > 1}
    return sorted(codes | set(REL_TYPE_NAMES) | set(EXTRA))


def visible_text(page: str) -> str:
    """The text a reader sees in an HTML page (scripts, styles and tags dropped)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def code_words_in(text: str) -> list[str]:
    return [w for w in code_words() if re.search(rf"(?<![A-Za-z_]){re.escape(w)}(?![A-Za-z_])", text)]
