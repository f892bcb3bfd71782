"""connect_drop (training, benchmarks) types a drop exactly as ingest stores it.

Every F1 the benchmark quotes is measured on connect_drop's tables, so they
must be the tables production sees: the same datetime offsets converted to
China Standard Time, the same booleans, ID numbers upper-cased, and the rows
ingest rejects left out.
"""
from __future__ import annotations

from pathlib import Path

from ringscope.analytics.contract_tables import connect_drop
from ringscope.ingest.contract import TABLES
from tests.drops import minimal_drop, write_table

ID_WITH_X = "11010119900307002x"  # check digit X, written lower-case


def _awkward_drop(folder: Path) -> Path:
    """The minimal drop with offsets, mixed-case booleans, a lower-case ID number and two bad rows."""
    minimal_drop(folder)
    write_table(folder, "patients", ["patient_id", "name", "id_number", "gender", "birth_date", "region_code"], [
        ["P001", "张三", ID_WITH_X, "M", "1990-03-07", "110101"],
        ["P002", "李四", "", "F", "1985-01-02", "110102"],
        ["P003", "王五", "", "F", "1985-13-40", "110102"],  # impossible birth date: ingest rejects the row
    ])
    write_table(folder, "drugs", ["drug_code", "name", "unit_price", "max_daily_units", "controlled"], [
        ["D01", "阿托伐他汀钙片", "3.50", "2", "FALSE"], ["D02", "曲马多", "1.20", "4", "True"],
    ])
    write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                        "fund_paid", "self_paid", "kind"], [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy"],
        ["S002", "C002", "F01", "2026-03-02T10:00:00+00:00", "98.00", "68.60", "29.40", "pharmacy"],
        ["S003", "C001", "F01", "2026-03-03T23:30:00Z", "10.00", "7.00", "3.00", "pharmacy"],
        ["S004", "C002", "F01", "2026-03-04 08:15:00-05:30", "10.00", "7.00", "3.00", "pharmacy"],
        ["S005", "C001", "F01", "2026-03-05T08:00:00+0800", "10.00", "7.00", "3.00", "pharmacy"],
        ["S006", "C001", "F01", "2026-03-05T08:00:00", "10.00", "12.00", "", "pharmacy"],  # fund above total
    ])
    return folder


def _table(con, name: str) -> list[tuple]:
    cols = ", ".join(TABLES[name].column_names)
    return con.execute(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()


def test_connect_drop_types_every_table_as_ingest_stores_it(tmp_path, duck, ingest):
    drop = _awkward_drop(tmp_path / "drop")
    ingest(drop)
    stored, loaded = duck.relational(), connect_drop(drop)
    for name in TABLES:
        assert _table(loaded, name) == _table(stored, name), name
    # and the figures are the contract's, not merely equal to each other
    ids = dict(loaded.execute("SELECT patient_id, id_number FROM patients").fetchall())
    assert ids == {"P001": ID_WITH_X.upper(), "P002": None}
    when = dict(loaded.execute("SELECT settlement_id, strftime(settled_at, '%Y-%m-%d %H:%M') FROM settlements")
                .fetchall())
    assert when == {"S001": "2026-03-01 09:00", "S002": "2026-03-02 18:00", "S003": "2026-03-04 07:30",
                    "S004": "2026-03-04 21:45", "S005": "2026-03-05 08:00"}
    assert dict(loaded.execute("SELECT drug_code, controlled FROM drugs").fetchall()) == {"D01": False, "D02": True}
