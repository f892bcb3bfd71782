"""Text encodings of CSV drops: UTF-8, UTF-8 with BOM, or GB18030.

DuckDB reads UTF-8 (and skips a BOM) natively, so a GB18030 file is
transcoded once, streaming, into a UTF-8 copy beside the workspace; this
keeps Chinese text intact without loading the file into memory.
"""
from __future__ import annotations

import codecs
from pathlib import Path

from ringscope.ingest.errors import IngestError

CHUNK = 1 << 22
UTF8_BOM = codecs.BOM_UTF8


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030'; raises when the file is none of them."""
    with open(path, "rb") as fh:
        head = fh.read(3)
    if head == UTF8_BOM:
        return "utf-8-sig"
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _decodes(path, "gb18030"):
        return "gb18030"
    line, byte, encoding = _first_bad_line(path)
    raise IngestError(
        path.name,
        f"not readable as UTF-8, UTF-8 with BOM or GB18030: byte 0x{byte:02X} cannot be decoded "
        f"(read as {encoding}, the encoding that gets furthest)",
        line=line,
    )


def _first_bad_line(path: Path) -> tuple[int, int, str]:
    """(line, offending byte, encoding) where decoding first fails, for the encoding that gets furthest.

    A line break never falls inside a UTF-8 or GB18030 character, so lines can
    be decoded one at a time.  Only run for a file about to be refused.
    """
    furthest = (0, 0, "UTF-8")
    for encoding in ("utf-8", "gb18030"):
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    if number > furthest[0]:
                        furthest = (number, raw[exc.start], encoding.upper())
                    break
    return furthest


def to_utf8(path: Path, encoding: str, scratch_dir: Path) -> Path:
    """A UTF-8 path for ``path``: itself when already UTF-8, else a transcoded copy."""
    if encoding in ("utf-8", "utf-8-sig"):
        return path
    scratch_dir.mkdir(parents=True, exist_ok=True)
    out = scratch_dir / (path.stem + ".utf8.csv")
    with open(path, "r", encoding=encoding, newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while block := src.read(CHUNK):
            dst.write(block)
    return out
