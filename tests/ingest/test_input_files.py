"""Every line of a file is stored, rejected with a reason, or the drop is refused; odd files are
named, not silently skipped (issue 17, items 1 and 5)."""
from __future__ import annotations

import csv
import os
import time

import duckdb
import pytest

from ringscope.ingest.errors import IngestError
from tests.drops import minimal_drop


def patients_lines(n: int, broken_at: int | None = None) -> list[str]:
    lines = ["patient_id,name,address"]
    for i in range(1, n + 1):
        address = '"幸福路' if i + 1 == broken_at else f"幸福路{i}号"
        lines.append(f"P{i:04d},病人{i},{address}")
    return lines


def test_unclosed_quote_refuses_the_drop_naming_its_line(tmp_path, ingest, duck):
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "patients.csv").write_text("\n".join(patients_lines(1000, broken_at=5)) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        ingest(drop)
    assert (err.value.file, err.value.line, err.value.column) == ("patients.csv", 5, "address")
    assert "quote" in err.value.reason and "996 of the file's 1001 lines would be lost" in err.value.reason
    con = duck.relational()
    assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 0
    assert con.execute("SELECT status FROM ingest_drops").fetchall() == [("refused",)]


def test_every_line_is_accounted_for_with_multiline_cells_blank_lines_and_crlf(tmp_path, ingest, duck):
    drop = tmp_path / "d"
    drop.mkdir()
    text = ('patient_id,name,address\r\n'
            'P1,甲,"第一行\r\n\r\n第三行"\r\n'  # a quoted value over three physical lines, one of them blank
            '\r\n'  # a blank line between records
            'P2,乙,x,too many\r\n'  # malformed: rejected with its line
            'P3,丙,"a\n\n\nb"\r\n'
            'P4,丁,z')  # no newline at the end
    (drop / "patients.csv").write_text(text, encoding="utf-8", newline="")
    report = ingest(drop)
    assert (report.loaded, report.rejected) == (3, 1)
    stored = duck.relational().execute("SELECT patient_id, address FROM patients ORDER BY 1").fetchall()
    assert stored == [("P1", "第一行\r\n\r\n第三行"), ("P3", "a\n\n\nb"), ("P4", "z")]
    with open(report.rejects_file, encoding="utf-8") as fh:
        assert [r["reason"].split(":")[0] for r in csv.DictReader(fh)] == ["malformed CSV record (too many columns)"]


def test_encoding_refusal_names_the_line(tmp_path, ingest):
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "patients.csv").write_bytes("patient_id,name\nP1,张三\nP2,\xff\xfe坏\nP3,x\n".encode("utf-8")
                                         .replace("\xff\xfe".encode("utf-8"), b"\xff\xfe"))
    with pytest.raises(IngestError) as err:
        ingest(drop)
    assert (err.value.file, err.value.line) == ("patients.csv", 3)
    assert "UTF-8" in err.value.reason and "GB18030" in err.value.reason


def test_absurd_header_is_refused_early(tmp_path, ingest):
    drop = tmp_path / "d"
    drop.mkdir()
    header = ",".join(["patient_id"] + [f"x{i}" for i in range(300_000)])
    (drop / "patients.csv").write_text(header + "\nP1" + "," * 300_000 + "\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(IngestError) as err:
        ingest(drop)
    assert time.monotonic() - started < 10
    assert (err.value.file, err.value.line) == ("patients.csv", 1)
    assert "300001 columns" in err.value.reason


def test_misnamed_files_and_symlink_loops_are_warned_about(tmp_path, ingest, duck):
    drop = minimal_drop(tmp_path / "d")
    (drop / "cards.csv").rename(drop / "Cards.CSV")
    (drop / "settlements.csv").rename(drop / "settlement.csv")
    (drop / "dispensings.csv").unlink()
    os.symlink(drop / "loop-b.csv", drop / "loop-a.csv")
    os.symlink(drop / "loop-a.csv", drop / "loop-b.csv")
    os.symlink(drop / "employers.csv", drop / "employers.csv")
    report = ingest(drop)
    assert report.warnings == [
        "Cards.CSV: skipped: looks like the cards table; name it cards.csv",
        "employers.csv: skipped: a symbolic link that loops or points nowhere",
        "loop-a.csv: skipped: a symbolic link that loops or points nowhere",
        "loop-b.csv: skipped: a symbolic link that loops or points nowhere",
        "settlement.csv: skipped: looks like the settlements table; name it settlements.csv",
    ]
    assert [t.table for t in report.tables] == ["patients", "facilities", "drugs"]
    message = duck.relational().execute("SELECT message FROM ingest_drops").fetchone()[0]
    assert "Cards.CSV" in message


def test_parquet_timestamp_with_time_zone_loads(tmp_path, ingest, duck):
    drop = minimal_drop(tmp_path / "d")
    (drop / "settlements.csv").unlink()
    (drop / "dispensings.csv").unlink()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "COPY (SELECT 'S100' AS settlement_id, 'C001' AS card_id, 'F01' AS facility_id, "
        "TIMESTAMPTZ '2026-03-01 01:00:00+00' AS settled_at, 98.00::DECIMAL(14,2) AS total_amount, "
        "68.60::DECIMAL(14,2) AS fund_paid) TO ? (FORMAT parquet)", [str(drop / "settlements.parquet")])
    report = ingest(drop)
    assert report.rejected == 0
    settled = duck.relational().execute("SELECT settled_at FROM settlements").fetchone()[0]
    assert str(settled) == "2026-03-01 09:00:00"  # 01:00 UTC is 09:00 China Standard Time


def test_a_quote_closing_far_too_late_is_refused_not_stored_as_one_value(tmp_path, ingest, duck):
    lines = patients_lines(100, broken_at=5)
    lines[60] += '"'  # the quote opened on line 5 closes on line 61: 56 records would become one address
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "patients.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        ingest(drop)
    assert (err.value.line, err.value.column) == (5, "address")
    assert "runs over 57 lines" in err.value.reason
    assert duck.relational().execute("SELECT count(*) FROM patients").fetchone()[0] == 0
