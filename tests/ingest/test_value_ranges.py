"""Values that pass a format but not the store's range are rejected rows, not a crashed drop (issue 17, items 2 and 4)."""
from __future__ import annotations

import csv

import pytest

from ringscope.ingest import rules
from tests.drops import minimal_drop, write_table
from tests.ingest.test_rules_sql_matches_python import sql_problem

OFFSET = "UTC offset out of range (at most ±14:00, minutes 00-59)"
SETTLEMENT_HEADER = ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid"]


def rejects(report) -> list[tuple[str, str, str, str]]:
    with open(report.rejects_file, encoding="utf-8") as fh:
        return [(r["file"], r["line"], r["column"], r["reason"]) for r in csv.DictReader(fh)]


def test_amount_beyond_decimal_14_2_is_a_rejected_row(tmp_path, ingest, duck):
    ingest(minimal_drop(tmp_path / "d1"))
    d2 = tmp_path / "d2"
    write_table(d2, "settlements", SETTLEMENT_HEADER, [
        ["S010", "C001", "F01", "2026-03-03T09:00:00", "1000000000000.00", "10.00"],
        ["S011", "C001", "F01", "2026-03-03T10:00:00", "999999999999.99", "10.00"],  # the largest that fits
    ])
    write_table(d2, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount"], [
        ["S011", "99999999999999999999", "D01", "1", "3.50"],
        ["S011", "2", "D01", "1", "3.50"],
    ])
    report = ingest(d2)
    assert rejects(report) == [
        ("dispensings.csv", "2", "line_no", "whole number out of range"),
        ("settlements.csv", "2", "total_amount", "amount too large (at most 999999999999.99 yuan)"),
    ]
    con = duck.relational()
    assert con.execute("SELECT settlement_id FROM settlements WHERE settlement_id >= 'S010'").fetchall() == [("S011",)]
    assert con.execute("SELECT line_no FROM dispensings WHERE settlement_id = 'S011'").fetchall() == [(2,)]
    status = con.execute("SELECT status FROM ingest_drops ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    assert status == "loaded"


def test_infinite_quantity_far_offsets_and_year_zero_are_rejected(tmp_path, ingest, duck):
    ingest(minimal_drop(tmp_path / "d1"))
    d2 = tmp_path / "d2"
    write_table(d2, "patients", ["patient_id", "birth_date"], [["P009", "0000-01-01"], ["P010", "0001-01-01"]])
    write_table(d2, "settlements", SETTLEMENT_HEADER, [
        ["S020", "C001", "F01", "2026-03-03T09:00:00+25:00", "10.00", "5.00"],
        ["S021", "C001", "F01", "2026-03-03T09:00:00+14:00", "10.00", "5.00"],  # Kiribati: real
        ["S022", "C001", "F01", "0000-03-03T09:00:00", "10.00", "5.00"],
        ["S023", "C001", "F01", "2026-03-03T09:00:00-05:60", "10.00", "5.00"],
    ])
    write_table(d2, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount"], [
        ["S021", "1", "D01", "1" + "0" * 400, "3.50"],
        ["S021", "2", "D01", "1e400", "3.50"],
        ["S021", "3", "D01", "2", "3.50"],
    ])
    report = ingest(d2)
    got = {(f, line, col): why for f, line, col, why in rejects(report)}
    assert got == {
        ("patients.csv", "2", "birth_date"): "not a date (YYYY-MM-DD)",
        ("settlements.csv", "2", "settled_at"): OFFSET,
        ("settlements.csv", "4", "settled_at"): "not a datetime (YYYY-MM-DDTHH:MM:SS, optional offset)",
        ("settlements.csv", "5", "settled_at"): OFFSET,
        ("dispensings.csv", "2", "quantity"): "number too large (at most 1e15)",
        ("dispensings.csv", "3", "quantity"): "not a number",
    }
    con = duck.relational()
    assert con.execute("SELECT quantity FROM dispensings WHERE settlement_id = 'S021'").fetchall() == [(2.0,)]
    assert str(con.execute("SELECT settled_at FROM settlements WHERE settlement_id = 'S021'").fetchone()[0]) \
        == "2026-03-03 03:00:00"  # 09:00 at +14:00 is 19:00 UTC the day before
    assert con.execute("SELECT year(birth_date) FROM patients WHERE patient_id = 'P010'").fetchone()[0] == 1


@pytest.mark.parametrize("kind,value,reason", [
    ("money", "1000000000000", "amount too large (at most 999999999999.99 yuan)"),
    ("money", "000999999999999.99", None),
    ("int", "9223372036854775807", None),
    ("int", "9223372036854775808", "whole number out of range"),
    ("int", "-9223372036854775809", "whole number out of range"),
    ("number", "1" + "0" * 15, None),
    ("number", "1" + "0" * 16, "number too large (at most 1e15)"),
    ("datetime", "2026-01-01T00:00:00-14:00", None),
    ("datetime", "2026-01-01T00:00:00-1401", OFFSET),
    ("date", "0000-12-31", "not a date (YYYY-MM-DD)"),
    ("id_number", "110101000003074514", "ID number has an impossible birth date"),
])
def test_range_rules_agree_in_sql_and_python(kind, value, reason):
    assert sql_problem(kind, value) == reason == rules.value_problem(kind, value)
