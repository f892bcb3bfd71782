"""The graph model, written once as SQL over the contract tables.

Each node label and relationship type is a constant SQL query over the
validated contract tables.  The embedded store queries these views directly;
the Neo4j loader reads the same queries to know what to create, so both
backends hold the same graph by construction (docs/graph-model.md draws it).

Shared identifiers (Phone, Address, Device) are nodes of their own because a
phone or a device used by many people is exactly what a ring looks like in a
picture.  A facility becomes ``Pharmacy`` when its kind is pharmacy and
``Institution`` otherwise (contract, facilities.kind).
"""
from __future__ import annotations

from dataclasses import dataclass

LABELS: tuple[str, ...] = (
    "Patient", "Card", "Prescriber", "Institution", "Pharmacy", "Drug", "TraceCode",
    "Settlement", "Employer", "MaternityClaim", "Phone", "Address", "Device",
)

# Entity vocabulary of the contract (section 2) -> graph labels.
ENTITY_LABELS: dict[str, tuple[str, ...]] = {
    "patient": ("Patient",),
    "card": ("Card",),
    "facility": ("Institution", "Pharmacy"),
    "prescriber": ("Prescriber",),
    "employer": ("Employer",),
    "device": ("Device",),
}

LABEL_ENTITY: dict[str, str] = {
    "Patient": "patient", "Card": "card", "Institution": "facility", "Pharmacy": "facility",
    "Prescriber": "prescriber", "Employer": "employer", "Device": "device",
    "Drug": "drug", "TraceCode": "trace_code", "Settlement": "settlement",
    "MaternityClaim": "maternity_claim", "Phone": "phone", "Address": "address",
}

# label -> SQL giving (id, caption, name) plus the node's properties.
NODE_SQL: dict[str, str] = {
    "Patient": "SELECT patient_id AS id, name AS caption, * FROM patients",
    "Card": "SELECT card_id AS id, card_id AS caption, * FROM cards",
    "Prescriber": "SELECT prescriber_id AS id, name AS caption, * FROM prescribers",
    "Institution": "SELECT facility_id AS id, name AS caption, * FROM facilities WHERE kind <> 'pharmacy'",
    "Pharmacy": "SELECT facility_id AS id, name AS caption, * FROM facilities WHERE kind = 'pharmacy'",
    "Drug": "SELECT drug_code AS id, name AS caption, * FROM drugs",
    "TraceCode": (
        "SELECT trace_code AS id, trace_code AS caption, min(drug_code) AS drug_code "
        "FROM dispensings WHERE trace_code IS NOT NULL GROUP BY trace_code"
    ),
    "Settlement": "SELECT settlement_id AS id, settlement_id AS caption, * FROM settlements",
    "Employer": "SELECT employer_id AS id, name AS caption, * FROM employers",
    "MaternityClaim": "SELECT claim_id AS id, claim_id AS caption, * FROM maternity_claims",
    "Phone": (
        "SELECT phone AS id, phone AS caption FROM ("
        " SELECT phone FROM patients WHERE phone IS NOT NULL"
        " UNION SELECT phone FROM employers WHERE phone IS NOT NULL)"
    ),
    "Address": (
        "SELECT address AS id, address AS caption FROM ("
        " SELECT address FROM patients WHERE address IS NOT NULL"
        " UNION SELECT address FROM employers WHERE address IS NOT NULL)"
    ),
    "Device": (
        "SELECT device_id AS id, device_id AS caption FROM settlements "
        "WHERE device_id IS NOT NULL GROUP BY device_id"
    ),
}


@dataclass(frozen=True)
class RelType:
    type: str
    src_label: str | None  # None: decided per row (facility kind)
    dst_label: str | None
    sql: str  # yields src_label, src_id, dst_label, dst_id


_FAC_LABEL = "CASE WHEN f.kind = 'pharmacy' THEN 'Pharmacy' ELSE 'Institution' END"

REL_TYPES: tuple[RelType, ...] = (
    RelType("HOLDS", "Patient", "Card",
            "SELECT 'Patient' AS src_label, patient_id AS src_id, 'Card' AS dst_label, card_id AS dst_id FROM cards"),
    RelType("USED_IN", "Card", "Settlement",
            "SELECT 'Card', card_id, 'Settlement', settlement_id FROM settlements"),
    RelType("TREATED", "Settlement", "Patient",
            "SELECT 'Settlement', settlement_id, 'Patient', patient_id FROM settlements WHERE patient_id IS NOT NULL"),
    RelType("AT", "Settlement", None,
            f"SELECT 'Settlement', s.settlement_id, {_FAC_LABEL}, s.facility_id "
            "FROM settlements s JOIN facilities f USING (facility_id)"),
    RelType("PRESCRIBED_BY", "Settlement", "Prescriber",
            "SELECT 'Settlement', settlement_id, 'Prescriber', prescriber_id FROM settlements "
            "WHERE prescriber_id IS NOT NULL"),
    RelType("WORKS_AT", "Prescriber", None,
            f"SELECT 'Prescriber', p.prescriber_id, {_FAC_LABEL}, p.facility_id "
            "FROM prescribers p JOIN facilities f USING (facility_id)"),
    RelType("VIA_DEVICE", "Settlement", "Device",
            "SELECT 'Settlement', settlement_id, 'Device', device_id FROM settlements WHERE device_id IS NOT NULL"),
    RelType("INCLUDES", "Settlement", "Drug",
            "SELECT DISTINCT 'Settlement', settlement_id, 'Drug', drug_code FROM dispensings"),
    RelType("DISPENSED", "Settlement", "TraceCode",
            "SELECT DISTINCT 'Settlement', settlement_id, 'TraceCode', trace_code FROM dispensings "
            "WHERE trace_code IS NOT NULL"),
    RelType("OF_DRUG", "TraceCode", "Drug",
            "SELECT 'TraceCode', trace_code, 'Drug', min(drug_code) FROM dispensings "
            "WHERE trace_code IS NOT NULL GROUP BY trace_code"),
    RelType("HAS_PHONE", None, "Phone",
            "SELECT 'Patient', patient_id, 'Phone', phone FROM patients WHERE phone IS NOT NULL "
            "UNION ALL SELECT 'Employer', employer_id, 'Phone', phone FROM employers WHERE phone IS NOT NULL"),
    RelType("HAS_ADDRESS", None, "Address",
            "SELECT 'Patient', patient_id, 'Address', address FROM patients WHERE address IS NOT NULL "
            "UNION ALL SELECT 'Employer', employer_id, 'Address', address FROM employers WHERE address IS NOT NULL"),
    RelType("EMPLOYED_BY", "Patient", "Employer",
            "SELECT DISTINCT 'Patient', patient_id, 'Employer', employer_id FROM employments"),
    RelType("CLAIMED", "Patient", "MaternityClaim",
            "SELECT 'Patient', patient_id, 'MaternityClaim', claim_id FROM maternity_claims"),
    RelType("VIA_EMPLOYER", "MaternityClaim", "Employer",
            "SELECT 'MaternityClaim', claim_id, 'Employer', employer_id FROM maternity_claims"),
)

REL_TYPE_NAMES: tuple[str, ...] = tuple(r.type for r in REL_TYPES)


def edges_view_sql() -> str:
    """One view of every relationship: (src_label, src_id, type, dst_label, dst_id)."""
    parts = []
    for rel in REL_TYPES:
        parts.append(
            f"SELECT q.src_label, q.src_id, '{rel.type}' AS type, q.dst_label, q.dst_id "
            f"FROM ({rel.sql}) AS q(src_label, src_id, dst_label, dst_id)"
        )
    return "\nUNION ALL\n".join(parts)


def nodes_view_sql() -> str:
    """One view of every node: (label, id, caption)."""
    parts = [
        f"SELECT '{label}' AS label, CAST(q.id AS VARCHAR) AS id, CAST(q.caption AS VARCHAR) AS caption "
        f"FROM ({sql}) AS q"
        for label, sql in NODE_SQL.items()
    ]
    return "\nUNION ALL\n".join(parts)
