"""Everything a referral states, gathered once from the store and masked once.

:func:`gather_case` reads the ring's transactions and members from the
store's relational tables (set-based DuckDB queries, one per table), masks
personal data when asked, and returns a :class:`CaseFile`.  Every renderer
(summary HTML/PDF, CSV/XLSX annexes, graph) only reads the CaseFile, so
masking cannot be forgotten by one of them and every file states the same
figures.

Fund loss is computed transaction by transaction, as the NHSA's rules on
investigating fraudulent reimbursement count it (contract section 3), by the
one rule every view uses (``analytics.fund_loss.txn_losses``): ``fund_paid``
of each of the ring's settlements plus ``amount`` of each of its maternity
claims, each transaction counted once, in ``Decimal`` to the cent.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb

from ringscope.analytics.detectors.borrowed_cards import BorrowedCardsSettings
from ringscope.analytics.fund_loss import txn_losses
from ringscope.app.export import evidence as evidence_mod
from ringscope.app.export import evidence_rows
from ringscope.app.export.drg_annex import drg_rows
from ringscope.app.export.institution import SCHEME as DRG_SCHEME
from ringscope.app.export.masking import Masker
from ringscope.app.ring_source import RingRecord
from ringscope.app.triage import triage_changes

CENT = Decimal("0.01")
CST = timezone(timedelta(hours=8))
ZERO = Decimal("0.00")


def money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(CENT)


@dataclass
class FundLoss:
    settlements_total: Decimal
    claims_total: Decimal
    n_settlements: int
    n_claims: int
    per_facility: list[dict[str, Any]]
    per_member: list[dict[str, Any]]
    reported: Decimal | None  # what detection reported, for comparison

    @property
    def total(self) -> Decimal:
        return self.settlements_total + self.claims_total


@dataclass
class CaseFile:
    ring: RingRecord
    masked: bool
    members: list[dict[str, Any]]
    settlements: list[dict[str, Any]]
    dispensings: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    fund_loss: FundLoss
    evidence: evidence_mod.DataEvidence
    timeline: list[dict[str, Any]]
    drops: list[dict[str, Any]]
    missing_settlement_ids: list[str] = field(default_factory=list)
    missing_claim_ids: list[str] = field(default_factory=list)
    drg_lines: list[dict[str, Any]] = field(default_factory=list)
    """DRG payment cases at the ring's institutions, per settlement (``drg_annex``, issue 18)."""
    triage: list[dict[str, Any]] = field(default_factory=list)
    """The ring's triage history, oldest first: who, when (CST), from → to, assignee, note (masked)."""
    evidence_items: list[evidence_rows.EvidenceItem] = field(default_factory=list)
    """Every evidence statement, numbered E1…, with the transactions behind it (``evidence_rows``)."""

    @property
    def data_as_of(self) -> str:
        return max((d["finished_at"] for d in self.drops if d["finished_at"]), default="")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _text(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


SETTLEMENTS_SQL = """
SELECT s.settlement_id, s.settled_at, s.kind, s.card_id, c.patient_id AS card_holder_id,
       coalesce(s.patient_id, c.patient_id) AS patient_id, p.name AS patient_name,
       s.facility_id, f.name AS facility_name, f.kind AS facility_kind,
       s.prescriber_id, s.device_id, s.operator_id, s.admitted_on, s.discharged_on,
       s.diagnosis_code, s.drg_code, s.total_amount, s.self_paid, s.fund_paid
FROM settlements s
LEFT JOIN cards c USING (card_id)
LEFT JOIN patients p ON p.patient_id = coalesce(s.patient_id, c.patient_id)
LEFT JOIN facilities f USING (facility_id)
WHERE s.settlement_id IN (SELECT unnest(?::VARCHAR[]))
ORDER BY s.settled_at, s.settlement_id
"""

DISPENSINGS_SQL = """
WITH lines AS (
  SELECT d.* FROM dispensings d WHERE d.settlement_id IN (SELECT unnest(?::VARCHAR[]))
), seen AS (
  SELECT trace_code, count(DISTINCT settlement_id) AS n FROM dispensings
  WHERE trace_code IN (SELECT trace_code FROM lines WHERE trace_code IS NOT NULL) GROUP BY trace_code
)
SELECT l.settlement_id, l.line_no, s.settled_at, s.facility_id, s.card_id, l.drug_code, g.name AS drug_name,
       l.quantity, l.days_supply, l.amount, l.trace_code, coalesce(seen.n, 0) AS trace_code_settlements
FROM lines l JOIN settlements s USING (settlement_id)
LEFT JOIN drugs g USING (drug_code) LEFT JOIN seen USING (trace_code)
ORDER BY s.settled_at, l.settlement_id, l.line_no
"""

CLAIMS_SQL = """
SELECT m.claim_id, m.claimed_on, m.patient_id, p.name AS patient_name, m.employer_id, e.name AS employer_name,
       m.delivery_on, m.salary_base, m.amount
FROM maternity_claims m LEFT JOIN patients p USING (patient_id) LEFT JOIN employers e USING (employer_id)
WHERE m.claim_id IN (SELECT unnest(?::VARCHAR[]))
ORDER BY m.claimed_on, m.claim_id
"""

MEMBER_SQL: dict[str, str] = {
    "patient": "SELECT patient_id AS id, name, id_number, gender, birth_date, region_code, address, phone, "
               "insured_type, death_date FROM patients WHERE patient_id IN (SELECT unnest(?::VARCHAR[]))",
    "card": "SELECT c.card_id AS id, c.patient_id AS holder_id, p.name AS holder_name, c.status, c.issued_on "
            "FROM cards c LEFT JOIN patients p USING (patient_id) WHERE c.card_id IN (SELECT unnest(?::VARCHAR[]))",
    "facility": "SELECT facility_id AS id, name, kind, region_code, level, chain_id FROM facilities "
                "WHERE facility_id IN (SELECT unnest(?::VARCHAR[]))",
    "prescriber": "SELECT prescriber_id AS id, name, facility_id, specialty FROM prescribers "
                  "WHERE prescriber_id IN (SELECT unnest(?::VARCHAR[]))",
    "employer": "SELECT employer_id AS id, name, region_code, registered_on, agent_id FROM employers "
                "WHERE employer_id IN (SELECT unnest(?::VARCHAR[]))",
}

# Fields of a member's record that are personal data (masked unless unmasked).
PERSONAL = {"name": "name", "holder_name": "name", "id_number": "id_number", "birth_date": "birth_date",
            "address": "address", "phone": "phone"}


def _member_details(con: duckdb.DuckDBPyConnection, ring: RingRecord, masker: Masker) -> dict[tuple[str, str], dict]:
    found: dict[tuple[str, str], dict] = {}
    for entity_type, sql in MEMBER_SQL.items():
        ids = ring.members_of(entity_type)
        if not ids:
            continue
        for row in _rows(con, sql, [ids]):
            details = {}
            for k, v in row.items():
                if k == "id":
                    continue
                value = _text(v)
                is_person = entity_type in ("patient", "card") or (entity_type == "prescriber" and k == "name")
                if k in PERSONAL and is_person:
                    value = str(masker.field(PERSONAL[k], value))
                details[k] = value
            found[(entity_type, str(row["id"]))] = details
    return found


def _attribute(settlements: list[dict], claims: list[dict], members: list[dict]) -> None:
    """Per member: the ring's transactions the member takes part in, and their fund_paid."""
    index: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for s in settlements:
        involved = {("card", s["card_id"]), ("facility", s["facility_id"]), ("patient", s["patient_id"]),
                    ("patient", s["card_holder_id"]), ("prescriber", s["prescriber_id"]), ("device", s["device_id"])}
        for key in involved:
            if key[1]:
                index[key].append(s["_fund_paid"])
    claim_index: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for c in claims:
        for key in {("patient", c["patient_id"]), ("employer", c["employer_id"])}:
            claim_index[key].append(c["_amount"])
    for m in members:
        key = (m["type"], m["id"])
        m["n_settlements"] = len(index[key])
        m["fund_paid"] = sum(index[key], ZERO)
        m["n_claims"] = len(claim_index[key])
        m["claims_amount"] = sum(claim_index[key], ZERO)
        m["loss_involved"] = m["fund_paid"] + m["claims_amount"]


def _per_facility(settlements: list[dict], claims: list[dict]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for s in settlements:
        g = groups.setdefault(("facility", s["facility_id"]), {
            "kind": "facility", "id": s["facility_id"], "name": s["facility_name"], "n": 0, "amount": ZERO})
        g["n"] += 1
        g["amount"] += s["_fund_paid"]
    for c in claims:
        g = groups.setdefault(("employer", c["employer_id"]), {
            "kind": "employer", "id": c["employer_id"], "name": c["employer_name"], "n": 0, "amount": ZERO})
        g["n"] += 1
        g["amount"] += c["_amount"]
    return sorted(groups.values(), key=lambda g: (-g["amount"], g["kind"], g["id"]))


def _timeline(settlements: list[dict], claims: list[dict]) -> list[dict[str, Any]]:
    days: dict[str, dict[str, Any]] = {}
    for s in settlements:
        day = s["settled_at"][:10]
        d = days.setdefault(day, {"date": day, "n_settlements": 0, "fund_paid": ZERO, "facilities": set(),
                                  "cards": set(), "n_claims": 0, "claims_amount": ZERO, "admissions": 0})
        d["n_settlements"] += 1
        d["fund_paid"] += s["_fund_paid"]
        d["facilities"].add(s["facility_id"])
        d["cards"].add(s["card_id"])
        if s["kind"] == "inpatient" and s["admitted_on"]:
            d["admissions"] += 1
    for c in claims:
        day = c["claimed_on"][:10]
        d = days.setdefault(day, {"date": day, "n_settlements": 0, "fund_paid": ZERO, "facilities": set(),
                                  "cards": set(), "n_claims": 0, "claims_amount": ZERO, "admissions": 0})
        d["n_claims"] += 1
        d["claims_amount"] += c["_amount"]
    out = []
    for day in sorted(days):
        d = days[day]
        d["facilities"] = sorted(x for x in d["facilities"] if x)
        d["cards"] = sorted(x for x in d["cards"] if x)
        d["n_cards"] = len(d["cards"])
        out.append(d)
    return out


def _drops(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = _rows(con, "SELECT drop_id, fingerprint, finished_at FROM ingest_drops WHERE status = 'loaded' "
                      "ORDER BY finished_at, drop_id", [])
    return [{"drop_id": r["drop_id"], "fingerprint": r["fingerprint"] or "",
             "finished_at": _cst(r["finished_at"])} for r in rows]


def _cst(value: Any) -> str:
    """A stored time as China Standard Time to the second (how the rest of the package states times)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(CST).isoformat(timespec="seconds")
    return _text(value)


def _triage(con: duckdb.DuckDBPyConnection, ring_id: str, masker: Masker) -> list[dict[str, Any]]:
    """Every triage change of the ring (``app.triage``), notes scrubbed like detection's free text."""
    return [{"changed_at": _cst(c.changed_at), "changed_by": c.changed_by, "from_status": c.from_status,
             "to_status": c.to_status, "assignee": c.assignee, "note": masker.text(c.note)}
            for c in triage_changes(con, ring_id)]


def _format_rows(settlements: list[dict], claims: list[dict], dispensings: list[dict],
                 loss: dict[tuple[str, str], Decimal], masker: Masker) -> None:
    """Each row as the document prints it: money to the cent, dates and codes as text, names
    masked; the exact loss of every transaction kept beside it (``_fund_paid``, ``_amount``) for the sums."""
    for s in settlements:
        s["_fund_paid"] = loss.get(("settlement", str(s["settlement_id"])), ZERO)
        for k in ("total_amount", "self_paid", "fund_paid"):
            s[k] = "" if s[k] is None else f"{money(s[k])}"
        for k in ("settled_at", "admitted_on", "discharged_on"):
            s[k] = _text(s[k])
        s["patient_name"] = str(masker.field("name", s["patient_name"] or ""))
        for k in ("kind", "card_holder_id", "patient_id", "facility_name", "facility_kind", "prescriber_id",
                  "device_id", "operator_id", "diagnosis_code", "drg_code"):
            s[k] = _text(s[k])
    for c in claims:
        c["_amount"] = loss.get(("claim", str(c["claim_id"])), ZERO)
        c["amount"] = f"{c['_amount']}"
        c["salary_base"] = "" if c["salary_base"] is None else f"{money(c['salary_base'])}"
        for k in ("claimed_on", "delivery_on", "employer_name", "employer_id", "patient_id"):
            c[k] = _text(c[k])
        c["patient_name"] = str(masker.field("name", c["patient_name"] or ""))
    for d in dispensings:
        d["amount"] = f"{money(d['amount'])}"
        for k in ("settled_at", "quantity", "days_supply", "trace_code", "drug_name", "line_no"):
            d[k] = _text(d[k])


def gather_case(con: duckdb.DuckDBPyConnection, ring: RingRecord, masked: bool = True,
                settings: BorrowedCardsSettings | None = None) -> CaseFile:
    """Read, attribute and mask everything the referral states about ``ring``.

    ``settings``: detection's card-pool settings (the overlap window and region prefix its evidence
    sentences used), so the rows behind a sentence are named by the same rule; defaults when None.
    """
    masker = Masker(enabled=masked, con=con)
    sids = list(ring.settlement_ids)
    settlements = _rows(con, SETTLEMENTS_SQL, [sids])
    claims = _rows(con, CLAIMS_SQL, [list(ring.claim_ids)]) if ring.claim_ids else []
    dispensings = _rows(con, DISPENSINGS_SQL, [sids])
    details = _member_details(con, ring, masker)
    # the money of every figure below: the one fund-loss rule, each transaction once, in Decimal
    loss = {(t.kind, t.txn_id): t.loss for t in txn_losses(con, sids, ring.claim_ids)}

    _format_rows(settlements, claims, dispensings, loss, masker)

    members = []
    for m in ring.members:
        info = details.get((m.type, m.id), {})
        label = info.get("name") or info.get("holder_name") or ""
        members.append({"type": m.type, "id": m.id, "role": m.role, "name": label,
                        "in_data": (m.type, m.id) in details or m.type == "device", "details": info})
    _attribute(settlements, claims, members)

    found_s = {s["settlement_id"] for s in settlements}
    found_c = {c["claim_id"] for c in claims}
    fund_loss = FundLoss(
        settlements_total=sum((s["_fund_paid"] for s in settlements), ZERO),
        claims_total=sum((c["_amount"] for c in claims), ZERO),
        n_settlements=len(settlements), n_claims=len(claims),
        per_facility=_per_facility(settlements, claims),
        per_member=sorted(members, key=lambda m: (-m["loss_involved"], m["type"], m["id"])),
        reported=ring.reported_fund_loss,
    )
    drg_lines, fund_loss = _with_drg(con, ring, members, fund_loss)
    data_evidence = evidence_mod.gather(con, ring, settlements, claims, members, masker)
    case = CaseFile(
        ring=ring, masked=masked, members=members, settlements=settlements, dispensings=dispensings,
        claims=claims, fund_loss=fund_loss, evidence=data_evidence, timeline=_timeline(settlements, claims),
        drops=_drops(con),
        missing_settlement_ids=sorted(set(ring.settlement_ids) - found_s),
        missing_claim_ids=sorted(set(ring.claim_ids) - found_c),
        drg_lines=drg_lines,
        triage=_triage(con, ring.ring_id, masker),
    )
    facts = evidence_rows.row_facts(con, sids, settings or BorrowedCardsSettings())
    case.evidence_items = evidence_rows.build_items(case, facts)
    return case


def _with_drg(con: duckdb.DuckDBPyConnection, ring: RingRecord, members: list[dict],
              fund_loss: FundLoss) -> tuple[list[dict[str, Any]], FundLoss]:
    """The DRG annex rows at the subject's institutions; for an institution's DRG cases also their loss."""
    drg_lines = drg_rows(con, {m.id for m in ring.members if m.type == "facility"})
    if ring.scheme == DRG_SCHEME:  # the Rules' extra expenditure, not what the fund paid on the settlements
        return drg_lines, drg_fund_loss(drg_lines, members, ring.reported_fund_loss)
    return drg_lines, fund_loss


def drg_fund_loss(drg_lines: list[dict[str, Any]], members: list[dict],
                  reported: Decimal | None) -> FundLoss:
    """The loss of an institution's DRG referral: the annex's differences, line by line, then totalled.

    What the fund paid on those settlements is not the loss (a split stay's kept admission, an
    up-coded stay's supported group were due); per member, the differences of its cases' lines.
    """
    total = sum((money(line["difference"]) for line in drg_lines), ZERO)
    by_patient: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in drg_lines:
        by_patient[line["patient_id"]] += money(line["difference"])
    for m in members:
        m["loss_involved"] = total if m["type"] == "facility" else by_patient.get(m["id"], ZERO)
    names = {m["id"]: m["name"] for m in members if m["type"] == "facility"}
    per_facility = [{"kind": "facility", "id": line["facility_id"], "name": names.get(line["facility_id"], ""),
                     "n": sum(1 for x in drg_lines if money(x["difference"]) > 0), "amount": total}
                    for line in drg_lines[:1]]
    return FundLoss(settlements_total=total, claims_total=ZERO, n_settlements=len(drg_lines), n_claims=0,
                    per_facility=per_facility,
                    per_member=sorted(members, key=lambda m: (-m["loss_involved"], m["type"], m["id"])),
                    reported=reported)
