"""The data contract (shared/data-contract.md, version 1.1) as data.

Every other module reads table names, keys, column types and foreign keys
from here, so the contract is written down once.  Types are the logical
types of the contract, mapped to DuckDB types by the store; validation
rules per logical type live in ``ingest.rules`` (Python reference) and
``ingest.validate_sql`` (the set-based implementation used on real drops).
"""
from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT_VERSION = 1

# Logical column types.  "id" columns are opaque strings (leading zeros kept).
ID, TEXT, DATE, DATETIME, MONEY, INT, NUMBER, BOOL = (
    "id", "text", "date", "datetime", "money", "int", "number", "bool",
)
REGION, ID_NUMBER, TRACE_CODE, PHONE = "region", "id_number", "trace_code", "phone"
CODE_LIST = "code_list"
"""Contract 1.1: ICD-10 / ICD-9-CM-3 codes separated by ``;`` (secondary diagnoses, procedures)."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target_column: str
    when_present: bool = False
    """Checked only when the referenced table is in the drop or holds rows in the store
    (contract 1.1: ``drg_code`` -> drg_groups, an optional reference table)."""


@dataclass(frozen=True)
class TableSpec:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    fact: bool = False
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: str = TEXT, required: bool = False, choices: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, required, choices)


FACILITY_KINDS = ("hospital", "clinic", "community_health_center", "village_clinic", "pharmacy")
SETTLEMENT_KINDS = ("outpatient", "inpatient", "pharmacy", "maternity")

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "patients",
            ("patient_id",),
            (
                _c("patient_id", ID, True),
                _c("name"),
                _c("id_number", ID_NUMBER),
                _c("gender", TEXT, choices=("M", "F", "U")),
                _c("birth_date", DATE),
                _c("region_code", REGION),
                _c("address"),
                _c("phone", PHONE),
                _c("insured_type", TEXT, choices=("employee", "resident")),
                _c("death_date", DATE),
            ),
        ),
        TableSpec(
            "cards",
            ("card_id",),
            (
                _c("card_id", ID, True),
                _c("patient_id", ID, True),
                _c("issued_on", DATE),
                _c("status", TEXT, choices=("active", "suspended", "cancelled")),
            ),
            foreign_keys=(ForeignKey("patient_id", "patients", "patient_id"),),
        ),
        TableSpec(
            "facilities",
            ("facility_id",),
            (
                _c("facility_id", ID, True),
                _c("kind", TEXT, True, FACILITY_KINDS),
                _c("name"),
                _c("region_code", REGION),
                _c("level"),
                _c("chain_id", ID),
            ),
        ),
        TableSpec(
            "prescribers",
            ("prescriber_id",),
            (
                _c("prescriber_id", ID, True),
                _c("name"),
                _c("facility_id", ID),
                _c("specialty"),
            ),
            foreign_keys=(ForeignKey("facility_id", "facilities", "facility_id"),),
        ),
        TableSpec(
            "drugs",
            ("drug_code",),
            (
                _c("drug_code", ID, True),
                _c("name"),
                _c("category"),
                _c("unit_price", MONEY),
                _c("max_daily_units", NUMBER),
                _c("controlled", BOOL),
            ),
        ),
        TableSpec(
            "settlements",
            ("settlement_id",),
            (
                _c("settlement_id", ID, True),
                _c("card_id", ID, True),
                _c("facility_id", ID, True),
                _c("settled_at", DATETIME, True),
                _c("total_amount", MONEY, True),
                _c("fund_paid", MONEY, True),
                _c("patient_id", ID),
                _c("prescriber_id", ID),
                _c("kind", TEXT, choices=SETTLEMENT_KINDS),
                _c("self_paid", MONEY),
                _c("admitted_on", DATE),
                _c("discharged_on", DATE),
                _c("diagnosis_code"),
                _c("drg_code"),
                _c("device_id", ID),
                _c("operator_id", ID),
                _c("secondary_diagnoses", CODE_LIST),
                _c("procedure_codes", CODE_LIST),
            ),
            fact=True,
            foreign_keys=(
                ForeignKey("card_id", "cards", "card_id"),
                ForeignKey("facility_id", "facilities", "facility_id"),
                ForeignKey("patient_id", "patients", "patient_id"),
                ForeignKey("prescriber_id", "prescribers", "prescriber_id"),
                ForeignKey("drg_code", "drg_groups", "drg_code", when_present=True),
            ),
        ),
        TableSpec(
            "dispensings",
            ("settlement_id", "line_no"),
            (
                _c("settlement_id", ID, True),
                _c("line_no", INT, True),
                _c("drug_code", ID, True),
                _c("quantity", NUMBER, True),
                _c("amount", MONEY, True),
                _c("trace_code", TRACE_CODE),
                _c("days_supply", NUMBER),
            ),
            fact=True,
            foreign_keys=(
                ForeignKey("settlement_id", "settlements", "settlement_id"),
                ForeignKey("drug_code", "drugs", "drug_code"),
            ),
        ),
        TableSpec(
            "employers",
            ("employer_id",),
            (
                _c("employer_id", ID, True),
                _c("name"),
                _c("region_code", REGION),
                _c("registered_on", DATE),
                _c("phone", PHONE),
                _c("address"),
                _c("agent_id", ID),
            ),
        ),
        TableSpec(
            "employments",
            ("patient_id", "employer_id", "start_on"),
            (
                _c("patient_id", ID, True),
                _c("employer_id", ID, True),
                _c("start_on", DATE, True),
                _c("end_on", DATE),
                _c("salary_base", MONEY),
            ),
            foreign_keys=(
                ForeignKey("patient_id", "patients", "patient_id"),
                ForeignKey("employer_id", "employers", "employer_id"),
            ),
        ),
        TableSpec(
            "maternity_claims",
            ("claim_id",),
            (
                _c("claim_id", ID, True),
                _c("patient_id", ID, True),
                _c("employer_id", ID, True),
                _c("claimed_on", DATE, True),
                _c("amount", MONEY, True),
                _c("delivery_on", DATE),
                _c("salary_base", MONEY),
            ),
            fact=True,
            foreign_keys=(
                ForeignKey("patient_id", "patients", "patient_id"),
                ForeignKey("employer_id", "employers", "employer_id"),
            ),
        ),
        TableSpec(
            "drg_groups",
            ("drg_code",),
            (
                _c("drg_code", ID, True),
                _c("name"),
                _c("adrg"),
                _c("mdc"),
                _c("weight", NUMBER),
                _c("base_payment", MONEY),
                _c("min_los", INT),
                _c("max_los", INT),
            ),
        ),
    )
}

# Load order: referenced tables before the tables that point at them.
LOAD_ORDER: tuple[str, ...] = (
    "patients", "cards", "facilities", "prescribers", "drugs",
    "employers", "employments", "drg_groups", "settlements", "dispensings", "maternity_claims",
)

ENTITY_TYPES = ("patient", "card", "facility", "prescriber", "employer", "device")
SCHEMES = ("trace_resale", "borrowed_cards", "car_shuttle", "over_prescription", "maternity")
