"""The rows behind every evidence sentence of a referral (annex ``evidence_rows``).

A sentence such as "1张卡在持卡人死亡后仍被使用" is only evidence for the
police when it names the card, the date, the facility and the settlement.
Each sentence (detection's and the data checks') gets a number (E1, E2, ...)
and the ring's own transactions it speaks of:

* a sentence stating a fact that a single settlement shows (used after the
  holder's death, for another person, for care not fitting the holder's sex
  or age, far from the holder's home, in another city within hours) gets
  the ring's settlements on which that fact holds, read from the stored rows
  with the same rule and setting detection used (``basis = "fact"``); detection
  is not re-run, the ring's settlement set is only filtered;
* a resold box gets every reimbursement of it, a shared device or operator the
  ring's settlements made through it, a same-day admission those admissions,
  an employer its maternity claims in the ring (``basis = "listed"``);
* any other sentence (a pool's coordination, amounts above the usual) speaks of
  the ring's transactions as a whole and gets all of them (``basis = "ring"``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

import duckdb

from ringscope.analytics.detectors.borrowed_cards import SEX_AGE_MISFIT, BorrowedCardsSettings, two_places

# Sentence kinds whose fact a single settlement shows (detection's evidence kinds, analytics/detectors).
ROW_FACTS = ("after_death", "other_person", "care_mismatch", "far_from_home", "two_places")

FACTS_SQL = f"""
WITH r AS (
  SELECT s.settlement_id, s.settled_at, s.card_id, s.facility_id, s.patient_id, s.diagnosis_code,
         c.patient_id AS holder_id, p.death_date, p.gender, p.birth_date, p.region_code AS holder_region,
         f.region_code AS facility_region
  FROM settlements s LEFT JOIN cards c USING (card_id) LEFT JOIN patients p ON p.patient_id = c.patient_id
  LEFT JOIN facilities f ON f.facility_id = s.facility_id
  WHERE s.settlement_id IN (SELECT unnest($ids::VARCHAR[]))
)
SELECT settlement_id,
  coalesce(death_date IS NOT NULL AND CAST(settled_at AS DATE) > death_date, false) AS after_death,
  coalesce(patient_id IS NOT NULL AND patient_id <> holder_id, false) AS other_person,
  coalesce(({SEX_AGE_MISFIT}), false) AS care_mismatch,
  coalesce(left(holder_region, $plen) <> left(facility_region, $plen), false) AS far_from_home,
  EXISTS (SELECT 1 FROM settlements o JOIN facilities of ON of.facility_id = o.facility_id
          WHERE {two_places("r", "o", "r.facility_region", "of.region_code")}) AS two_places
FROM r
"""

COLUMNS = ("evidence_no", "evidence_kind", "basis", "record_type", "record_id", "date", "card_id", "patient_id",
           "facility_id", "facility_name", "service", "amount")


@dataclass
class EvidenceItem:
    no: str  # E1, E2, ... in the order of the evidence annex
    source: str  # detection | data
    kind: str
    text: str
    text_zh: str
    basis: str  # fact | listed | ring
    rows: list[dict[str, Any]] = field(default_factory=list)


def row_facts(con: duckdb.DuckDBPyConnection, settlement_ids: list[str],
              settings: BorrowedCardsSettings) -> dict[str, set[str]]:
    """Per row fact, the ring's settlements on which it holds (one set-based query)."""
    found: dict[str, set[str]] = {k: set() for k in ROW_FACTS}
    if not settlement_ids:
        return found
    cur = con.execute(FACTS_SQL, {"ids": settlement_ids, "plen": settings.far_prefix_len,
                                  "overlap": settings.overlap_minutes * 60})
    for sid, *flags in cur.fetchall():
        for kind, flag in zip(ROW_FACTS, flags):
            if flag:
                found[kind].add(sid)
    return found


def _services(dispensings: Iterable[dict[str, Any]]) -> dict[str, str]:
    drugs: dict[str, list[str]] = defaultdict(list)
    for d in dispensings:
        if d["drug_code"] and d["drug_code"] not in drugs[d["settlement_id"]]:
            drugs[d["settlement_id"]].append(d["drug_code"])
    return {sid: " ".join(codes) for sid, codes in drugs.items()}


def _settlement_row(s: dict[str, Any], services: dict[str, str]) -> dict[str, Any]:
    service = " ".join(x for x in (s["diagnosis_code"], s["drg_code"], services.get(s["settlement_id"], "")) if x)
    return {"record_type": "settlement", "record_id": s["settlement_id"], "date": s["settled_at"],
            "card_id": s["card_id"], "patient_id": s["patient_id"], "facility_id": s["facility_id"],
            "facility_name": s["facility_name"], "service": service, "amount": s["_fund_paid"]}


def _claim_row(c: dict[str, Any]) -> dict[str, Any]:
    return {"record_type": "claim", "record_id": c["claim_id"], "date": c["claimed_on"], "card_id": "",
            "patient_id": c["patient_id"], "facility_id": c["employer_id"], "facility_name": c["employer_name"],
            "service": "maternity", "amount": c["_amount"]}


def _chain_row(o: dict[str, Any], drug: str) -> dict[str, Any]:
    return {"record_type": "settlement", "record_id": o["settlement_id"], "date": o["settled_at"],
            "card_id": o["card_id"], "patient_id": o["patient_id"], "facility_id": o["facility_id"],
            "facility_name": "", "service": drug, "amount": o["fund_paid"]}


def build_items(case: Any, facts: dict[str, set[str]]) -> list[EvidenceItem]:
    """Every statement of the evidence annex, numbered, with the rows behind it (same order as the annex)."""
    services = _services(case.dispensings)
    settled = [_settlement_row(s, services) for s in case.settlements]
    by_id = {r["record_id"]: r for r in settled}
    claims = [_claim_row(c) for c in case.claims]
    ev = case.evidence
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for d in ev.detection:
        if d["kind"] in facts:
            groups.append(("fact", [by_id[s] for s in sorted(facts[d["kind"]]) if s in by_id]))
        else:
            groups.append(("ring", settled + claims))
    groups += [("listed", [_chain_row(o, ch["drug_code"]) for o in ch["occurrences"]]) for ch in ev.trace_chains]
    for column, shared in (("device_id", ev.shared_devices), ("operator_id", ev.shared_operators)):
        for r in shared:
            groups.append(("listed", [by_id[s["settlement_id"]] for s in case.settlements if s[column] == r["id"]]))
    for r in ev.co_admissions:
        groups.append(("listed", [by_id[s["settlement_id"]] for s in case.settlements
                                  if s["kind"] == "inpatient" and s["facility_id"] == r["facility_id"]
                                  and s["admitted_on"][:10] == r["admitted_on"] and s["patient_id"] in r["patients"]]))
    groups += [("listed", []) for _ in ev.shared_contacts]  # a shared phone or address is a member fact, no transaction
    for r in ev.employers:
        groups.append(("listed", [c for c in claims if c["facility_id"] == r["employer_id"]]))
    statements = ev.statements()
    if len(statements) != len(groups):  # a new kind of data evidence without its rows: fail loudly, not silently
        raise RuntimeError(f"{len(statements)} evidence statements but rows for {len(groups)}")
    items = []
    for n, (st, (basis, rows)) in enumerate(zip(statements, groups), 1):
        items.append(EvidenceItem(f"E{n}", st["source"], st["kind"], st["text"], st["text_zh"], basis,
                                  sorted(rows, key=lambda r: (r["date"], r["record_id"]))))
    return items


def annex_rows(items: Iterable[EvidenceItem]) -> Iterable[dict[str, Any]]:
    """The ``evidence_rows`` annex: one line per (sentence, transaction)."""
    for item in items:
        for row in item.rows:
            yield {"evidence_no": item.no, "evidence_kind": item.kind, "basis": item.basis, **row}
