"""Item 15: every annex cell a spreadsheet would evaluate is neutralised; plain numbers stay numbers."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from ringscope.app.export.annexes import Annex, csv_cell, write_csv, write_xlsx
from ringscope.app.export.case import CaseFile, FundLoss
from ringscope.app.export.evidence import DataEvidence
from ringscope.app.ring_source import ring_from_json

PAYLOADS = ["-2+3+cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "+1+1", "@SUM(A1)", "\t=1+1", "\r=1+1",
            "-A1", "--1"]
NUMBERS = ["-12.50", "-3", "-0.5"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_like_cell_gets_an_apostrophe(payload):
    assert csv_cell(payload) == "'" + payload


@pytest.mark.parametrize("number", NUMBERS + ["12.50", "007"])
def test_plain_numbers_are_left_alone_in_csv(number):
    assert csv_cell(number) == number


def _annex() -> Annex:
    rows = [{"text": p, "qty": None} for p in PAYLOADS] + [{"text": "ok", "qty": n} for n in NUMBERS]
    return Annex("hostile", ("text", "qty"), frozenset(), lambda case: rows)


def _empty_case() -> CaseFile:
    """A case with nothing in it: the hostile annex brings its own rows."""
    ring = ring_from_json({"ring_id": "R-1", "scheme": "trace_resale", "members": [], "settlement_ids": []})
    return CaseFile(ring=ring, masked=True, members=[], settlements=[], dispensings=[], claims=[],
                    fund_loss=FundLoss(Decimal(0), Decimal(0), 0, 0, [], [], None), evidence=DataEvidence(),
                    timeline=[], drops=[])


def test_csv_and_xlsx_never_hold_a_formula(tmp_path):
    annex, case = _annex(), _empty_case()
    write_csv(annex, case, tmp_path / "h.csv")
    with open(tmp_path / "h.csv", encoding="utf-8-sig", newline="") as fh:
        cells = [r[0] for r in csv.reader(fh)][1:]
    assert cells[:len(PAYLOADS)] == ["'" + p for p in PAYLOADS]

    write_xlsx(case, tmp_path / "h.xlsx", "t", annexes=(annex,))
    ws = openpyxl.load_workbook(tmp_path / "h.xlsx")["hostile"]
    for r, payload in enumerate(PAYLOADS, 3):  # below the Chinese and the contract header rows
        cell = ws.cell(r, 1)
        assert cell.data_type == "s" and cell.value.replace("_x000D_", "\r") == payload
        assert cell.quotePrefix, f"{payload!r} is not quote-prefixed"
    numbers = [ws.cell(r, 2).value for r in range(len(PAYLOADS) + 3, len(PAYLOADS) + 3 + len(NUMBERS))]
    assert numbers == [float(n) for n in NUMBERS]


def test_credit_point_registry_cells_are_neutralised_too():
    """The bureau's registry CSV opens in the same spreadsheets as the annexes: same neutralising."""
    from ringscope.app.points.service import registry_csv

    text = registry_csv([{"entry_id": "PE-1", "person_id": "=HYPERLINK(\"http://x\")", "points": 12,
                          "rule": "-2+3+cmd|' /C calc'!A0"}])
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["person_id"].startswith("'=") and row["rule"].startswith("'-2+3")
    assert row["points"] == "12"
