"""File and folder names inside a package that are safe whatever an id holds.

Ring ids and other ids are opaque strings from the data (contract: "IDs are
opaque strings"): they may hold ``../``, slashes, Chinese, spaces or control
characters.  A name used inside the package keeps only ``[A-Za-z0-9_-]``
(and dots that are not leading), is never empty, never ``.`` or ``..``,
and gains a short hash of the original when anything was changed, so two
different ids never collide.
"""
from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_LEN = 48


def safe_component(raw: str, max_len: int = MAX_LEN) -> str:
    """One path component derived from ``raw``, safe on every file system and in a zip."""
    cleaned = _UNSAFE.sub("_", raw).strip("._-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)[:max_len]
    if cleaned == raw and cleaned:
        return cleaned
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else f"id-{digest}"


def printable(raw: str) -> str:
    """``raw`` with control characters shown as escapes, for one-line tag values and messages."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in raw)
