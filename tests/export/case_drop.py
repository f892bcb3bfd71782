"""A hand-built drop holding one small mixed ring, and its rings.json.

Each row is there for a reason:
* S001-S003: three sellers buy boxes of atorvastatin at pharmacy F01 on
  cards C001-C003 (two of them through the same device DEV1 and operator OP1);
* S101-S103: pharmacy F02 has the same boxes (same trace codes) reimbursed
  again on cards C004/C005: the resale chains;
* S004/S005: two sellers admitted to hospital F03 on the same day;
* M01: a maternity claim through employer E01, registered shortly before;
* S900: an unrelated settlement that must not appear in the package;
* P001 and P002 share a phone and an address; both have ID numbers that the
  masked package must never show.
"""
from __future__ import annotations

import json
from pathlib import Path

from tests.drops import VALID_ID, write_table

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(first17: str) -> str:
    """An 18-character ID with its GB 11643-1999 check digit."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return first17 + "10X98765432"[total % 11]


ID_1 = VALID_ID
ID_2 = id_number("11010219851102002")
ID_3 = id_number("32010619770815123")
ID_NUMBERS = (ID_1, ID_2, ID_3)
PHONE = "13800000001"

BOX_1, BOX_2, BOX_3, BOX_4, BOX_X = (f"8123456789012345{n:04d}" for n in (1, 2, 3, 4, 9))

RING_SETTLEMENTS = ["S001", "S002", "S003", "S004", "S005", "S101", "S102", "S103"]
# fund_paid of the ring's settlements and the claim, to the cent
RING_FUND_PAID = ["68.60", "68.60", "137.20", "3456.78", "2345.67", "68.60", "68.60", "68.61"]
RING_CLAIM = "12345.67"


def referral_drop(folder: Path) -> Path:
    write_table(folder, "patients", ["patient_id", "name", "id_number", "gender", "birth_date", "region_code",
                                     "phone", "address"], [
        ["P001", "张三", ID_1, "M", "1990-03-07", "110101", PHONE, "北京市东城区和平里北街1号"],
        ["P002", "李四", ID_2, "F", "1985-11-02", "110102", PHONE, "北京市东城区和平里北街1号"],
        ["P003", "王五", ID_3, "F", "1977-08-15", "320106", "13900000003", ""],
        ["P004", "赵六", "", "M", "1960-01-01", "110101", "", ""],
        ["P005", "钱七", "", "F", "1962-02-02", "110101", "", ""],
    ])
    write_table(folder, "cards", ["card_id", "patient_id", "status"],
                [[f"C00{i}", f"P00{i}", "active"] for i in range(1, 6)])
    write_table(folder, "facilities", ["facility_id", "kind", "name", "region_code"], [
        ["F01", "pharmacy", "仁和大药房", "110101"],
        ["F02", "pharmacy", "康宁药店", "110102"],
        ["F03", "hospital", "市第一医院", "110101"],
    ])
    write_table(folder, "drugs", ["drug_code", "name", "unit_price", "max_daily_units", "controlled"], [
        ["D01", "阿托伐他汀钙片", "3.50", "2", "false"],
    ])
    head = ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid", "self_paid", "kind",
            "device_id", "operator_id", "admitted_on", "discharged_on"]
    write_table(folder, "settlements", head, [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy", "DEV1", "OP1", "", ""],
        ["S002", "C002", "F01", "2026-03-01T09:30:00", "98.00", "68.60", "29.40", "pharmacy", "DEV1", "OP1", "", ""],
        ["S003", "C003", "F01", "2026-03-02T10:00:00", "196.00", "137.20", "58.80", "pharmacy", "DEV2", "OP1", "", ""],
        ["S004", "C001", "F03", "2026-03-09T16:00:00", "4938.26", "3456.78", "1481.48", "inpatient", "", "OP9",
         "2026-03-05", "2026-03-09"],
        ["S005", "C002", "F03", "2026-03-09T16:30:00", "3350.96", "2345.67", "1005.29", "inpatient", "", "OP9",
         "2026-03-05", "2026-03-09"],
        ["S101", "C004", "F02", "2026-03-10T11:00:00", "98.00", "68.60", "29.40", "pharmacy", "", "OP2", "", ""],
        ["S102", "C005", "F02", "2026-03-11T11:00:00", "98.00", "68.60", "29.40", "pharmacy", "", "OP2", "", ""],
        ["S103", "C004", "F02", "2026-03-12T11:00:00", "98.01", "68.61", "29.40", "pharmacy", "", "OP2", "", ""],
        ["S900", "C005", "F02", "2026-03-20T11:00:00", "98.00", "68.60", "29.40", "pharmacy", "", "OP2", "", ""],
    ])
    write_table(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount", "trace_code"], [
        ["S001", "1", "D01", "28", "98.00", BOX_1],
        ["S002", "1", "D01", "28", "98.00", BOX_2],
        ["S003", "1", "D01", "28", "98.00", BOX_3],
        ["S003", "2", "D01", "28", "98.00", BOX_4],
        ["S101", "1", "D01", "28", "98.00", BOX_1],
        ["S102", "1", "D01", "28", "98.00", BOX_2],
        ["S103", "1", "D01", "28", "98.01", BOX_3],
        ["S900", "1", "D01", "28", "98.00", BOX_X],
    ])
    write_table(folder, "employers", ["employer_id", "name", "region_code", "registered_on", "agent_id"], [
        ["E01", "鑫源商贸有限公司", "320106", "2026-01-10", "AG7"],
    ])
    write_table(folder, "employments", ["patient_id", "employer_id", "start_on"], [["P003", "E01", "2026-01-15"]])
    write_table(folder, "maternity_claims", ["claim_id", "patient_id", "employer_id", "claimed_on", "amount",
                                             "delivery_on"], [
        ["M01", "P003", "E01", "2026-03-20", RING_CLAIM, "2026-03-01"],
    ])
    return folder


def ring_object(ring_id: str = "R-000001") -> dict:
    return {
        "ring_id": ring_id,
        "scheme": "mixed",
        "schemes": ["trace_resale", "maternity"],
        "score": 0.93,
        "members": [
            {"type": "facility", "id": "F02", "role": "reseller"},
            {"type": "facility", "id": "F03", "role": "admitting"},
            {"type": "employer", "id": "E01", "role": "shell employer"},
            {"type": "patient", "id": "P001", "role": "seller"},
            {"type": "patient", "id": "P002", "role": "seller"},
            {"type": "patient", "id": "P003", "role": "seller"},
        ],
        "fund_loss": 18604.33,
        "settlement_ids": list(RING_SETTLEMENTS),
        "claim_ids": ["M01"],
        "evidence": [
            {"kind": "duplicate_trace_code", "scheme": "trace_resale",
             "text": f"Seller 张三 (ID {ID_1}, phone {PHONE}) sold 3 boxes later reimbursed again at F02",
             "text_zh": f"卖药人张三（身份证 {ID_1}，电话 {PHONE}）出售的3盒药品在F02被再次报销"},
        ],
    }


def write_rings_json(path: Path, ring_ids: tuple[str, ...] = ("R-000001",)) -> Path:
    doc = {"contract": 1, "generated_at": "2026-03-25T10:00:00+08:00", "run_id": "RUN-TEST-1",
           "rings": [ring_object(r) for r in ring_ids]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
