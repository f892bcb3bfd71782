"""Hand-built DRG drops for the screen tests: a small catalogue and a few coded stays."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.drops import write_table

GROUPS = [  # drg_code, adrg, weight, base_payment, min_los, max_los
    ["ES31", "ES3", "1.2", "12000.00", "6", "30"],
    ["ES33", "ES3", "0.8", "8000.00", "4", "25"],
    ["ES35", "ES3", "0.6", "6000.50", "4", "20"],
    ["BR25", "BR2", "1.0", "9000.00", "5", "25"],
    ["HC35", "HC3", "1.0", "10000.00", "3", "18"],
    ["XJ15", "XJ1", "0.7", "7000.00", "2", "15"],
    ["RE19", "RE1", "0.5", "5000.00", "1", "8"],
]
SETTLEMENT_HEADER = ["settlement_id", "card_id", "patient_id", "facility_id", "settled_at", "total_amount", "fund_paid",
                     "kind", "admitted_on", "discharged_on", "diagnosis_code", "drg_code", "secondary_diagnoses",
                     "procedure_codes", "prescriber_id", "self_paid"]


def stay(sid: str, patient: str, admitted: str, discharged: str, drg: str, diagnosis: str, *, secondary: str = "",
         procedures: str = "", total: str = "6000.00", fund: str = "4200.00", facility: str = "H1",
         prescriber: str = "") -> list[str]:
    return [sid, "C" + patient, patient, facility, discharged + "T10:00:00", total, fund, "inpatient", admitted,
            discharged, diagnosis, drg, secondary, procedures, prescriber, _rest(total, fund)]


def _rest(total: str, fund: str) -> str:
    """What the patient paid: the total less the fund's share (the contract's check)."""
    return f"{Decimal(total) - Decimal(fund):.2f}"


def visit(sid: str, patient: str, day: str, diagnosis: str, total: str, fund: str, *, facility: str = "H1",
          kind: str = "outpatient") -> list[str]:
    return [sid, "C" + patient, patient, facility, day + "T09:00:00", total, fund, kind, "", "", diagnosis, "", "", "",
            "", _rest(total, fund)]


def write_drop(folder: Path, settlements: list[list[str]], dispensings: list[list[str]] | None = None,
               with_groups: bool = True, residents: frozenset[str] = frozenset()) -> Path:
    """The drop; rows shorter than the header are padded with empty cells; ``residents`` are
    resident-insured (the rest employees)."""
    patients = sorted({row[2] for row in settlements})
    write_table(folder, "patients", ["patient_id", "insured_type"],
                [[p, "resident" if p in residents else "employee"] for p in patients])
    settlements = [row + [""] * (len(SETTLEMENT_HEADER) - len(row)) for row in settlements]
    write_table(folder, "cards", ["card_id", "patient_id"], [["C" + p, p] for p in patients])
    write_table(folder, "facilities", ["facility_id", "kind", "level", "region_code"],
                [["H1", "hospital", "三级", "110101"], ["H2", "hospital", "三级", "110102"],
                 ["Y1", "pharmacy", "", "110101"]])
    write_table(folder, "drugs", ["drug_code", "name"], [["D1", "注射用头孢曲松钠"], ["D2", "氯化钠注射液"],
                                                         ["D3", "苯磺酸氨氯地平片"]])
    doctors = sorted({(row[14], row[3]) for row in settlements if row[14]})
    write_table(folder, "prescribers", ["prescriber_id", "facility_id"], [[d, f] for d, f in dict(doctors).items()])
    write_table(folder, "settlements", SETTLEMENT_HEADER, settlements)
    write_table(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount"],
                dispensings or [])
    if with_groups:
        write_table(folder, "drg_groups", ["drg_code", "adrg", "weight", "base_payment", "min_los", "max_los"], GROUPS)
    return folder


def book_cases(con) -> list[dict[str, Any]]:
    """The DRG case book's latest cases; a store without the book fails here, not as an empty list."""
    from ringscope.graph.drg_book import latest_drg_cases

    cases = latest_drg_cases(con)
    assert cases is not None, "no DRG case book in this store"
    return cases
