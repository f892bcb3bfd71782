"""Reading a package back in tests: entries, CSV annexes, PDF text, XLSX text."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest


def entries(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def member(package: Path, suffix: str) -> bytes:
    found = [v for k, v in entries(package).items() if k.endswith(suffix)]
    assert len(found) == 1, suffix
    return found[0]


def csv_rows(package: Path, name: str) -> list[dict[str, str]]:
    raw = member(package, f"data/annexes/{name}.csv")
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name}.csv lacks the UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def pdf_text(pdf: bytes, tmp: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: run .ci/setup-system")
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout.decode("utf-8")


def xlsx_text(xlsx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def all_text(package: Path, tmp: Path) -> dict[str, str]:
    """Every file of the package as searchable text: PDFs through pdftotext, XLSX through its XML."""
    out = {}
    for name, data in entries(package).items():
        if name.endswith(".pdf"):
            out[name] = pdf_text(data, tmp) + data.decode("latin-1")
        elif name.endswith(".xlsx"):
            out[name] = xlsx_text(data)
        else:
            out[name] = data.decode("utf-8", "replace")
    return out
