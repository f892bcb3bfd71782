"""Finding money written without thousands separators or without two decimals in a rendered output."""
from __future__ import annotations

import re

# 1234.56 / 1234.5 / 12345 followed by 元: a figure of four or more digits with no thousands separator.
_BARE = re.compile(r"(?<![\w.,:/-])\d{4,}\.\d{1,2}(?![\d.])|(?<![\w.,:/-])\d{4,}(?=\s*(?:元|万元))")


def bare_money(text: str) -> list[str]:
    """Figures a reader would have to count digits in (``12345.67``), as they occur in ``text``."""
    return _BARE.findall(text)
