"""Each validation rule, with a bad file: the row is rejected with file, line, column and reason."""
from __future__ import annotations

import csv

import pytest

from ringscope.ingest.errors import IngestError
from tests.drops import VALID_ID, minimal_drop, write_table


def rejects(report) -> list[dict]:
    if not report.rejects_file:
        return []
    with open(report.rejects_file, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_clean_drop_loads_everything(tmp_path, ingest, duck):
    report = ingest(minimal_drop(tmp_path / "d"))
    assert report.rejected == 0
    assert duck.relational().execute("SELECT count(*) FROM settlements").fetchone()[0] == 2
    # IDs stay strings with their leading zeros.
    assert duck.relational().execute("SELECT card_id FROM cards ORDER BY 1").fetchall() == [("C001",), ("C002",)]


@pytest.mark.parametrize("table,column,value,reason", [
    ("settlements", "settled_at", "2026-02-30T09:00:00", "not a datetime"),
    ("settlements", "total_amount", "-5", "amount is negative"),
    ("settlements", "fund_paid", "68.605", "at most two decimals"),
    ("settlements", "fund_paid", "99.00", "fund_paid exceeds total_amount"),
    ("settlements", "self_paid", "10.00", "fund_paid + self_paid does not equal total_amount"),
    ("settlements", "card_id", "C999", "card_id C999 not found in cards"),
    ("settlements", "kind", "dental", "must be one of"),
    ("settlements", "settlement_id", "", "required value is missing"),
    ("dispensings", "trace_code", "8123456789", "trace code must be 20 digits"),
    ("dispensings", "quantity", "many", "not a number"),
    ("dispensings", "drug_code", "D99", "drug_code D99 not found in drugs"),
    ("patients", "id_number", VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"), "check digit"),
    ("patients", "birth_date", "1990/03/07", "not a date"),
    ("patients", "region_code", "11010", "region code must be 6 digits"),
    ("drugs", "controlled", "yes", "not true/false"),
    ("cards", "patient_id", "P404", "patient_id P404 not found in patients"),
])
def test_bad_cell_is_rejected_with_its_place(tmp_path, ingest, table, column, value, reason):
    folder = minimal_drop(tmp_path / "d")
    path = folder / f"{table}.csv"
    rows = list(csv.reader(open(path, encoding="utf-8")))
    col = rows[0].index(column)
    rows[1][col] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    report = ingest(folder)
    found = [r for r in rejects(report) if r["file"] == f"{table}.csv" and r["line"] == "2"]
    assert found, rejects(report)
    # A sum that does not add up is blamed on fund_paid, the amount the fund is asked for.
    blamed = "fund_paid" if "does not equal" in reason else column
    assert any(reason in r["reason"] and r["column"] == blamed for r in found), found


def test_children_of_a_rejected_row_are_rejected_too(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    write_table(folder, "cards", ["card_id", "patient_id"], [["C001", "P001"], ["C002", "P404"]])
    report = ingest(folder)
    reasons = {(r["file"], r["line"]): r["reason"] for r in rejects(report)}
    assert "patient_id P404 not found" in reasons[("cards.csv", "3")]
    assert "card_id C002 not found" in reasons[("settlements.csv", "3")]
    assert "settlement_id S002 not found" in reasons[("dispensings.csv", "3")]
    assert duck.relational().execute("SELECT count(*) FROM dispensings").fetchone()[0] == 1


def test_malformed_record_line_numbers_account_for_skipped_records(tmp_path, ingest):
    folder = minimal_drop(tmp_path / "d")
    (folder / "drugs.csv").write_text(
        "drug_code,name,unit_price\nD01,甲,1.00\nD02,乙\nD03,\"丙,\n多行\",2.00\nD04,丁,3.00,extra\nD05,戊,x\n",
        encoding="utf-8",
    )
    report = ingest(folder)
    got = {(r["line"], r["column"]): r["reason"] for r in rejects(report) if r["file"] == "drugs.csv"}
    assert "malformed CSV record" in got[("3", "unit_price")]
    assert any(line == "5" and "malformed" in why for (line, _), why in got.items())
    # D05 comes after one skipped record of its own and one multi-line field: record line 6.
    assert got[("6", "unit_price")].startswith("not an amount")


def test_repeated_key_with_different_content_is_a_conflict(tmp_path, ingest):
    folder = minimal_drop(tmp_path / "d")
    write_table(folder, "drugs", ["drug_code", "name"], [["D01", "甲"], ["D01", "甲"], ["D01", "乙"]])
    report = ingest(folder)
    lines = [(r["line"], r["reason"]) for r in rejects(report) if r["file"] == "drugs.csv"]
    assert lines == [("4", "key appears again in this file with different content (first at line 2)")]
    assert {t.table: t.duplicates for t in report.tables}["drugs"] == 1


@pytest.mark.parametrize("damage,reason", [
    (lambda f: write_table(f, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount"],
                           [["S9", "C001", "F01", "2026-03-01T09:00:00", "1.00"]]), "required column(s) missing"),
    (lambda f: (f / "dispensings.csv").write_bytes(b"\x00\xff\xfe\x81\x00\xff" * 50), "not readable"),
])
def test_unusable_file_refuses_the_whole_drop_and_keeps_what_was_stored(tmp_path, ingest, duck, damage, reason):
    ingest(minimal_drop(tmp_path / "first"))
    before = duck.counts()
    second = minimal_drop(tmp_path / "second")
    write_table(second, "patients", ["patient_id", "name"], [["P003", "王五"]])
    write_table(second, "cards", ["card_id", "patient_id"], [["C003", "P003"]])
    damage(second)
    with pytest.raises(IngestError) as err:
        ingest(second)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)
    assert duck.counts() == before
    assert duck.relational().execute("SELECT count(*) FROM patients WHERE patient_id = 'P003'").fetchone()[0] == 0
    status = duck.relational().execute("SELECT status FROM ingest_drops ORDER BY started_at").fetchall()
    assert [s for (s,) in status] == ["loaded", "refused"]


def test_extra_columns_are_kept(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    write_table(folder, "drugs", ["drug_code", "name", "医保目录"], [["D01", "甲", "甲类"]])
    ingest(folder)
    extra = duck.relational().execute("SELECT _extra FROM drugs").fetchone()[0]
    assert "甲类" in extra and "医保目录" in extra


def test_datetime_with_offset_is_converted_to_china_time(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid"], [
        ["S001", "C001", "F01", "2026-03-01T01:00:00Z", "98.00", "68.60"],
        ["S002", "C002", "F01", "2026-03-01T09:30:00+09:00", "98.00", "68.60"],
    ])
    ingest(folder)
    got = duck.relational().execute("SELECT settlement_id, strftime(settled_at, '%H:%M') FROM settlements ORDER BY 1").fetchall()
    assert got == [("S001", "09:00"), ("S002", "08:30")]


def test_parquet_tables_are_read(tmp_path, ingest, duck):
    import duckdb
    folder = minimal_drop(tmp_path / "d")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{folder / 'drugs.csv'}', all_varchar=true)) TO '{folder / 'drugs.parquet'}' (FORMAT parquet)")
    (folder / "drugs.csv").unlink()
    report = ingest(folder)
    assert report.rejected == 0
    assert duck.relational().execute("SELECT name FROM drugs").fetchone()[0] == "阿托伐他汀钙片"


def test_missing_folder_is_a_clear_error(tmp_path, ingest):
    with pytest.raises(IngestError, match="drop folder not found"):
        ingest(tmp_path / "nope")


def test_hostile_headers_and_values_stay_data(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    evil_header = 'x"); DROP TABLE patients; --'
    write_table(folder, "drugs", ["drug_code", "name", evil_header], [["D01", "x'); DROP TABLE drugs; --", "'"]])
    assert ingest(folder).rejected == 0
    con = duck.relational()
    assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 2
    name, extra = con.execute("SELECT name, _extra FROM drugs").fetchone()
    assert name == "x'); DROP TABLE drugs; --"
    assert "DROP TABLE patients" in extra
