"""Drops for the Neo4j tests: a parametric valid drop and an update drop."""
from __future__ import annotations

from pathlib import Path

from tests.drops import write_table

INJECTION_ID = "x'}) DETACH DELETE n //"


def sized_drop(folder: Path, settlements: int, prefix: str = "") -> Path:
    """``settlements`` settlements with two lines each over a small population;
    every relationship type of the model except maternity occurs."""
    patients = max(2, settlements // 4)
    write_table(folder, "patients", ["patient_id", "name", "gender", "region_code", "address", "phone"], [
        [f"P{i:06d}", f"病人{i}", "F" if i % 2 else "M", "110101", f"胡同{i % 7}号", f"1380000{i % 9:04d}"]
        for i in range(patients)
    ])
    write_table(folder, "cards", ["card_id", "patient_id", "status"], [
        [f"C{i:06d}", f"P{i:06d}", "active"] for i in range(patients)
    ])
    write_table(folder, "facilities", ["facility_id", "kind", "name", "region_code"], [
        ["F01", "pharmacy", "仁和大药房", "110101"], ["F02", "hospital", "市第一医院", "110101"],
        ["F03", "clinic", "社区诊所", "110102"],
    ])
    write_table(folder, "prescribers", ["prescriber_id", "name", "facility_id"], [
        ["R01", "王医生", "F02"], ["R02", "赵医生", "F03"],
    ])
    write_table(folder, "drugs", ["drug_code", "name", "unit_price"], [
        ["D01", "阿托伐他汀钙片", "3.50"], ["D02", "二甲双胍片", "0.80"], ["D03", "胰岛素注射液", "45.00"],
    ])
    write_table(folder, "employers", ["employer_id", "name", "phone", "address"], [
        ["E01", "某某科技有限公司", "01080000001", "胡同1号"],
    ])
    write_table(folder, "employments", ["patient_id", "employer_id", "start_on"], [
        [f"P{i:06d}", "E01", "2024-01-01"] for i in range(0, patients, 5)
    ])
    write_table(folder, "settlements", [
        "settlement_id", "card_id", "patient_id", "facility_id", "prescriber_id", "settled_at",
        "total_amount", "fund_paid", "self_paid", "kind", "device_id",
    ], [
        [f"{prefix}S{i:07d}", f"C{i % patients:06d}", f"P{i % patients:06d}", ("F01", "F02", "F03")[i % 3],
         ("", "R01", "R02")[i % 3], f"2026-03-{1 + i % 28:02d}T10:00:00", "20.00", "14.00", "6.00",
         ("pharmacy", "inpatient", "outpatient")[i % 3], f"DEV{i % 11:03d}" if i % 2 else ""]
        for i in range(settlements)
    ])
    write_table(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount", "trace_code"], [
        row
        for i in range(settlements)
        for row in (
            [f"{prefix}S{i:07d}", "1", f"D0{1 + i % 3}", "10", "10.00", f"8{int(prefix != '')}{i:018d}"],
            [f"{prefix}S{i:07d}", "2", f"D0{1 + (i + 1) % 3}", "10", "10.00", ""],
        )
    ])
    return folder


def update_drop(folder: Path) -> Path:
    """A later drop: changed reference rows and new facts.

    P000000 changes phone and address, C000001 changes holder, F03 becomes a
    pharmacy, R01 moves to F03, E01 loses its phone; two new settlements.
    """
    write_table(folder, "patients", ["patient_id", "name", "address", "phone"], [
        ["P000000", "病人0", "新街1号", "13999999999"],
    ])
    write_table(folder, "cards", ["card_id", "patient_id", "status"], [["C000001", "P000000", "active"]])
    write_table(folder, "facilities", ["facility_id", "kind", "name"], [["F03", "pharmacy", "社区药店"]])
    write_table(folder, "prescribers", ["prescriber_id", "name", "facility_id"], [["R01", "王医生", "F03"]])
    write_table(folder, "employers", ["employer_id", "name", "phone", "address"], [
        ["E01", "某某科技有限公司", "", "胡同1号"],
    ])
    write_table(folder, "settlements", [
        "settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid", "device_id",
    ], [
        ["U0000001", "C000001", "F03", "2026-04-01T09:00:00", "30.00", "21.00", "DEV999"],
        ["U0000002", "C000000", "F01", "2026-04-02T09:00:00", "30.00", "21.00", ""],
    ])
    write_table(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount", "trace_code"], [
        ["U0000001", "1", "D01", "10", "30.00", "80000000000000000000"],
        ["U0000002", "1", "D02", "10", "30.00", ""],
    ])
    return folder


def injection_drop(folder: Path) -> Path:
    """Ids and names that would break string-built Cypher."""
    write_table(folder, "patients", ["patient_id", "name", "phone"], [
        [INJECTION_ID, "'; MATCH (m) DETACH DELETE m; //", ""],
        ["P2", "x\"}) SET n.pwned = true //", ""],
    ])
    write_table(folder, "cards", ["card_id", "patient_id"], [
        ["C` DETACH DELETE n //", INJECTION_ID], ["C2", "P2"],
    ])
    write_table(folder, "facilities", ["facility_id", "kind", "name"], [["F'})-[:X]->(m) //", "clinic", "${x}"]])
    write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid"], [
        ["S'1", "C` DETACH DELETE n //", "F'})-[:X]->(m) //", "2026-03-01T09:00:00", "10.00", "7.00"],
        ["S2", "C2", "F'})-[:X]->(m) //", "2026-03-01T09:00:00", "10.00", "7.00"],
    ])
    return folder
