"""Fixtures for report tests: a hand-made two-week history, rendered once."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.report.handmade import two_weeks


def have_poppler() -> bool:
    return shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None


@pytest.fixture(scope="session")
def history_con():
    con = duckdb.connect()
    two_weeks(con)
    yield con
    con.close()


@pytest.fixture(scope="session")
def rendered(history_con, tmp_path_factory) -> dict[str, Path]:
    from ringscope.app.report.data import build_report_data
    from ringscope.app.report.render import write_report

    out = tmp_path_factory.mktemp("report")
    data = build_report_data(history_con, "2026-W47")
    files = write_report(data, out)
    return {f.name.split("-")[-1]: f for f in files}  # zh.html, zh.pdf, en.html, en.pdf
