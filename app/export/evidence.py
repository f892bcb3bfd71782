"""Evidence a referral shows, read from the data behind the ring.

Detection states why it flagged the ring (its evidence sentences, kept as
written but scrubbed of personal data when masked).  The referral adds the
facts an investigator checks first, each recomputed from the tables:

* trace-code resale chains: every box (20-digit trace code) the ring's
  settlements dispensed that was reimbursed in more than one settlement,
  with every reimbursement in time order (contract section 1: a box must
  never be reimbursed twice, save a same-day correction by the same card at
  the same facility);
* devices and operators that settled for two or more of the ring's cards;
* co-admissions: two or more of the ring's patients admitted to the same
  institution on the same day;
* shared phones and addresses among the ring's patients;
* employer facts: registration date, agency, employees and maternity claims.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from ringscope.app.export.masking import Masker
from ringscope.app.ring_source import RingRecord

CHAINS_SQL = """
WITH ring_codes AS (
  SELECT DISTINCT trace_code FROM dispensings
  WHERE settlement_id IN (SELECT unnest(?::VARCHAR[])) AND trace_code IS NOT NULL
), occ AS (
  SELECT d.trace_code, d.settlement_id, d.line_no, d.drug_code, s.settled_at, s.facility_id, s.card_id,
         coalesce(s.patient_id, c.patient_id) AS patient_id, s.fund_paid
  FROM dispensings d JOIN ring_codes USING (trace_code) JOIN settlements s USING (settlement_id)
  LEFT JOIN cards c USING (card_id)
)
SELECT * FROM occ
WHERE trace_code IN (SELECT trace_code FROM occ GROUP BY trace_code HAVING count(DISTINCT settlement_id) > 1)
ORDER BY trace_code, settled_at, settlement_id, line_no
"""

EMPLOYER_SQL = """
SELECT e.employer_id, e.name, e.registered_on, e.agent_id,
  (SELECT count(DISTINCT patient_id) FROM employments m WHERE m.employer_id = e.employer_id) AS employees,
  (SELECT count(*) FROM maternity_claims c WHERE c.employer_id = e.employer_id) AS claims,
  (SELECT min(c.claimed_on - m.start_on) FROM maternity_claims c JOIN employments m
     ON m.patient_id = c.patient_id AND m.employer_id = c.employer_id
   WHERE c.employer_id = e.employer_id) AS min_days_employed_before_claim
FROM employers e WHERE e.employer_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY e.employer_id
"""


@dataclass
class DataEvidence:
    detection: list[dict[str, str]] = field(default_factory=list)  # kind, text, text_zh
    trace_chains: list[dict[str, Any]] = field(default_factory=list)  # one per trace code, with occurrences
    shared_devices: list[dict[str, Any]] = field(default_factory=list)
    shared_operators: list[dict[str, Any]] = field(default_factory=list)
    co_admissions: list[dict[str, Any]] = field(default_factory=list)
    shared_contacts: list[dict[str, Any]] = field(default_factory=list)
    employers: list[dict[str, Any]] = field(default_factory=list)

    def statements(self) -> list[dict[str, str]]:
        """Every item as one bilingual row (the evidence annex)."""
        out = [{"source": "detection", **d} for d in self.detection]
        for ch in self.trace_chains:
            steps = " -> ".join(f"{o['settlement_id']}@{o['facility_id']} ({o['settled_at'][:10]}, card {o['card_id']})"
                                for o in ch["occurrences"])
            steps_zh = " → ".join(f"{o['settlement_id']}@{o['facility_id']}（{o['settled_at'][:10]}，卡 {o['card_id']}）"
                                  for o in ch["occurrences"])
            out.append({"source": "data", "kind": "trace_code_chain",
                        "text": f"Box {ch['trace_code']} ({ch['drug_code']}) reimbursed {ch['n']} times: {steps}",
                        "text_zh": f"追溯码 {ch['trace_code']}（{ch['drug_code']}）被重复报销 {ch['n']} 次：{steps_zh}"})
        for label, zh, rows in (("device", "设备", self.shared_devices), ("operator", "操作员", self.shared_operators)):
            for r in rows:
                out.append({"source": "data", "kind": f"shared_{label}",
                            "text": f"{label.capitalize()} {r['id']} settled {r['n_settlements']} settlements for "
                                    f"{r['n_cards']} of the ring's cards ({', '.join(r['cards'])}) "
                                    f"from {r['first'][:10]} to {r['last'][:10]}",
                            "text_zh": f"{zh} {r['id']} 为本团伙 {r['n_cards']} 张卡（{'、'.join(r['cards'])}）结算 "
                                       f"{r['n_settlements']} 笔，时间 {r['first'][:10]} 至 {r['last'][:10]}"})
        for r in self.co_admissions:
            out.append({"source": "data", "kind": "co_admission",
                        "text": f"{r['n_patients']} of the ring's patients ({', '.join(r['patients'])}) admitted to "
                                f"{r['facility_id']} on {r['admitted_on']}",
                        "text_zh": f"本团伙 {r['n_patients']} 名参保人（{'、'.join(r['patients'])}）于 {r['admitted_on']} "
                                   f"同日入住 {r['facility_id']}"})
        for r in self.shared_contacts:
            zh = "电话" if r["field"] == "phone" else "地址"
            out.append({"source": "data", "kind": f"shared_{r['field']}",
                        "text": f"{r['field'].capitalize()} {r['value']} shared by {', '.join(r['patients'])}",
                        "text_zh": f"{zh} {r['value']} 由 {'、'.join(r['patients'])} 共用"})
        for r in self.employers:
            out.append({"source": "data", "kind": "employer_facts",
                        "text": f"Employer {r['employer_id']} registered {r['registered_on'] or 'unknown'}, agency "
                                f"{r['agent_id'] or 'unknown'}, {r['employees']} employees on record, "
                                f"{r['claims']} maternity claims; shortest employment before a claim: "
                                f"{r['min_days'] if r['min_days'] != '' else 'n/a'} days",
                        "text_zh": f"用人单位 {r['employer_id']} 注册于 {r['registered_on'] or '不详'}，代办机构 "
                                   f"{r['agent_id'] or '不详'}，登记职工 {r['employees']} 人，生育津贴申领 {r['claims']} 笔；"
                                   f"入职至申领最短 {r['min_days'] if r['min_days'] != '' else '无'} 天"})
        return out


def _iso(v: Any) -> str:
    return "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))


def _trace_chains(con: duckdb.DuckDBPyConnection, sids: list[str]) -> list[dict[str, Any]]:
    in_ring = set(sids)
    chains: dict[str, dict[str, Any]] = {}
    for row in con.execute(CHAINS_SQL, [sids]).fetchall():
        code, sid, line_no, drug, at, fac, card, patient, paid = row
        ch = chains.setdefault(code, {"trace_code": code, "drug_code": drug, "occurrences": []})
        ch["occurrences"].append({
            "settlement_id": sid, "line_no": line_no, "settled_at": _iso(at), "facility_id": fac or "",
            "card_id": card or "", "patient_id": patient or "", "fund_paid": f"{Decimal(str(paid or 0)):.2f}",
            "in_ring": sid in in_ring,
        })
    for ch in chains.values():
        occ = ch["occurrences"]
        ch["n"] = len({o["settlement_id"] for o in occ})
        first = occ[0]
        # contract: a same-card, same-facility, same-day repeat is a correction, not a resale
        ch["correction_only"] = all(o["card_id"] == first["card_id"] and o["facility_id"] == first["facility_id"]
                                    and o["settled_at"][:10] == first["settled_at"][:10] for o in occ)
    return [chains[k] for k in sorted(chains)]


def _shared(settlements: list[dict], column: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for s in settlements:
        if s[column]:
            groups[s[column]].append(s)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        cards = sorted({s["card_id"] for s in rows})
        if len(cards) < 2:
            continue
        out.append({"id": key, "n_settlements": len(rows), "n_cards": len(cards), "cards": cards,
                    "first": min(s["settled_at"] for s in rows), "last": max(s["settled_at"] for s in rows)})
    return out


def _co_admissions(settlements: list[dict]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in settlements:
        if s["kind"] == "inpatient" and s["admitted_on"] and s["patient_id"]:
            groups[(s["facility_id"], s["admitted_on"][:10])].add(s["patient_id"])
    return [{"facility_id": f, "admitted_on": d, "n_patients": len(p), "patients": sorted(p)}
            for (f, d), p in sorted(groups.items()) if len(p) >= 2]


def _shared_contacts(members: list[dict], masker: Masker) -> list[dict[str, Any]]:
    out = []
    for fld in ("phone", "address"):
        groups: dict[str, list[str]] = defaultdict(list)
        for m in members:
            value = m["details"].get(fld) if m["type"] == "patient" else None
            if value:
                groups[value].append(m["id"])
        for value in sorted(groups):
            if len(groups[value]) >= 2:
                out.append({"field": fld, "value": value, "patients": sorted(groups[value])})
    return out


def _employers(con: duckdb.DuckDBPyConnection, ring: RingRecord) -> list[dict[str, Any]]:
    ids = ring.members_of("employer")
    if not ids:
        return []
    cur = con.execute(EMPLOYER_SQL, [ids])
    names = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        d = dict(zip(names, r))
        days = d["min_days_employed_before_claim"]
        if hasattr(days, "days"):
            days = days.days
        out.append({"employer_id": d["employer_id"], "name": d["name"] or "", "registered_on": _iso(d["registered_on"]),
                    "agent_id": d["agent_id"] or "", "employees": int(d["employees"] or 0),
                    "claims": int(d["claims"] or 0), "min_days": "" if days is None else int(days)})
    return out


def gather(con: duckdb.DuckDBPyConnection, ring: RingRecord, settlements: list[dict], claims: list[dict],
           members: list[dict], masker: Masker) -> DataEvidence:
    """The data-derived evidence for ``ring`` (members' details must already be masked)."""
    detection = [{"kind": e.kind, "text": masker.text(e.text), "text_zh": masker.text(e.text_zh or e.text),
                  **({"scheme": e.scheme} if e.scheme else {})}
                 for e in ring.evidence]
    return DataEvidence(
        detection=detection,
        trace_chains=_trace_chains(con, list(ring.settlement_ids)),
        shared_devices=_shared(settlements, "device_id"),
        shared_operators=_shared(settlements, "operator_id"),
        co_admissions=_co_admissions(settlements),
        shared_contacts=_shared_contacts(members, masker),
        employers=_employers(con, ring),
    )
