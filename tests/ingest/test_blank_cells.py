"""An empty cell is a missing value: a later drop's blanks never erase what is stored (issue 17, item 3)."""
from __future__ import annotations

from ringscope.ingest.mapping import HeaderMapping
from tests.drops import VALID_ID, minimal_drop, write_table

PATIENT_HEADER = ["patient_id", "name", "id_number", "phone", "address"]


def test_blank_cells_in_a_later_drop_keep_the_stored_values(tmp_path, ingest, duck):
    d1 = tmp_path / "d1"
    minimal_drop(d1)
    write_table(d1, "patients", PATIENT_HEADER, [["P001", "张三", VALID_ID, "13800000001", "幸福路1号"],
                                                 ["P002", "李四", "", "", "光明街2号"]])
    ingest(d1)
    d2 = tmp_path / "d2"
    write_table(d2, "patients", PATIENT_HEADER, [
        ["P001", "张三", "", "", ""],  # re-sent with blanks: nothing said about these three
        ["P002", "李四", "", "13900000002", ""],  # one real change
    ])
    report = ingest(d2)
    by = {t.table: t for t in report.tables}
    assert (by["patients"].updated, by["patients"].unchanged) == (1, 1)
    rows = duck.relational().execute(
        "SELECT patient_id, id_number, phone, address FROM patients ORDER BY patient_id").fetchall()
    assert rows == [("P001", VALID_ID, "13800000001", "幸福路1号"), ("P002", None, "13900000002", "光明街2号")]


def test_a_resent_fact_with_blank_optional_cells_is_a_duplicate_not_a_conflict(tmp_path, ingest, duck):
    ingest(minimal_drop(tmp_path / "d1"))
    d2 = tmp_path / "d2"
    write_table(d2, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                    "fund_paid", "self_paid", "kind"], [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "", ""],
    ])
    report = ingest(d2)
    assert (report.tables[0].duplicates, report.rejected) == (1, 0)
    stored = duck.relational().execute("SELECT self_paid, kind FROM settlements WHERE settlement_id = 'S001'").fetchone()
    assert (float(stored[0]), stored[1]) == (29.40, "pharmacy")


def test_blank_cells_keep_stored_values_in_either_store(tmp_path, any_store):
    """The Neo4j store projects the merged catalogue rows: its nodes keep the values too."""
    d1 = tmp_path / "d1"
    minimal_drop(d1)
    write_table(d1, "patients", PATIENT_HEADER, [["P001", "张三", VALID_ID, "13800000001", "幸福路1号"]])
    any_store.ingest_drop(d1, HeaderMapping())
    d2 = tmp_path / "d2"
    write_table(d2, "patients", PATIENT_HEADER, [["P001", "张三", "", "", ""]])
    any_store.ingest_drop(d2, HeaderMapping())
    props = any_store.get_node("Patient", "P001").props
    assert (props["id_number"], props["phone"], props["address"]) == (VALID_ID, "13800000001", "幸福路1号")
