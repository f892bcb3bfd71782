"""Hand-built drops for tests: small, readable, each row there for a reason."""
from __future__ import annotations

import csv
from pathlib import Path

# A valid 18-character ID number (GB 11643-1999 check digit) for hand-built rows.
VALID_ID = "110101199003074514"


def write_table(folder: Path, name: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def minimal_drop(folder: Path) -> Path:
    """Two patients, cards, a facility, a drug, two settlements with lines."""
    write_table(folder, "patients", ["patient_id", "name", "id_number", "gender", "birth_date", "region_code", "phone"], [
        ["P001", "张三", VALID_ID, "M", "1990-03-07", "110101", "13800000001"],
        ["P002", "李四", "", "F", "1985-01-02", "110102", ""],
    ])
    write_table(folder, "cards", ["card_id", "patient_id", "status"], [["C001", "P001", "active"], ["C002", "P002", "active"]])
    write_table(folder, "facilities", ["facility_id", "kind", "name", "region_code"], [
        ["F01", "pharmacy", "仁和大药房", "110101"], ["F02", "hospital", "市第一医院", "110101"],
    ])
    write_table(folder, "drugs", ["drug_code", "name", "unit_price", "max_daily_units", "controlled"], [
        ["D01", "阿托伐他汀钙片", "3.50", "2", "false"],
    ])
    write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid", "self_paid", "kind"], [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy"],
        ["S002", "C002", "F01", "2026-03-02T10:00:00", "98.00", "68.60", "29.40", "pharmacy"],
    ])
    write_table(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount", "trace_code"], [
        ["S001", "1", "D01", "28", "98.00", "81234567890123456789"],
        ["S002", "1", "D01", "28", "98.00", "81234567890123456789"],
    ])
    return folder


