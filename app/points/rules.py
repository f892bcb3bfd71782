"""Proposing credit points from the evidence of confirmed rings and DRG cases.

Who: in a ring (or DRG case) that investigators *confirmed*,
* every prescriber the ring lists as a member — a ``pharmacist`` when the
  prescriber works at a pharmacy, a ``prescriber`` otherwise;
* any other prescriber who signed at least ``operator_min_settlements`` of
  the ring's settlements and at least ``important_share`` of them;
* every operator (the staff member who settled, ``settlements.operator_id``)
  who settled at least ``operator_min_settlements`` of them.

How much: the province's rule for the ring's scheme (``PointSettings.rules``)
by degree of responsibility: ``main`` for a member the detector names as
organizer, or whoever signed or settled at least ``main_share`` of the
ring's settlements; ``important`` from ``important_share``; ``general``
below.  When: one entry per person and ring, in the natural year of the
person's last settlement in the ring (the conduct's end; a ring without
such rows: its own last settlement), so one violation is never counted in
two years.  The evidence rows are those settlements.

Every entry is a proposal; ``app.points.store`` keeps the supervisor's
confirmation or rejection, and totals (capped at ``year_cap``) and their
consequence (suspension, termination) are computed per person and year.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

import duckdb

from ringscope.app.points.settings import PointSettings
from ringscope.app.ring_source import RingRecord

ORGANIZER_ROLES = frozenset({"organizer", "organiser", "leader", "main"})


@dataclass(frozen=True)
class Proposal:
    entry_id: str
    person_type: str  # prescriber, pharmacist, operator
    person_id: str
    year: int
    ring_id: str
    rule: str
    responsibility: str
    points: int
    occurred_on: str  # date of the person's last settlement in the ring
    evidence: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    share: float = 0.0


def entry_id(person_type: str, person_id: str, ring_id: str) -> str:
    """Stable across runs: the same person in the same ring is the same entry."""
    return "PE-" + hashlib.sha256(f"{person_type}:{person_id}:{ring_id}".encode()).hexdigest()[:12]


def _ring_settlements(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[dict[str, Any]]:
    cur = con.execute(
        "SELECT s.settlement_id, s.settled_at, s.facility_id, s.prescriber_id, s.operator_id, s.fund_paid "
        "FROM settlements s WHERE list_contains(?, s.settlement_id) ORDER BY s.settled_at, s.settlement_id", [ids])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _pharmacy_prescribers(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    rows = con.execute("SELECT p.prescriber_id FROM prescribers p JOIN facilities f USING (facility_id) "
                       "WHERE f.kind = 'pharmacy' AND list_contains(?, p.prescriber_id)", [ids]).fetchall()
    return {r[0] for r in rows}


def _responsibility(share: float, organizer: bool, settings: PointSettings) -> str:
    if organizer or share >= settings.main_share:
        return "main"
    return "important" if share >= settings.important_share else "general"


def _evidence(rows: list[dict[str, Any]], role: str) -> tuple[dict[str, Any], ...]:
    return tuple({"settlement_id": r["settlement_id"], "settled_at": str(r["settled_at"]), "facility_id": r["facility_id"],
                  "fund_paid": f"{r['fund_paid']:.2f}" if r["fund_paid"] is not None else "", "as": role} for r in rows)


def _people(ring: RingRecord, rows: list[dict[str, Any]], settings: PointSettings) -> dict[tuple[str, str], list[dict]]:
    """(kind, id) -> that person's settlements in the ring; kind is prescriber or operator at this point."""
    signed: dict[str, list[dict]] = defaultdict(list)
    settled: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["prescriber_id"]:
            signed[str(r["prescriber_id"])].append(r)
        if r["operator_id"]:
            settled[str(r["operator_id"])].append(r)
    total = max(1, len(rows))
    people: dict[tuple[str, str], list[dict]] = {}
    for pid in ring.members_of("prescriber"):
        people[("prescriber", pid)] = signed.get(pid, [])
    for pid, mine in signed.items():
        if len(mine) >= settings.operator_min_settlements and len(mine) / total >= settings.important_share:
            people.setdefault(("prescriber", pid), mine)
    for oid, mine in settled.items():
        if len(mine) >= settings.operator_min_settlements:
            people[("operator", oid)] = mine
    return people


def propose_for_ring(con: duckdb.DuckDBPyConnection, ring: RingRecord, settings: PointSettings) -> list[Proposal]:
    """The proposals one confirmed ring (or DRG case) gives, under the configured table."""
    rule = settings.rule_for(ring.scheme)
    if rule is None:
        return []
    rows = _ring_settlements(con, list(ring.settlement_ids))
    people = _people(ring, rows, settings)
    pharmacists = _pharmacy_prescribers(con, [pid for kind, pid in people if kind == "prescriber"])
    organizers = {m.id for m in ring.members if m.type == "prescriber" and m.role.lower() in ORGANIZER_ROLES}
    out = []
    for (kind, pid), mine in sorted(people.items()):
        last = (mine or rows)[-1]["settled_at"] if (mine or rows) else None
        if last is None:
            continue
        share = len(mine) / max(1, len(rows))
        degree = _responsibility(share, pid in organizers, settings)
        person_type = "pharmacist" if kind == "prescriber" and pid in pharmacists else kind
        when = last if isinstance(last, datetime) else datetime.fromisoformat(str(last))
        out.append(Proposal(entry_id(person_type, pid, ring.ring_id), person_type, pid, when.year, ring.ring_id,
                            rule.rule_id, degree, rule.points[degree], when.date().isoformat(),
                            _evidence(mine, "signed" if kind == "prescriber" else "settled"), round(share, 4)))
    return out


def propose(con: duckdb.DuckDBPyConnection, rings: Iterable[RingRecord], settings: PointSettings) -> list[Proposal]:
    """Every proposal of the given (confirmed) rings, ordered by person, year and date."""
    found = [p for ring in rings for p in propose_for_ring(con, ring, settings)]
    return sorted(found, key=lambda p: (p.person_type, p.person_id, p.year, p.occurred_on, p.ring_id))


@dataclass(frozen=True)
class YearLine:
    """One entry with the person's running total for that year."""
    proposal: Proposal
    status: str
    running_total: int  # proposed + confirmed so far this year (rejected excluded), capped
    consequence: str  # what the running total would trigger
    confirmed_total: int
    confirmed_consequence: str


def running_totals(entries: Iterable[tuple[Proposal, str]], settings: PointSettings) -> list[YearLine]:
    """Per person and natural year: cumulative points in date order; a new year starts again at zero."""
    lines: list[YearLine] = []
    totals: dict[tuple[str, str, int], int] = defaultdict(int)
    confirmed: dict[tuple[str, str, int], int] = defaultdict(int)
    ordered = sorted(entries, key=lambda e: (e[0].person_type, e[0].person_id, e[0].year, e[0].occurred_on,
                                             e[0].ring_id))
    for proposal, status in ordered:
        key = (proposal.person_type, proposal.person_id, proposal.year)
        if status != "rejected":
            totals[key] = min(settings.year_cap, totals[key] + proposal.points)
        if status == "confirmed":
            confirmed[key] = min(settings.year_cap, confirmed[key] + proposal.points)
        lines.append(YearLine(proposal, status, totals[key], settings.consequence(totals[key]), confirmed[key],
                              settings.consequence(confirmed[key])))
    return lines
