"""Re-ingest changes nothing; later drops update reference rows and append facts."""
from __future__ import annotations

import csv

from ringscope.ingest.mapping import load_mapping
from tests.drops import minimal_drop, write_table


def snapshot(duck):
    con = duck.relational()
    return {t: con.execute(f"SELECT * EXCLUDE (_drop_id) FROM {t} ORDER BY ALL").fetchall()
            for t in ("patients", "cards", "settlements", "dispensings", "drugs", "facilities")}


def test_same_drop_twice_changes_nothing(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    ingest(folder)
    first = snapshot(duck)
    report = ingest(folder)
    assert snapshot(duck) == first
    assert report.loaded == 0 and report.rejected == 0
    by = {t.table: t for t in report.tables}
    assert by["settlements"].duplicates == 2 and by["patients"].unchanged == 2


def test_later_drop_updates_reference_rows_and_appends_facts(tmp_path, ingest, duck):
    ingest(minimal_drop(tmp_path / "d1"))
    d2 = tmp_path / "d2"
    # Only some columns: those absent keep their stored values.
    write_table(d2, "patients", ["patient_id", "phone"], [["P002", "13900000002"], ["P003", ""]])
    write_table(d2, "cards", ["card_id", "patient_id", "status"], [["C003", "P003", "active"], ["C001", "P001", "suspended"]])
    write_table(d2, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid"], [
        ["S003", "C003", "F02", "2026-03-05T08:00:00", "300.00", "240.00"],
    ])
    report = ingest(d2)
    by = {t.table: t for t in report.tables}
    assert (by["patients"].new, by["patients"].updated) == (1, 1)
    assert (by["cards"].new, by["cards"].updated) == (1, 1)
    con = duck.relational()
    assert con.execute("SELECT name, phone FROM patients WHERE patient_id = 'P002'").fetchone() == ("李四", "13900000002")
    assert con.execute("SELECT status FROM cards WHERE card_id = 'C001'").fetchone()[0] == "suspended"
    assert con.execute("SELECT count(*) FROM settlements").fetchone()[0] == 3


def test_fact_with_same_key_and_different_content_is_rejected(tmp_path, ingest, duck):
    ingest(minimal_drop(tmp_path / "d1"))
    d2 = tmp_path / "d2"
    write_table(d2, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid", "self_paid", "kind"], [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy"],  # identical: harmless
        ["S002", "C002", "F01", "2026-03-02T10:00:00", "980.00", "686.00", "294.00", "pharmacy"],  # conflict
    ])
    report = ingest(d2)
    rows = list(csv.DictReader(open(report.rejects_file, encoding="utf-8")))
    assert [(r["line"], r["reason"]) for r in rows] == [("3", "conflicts with a stored row of the same key (facts are immutable)")]
    assert duck.relational().execute("SELECT total_amount FROM settlements WHERE settlement_id='S002'").fetchone()[0] == 98


def test_foreign_key_may_point_at_an_earlier_drop(tmp_path, ingest, duck):
    ingest(minimal_drop(tmp_path / "d1"))
    d2 = tmp_path / "d2"
    write_table(d2, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount"], [["S001", "2", "D01", "14", "49.00"]])
    report = ingest(d2)
    assert report.rejected == 0 and report.loaded == 1


def test_gb18030_file_with_chinese_names(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    write_table(folder, "patients", ["patient_id", "name", "address"], [
        ["P001", "欧阳䶮", "北京市东城区𠀀胡同1号"], ["P002", "龚丽华", "河北省石家庄市"],
    ], encoding="gb18030")
    report = ingest(folder)
    assert report.rejected == 0
    names = duck.relational().execute("SELECT name, address FROM patients ORDER BY patient_id").fetchall()
    assert names == [("欧阳䶮", "北京市东城区𠀀胡同1号"), ("龚丽华", "河北省石家庄市")]
    enc = duck.relational().execute("SELECT encoding FROM ingest_tables WHERE table_name='patients'").fetchone()[0]
    assert enc == "gb18030"


def test_utf8_with_bom(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    write_table(folder, "facilities", ["facility_id", "kind", "name"], [["F01", "pharmacy", "仁和大药房"], ["F02", "hospital", "医院"]],
                encoding="utf-8-sig")
    assert ingest(folder).rejected == 0
    assert duck.relational().execute("SELECT name FROM facilities WHERE facility_id='F01'").fetchone()[0] == "仁和大药房"


def test_mapping_file_maps_chinese_headers(tmp_path, ingest, duck):
    folder = minimal_drop(tmp_path / "d")
    (folder / "patients.csv").unlink()
    write_table(folder, "患者", ["患者编号", "姓名", "性别"], [["P001", "张三", "M"], ["P002", "李四", "F"]])
    mapping_file = tmp_path / "map.toml"
    mapping_file.write_text(
        '[patients]\nfile = "患者.csv"\ncolumns = { "患者编号" = "patient_id", "姓名" = "name", "性别" = "gender" }\n',
        encoding="utf-8",
    )
    report = ingest(folder, load_mapping(mapping_file))
    assert report.rejected == 0
    assert duck.relational().execute("SELECT name FROM patients WHERE patient_id = 'P001'").fetchone()[0] == "张三"


def test_bad_mapping_file_is_a_clear_error(tmp_path):
    import pytest

    from ringscope.ingest.errors import MappingError
    bad = tmp_path / "m.toml"
    bad.write_text('[patients]\ncolumns = { "x" = "no_such_column" }\n', encoding="utf-8")
    with pytest.raises(MappingError, match="unknown columns: no_such_column"):
        load_mapping(bad)
