"""Matching what a tip names against the store, one identifier kind at a time.

Ids (patient, card, facility, prescriber, employer) match exactly; facility,
prescriber and employer also match by exact name, since a tipster knows the
pharmacy's or doctor's name rather than its code.  A person's name matches
patients and prescribers by exact name; an address matches exactly, or by
containment when it is long enough (``MIN_ADDRESS_CONTAINS`` characters) to
be specific.  ID numbers and phones are never compared in clear: the tip
holds only their keyed hash and mask (``app.tips.secrets``); candidates are
narrowed in SQL by the characters the mask keeps and confirmed by hashing
the stored value the same way.  Every match is a suggestion the investigator
confirms; none is final.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import duckdb

from ringscope.app import pii
from ringscope.app.tips.secrets import TipKey, normalise
from ringscope.graph.store import Labelled

MATCH_LIMIT = 50
MIN_ADDRESS_CONTAINS = 6
_FACILITY_LABEL = "CASE WHEN kind = 'pharmacy' THEN 'Pharmacy' ELSE 'Institution' END"


@dataclass(frozen=True)
class Match(Labelled):
    """A stored node a tip may name; its ``ref`` and ``key`` are the graph's own (``graph.store.Labelled``)."""

    label: str
    id: str
    how: str  # "id", "name", "id_number hash", ...


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list, how: str) -> list[Match]:
    try:
        rows = con.execute(sql + f" LIMIT {MATCH_LIMIT}", params).fetchall()
    except duckdb.CatalogException:  # nothing of that table ingested yet
        return []
    return [Match(str(label), str(node_id), how) for label, node_id in rows]


def _by_id(table: str, key: str, label: str) -> Callable[[duckdb.DuckDBPyConnection, str], list[Match]]:
    def match(con: duckdb.DuckDBPyConnection, value: str) -> list[Match]:
        return _query(con, f"SELECT '{label}', {key} FROM {table} WHERE {key} = ? ORDER BY 2", [value], "id")
    return match


def _facility(con: duckdb.DuckDBPyConnection, value: str) -> list[Match]:
    return _query(con, f"SELECT {_FACILITY_LABEL}, facility_id FROM facilities WHERE facility_id = ? "
                       f"UNION SELECT {_FACILITY_LABEL}, facility_id FROM facilities WHERE name = ? ORDER BY 2",
                  [value, value], "id or name")


def _named(table: str, key: str, label: str) -> Callable[[duckdb.DuckDBPyConnection, str], list[Match]]:
    def match(con: duckdb.DuckDBPyConnection, value: str) -> list[Match]:
        return _query(con, f"SELECT '{label}', {key} FROM {table} WHERE {key} = ? OR name = ? ORDER BY 2",
                      [value, value], "id or name")
    return match


def _name(con: duckdb.DuckDBPyConnection, value: str) -> list[Match]:
    return (_query(con, "SELECT 'Patient', patient_id FROM patients WHERE name = ? ORDER BY 2", [value], "name")
            + _query(con, "SELECT 'Prescriber', prescriber_id FROM prescribers WHERE name = ? ORDER BY 2",
                     [value], "name"))[:MATCH_LIMIT]


def _address(con: duckdb.DuckDBPyConnection, value: str) -> list[Match]:
    compact = "".join(value.split())
    cond = "replace(address, ' ', '') = ?" if len(compact) < MIN_ADDRESS_CONTAINS else \
        "contains(replace(address, ' ', ''), ?)"
    found = (_query(con, f"SELECT 'Patient', patient_id FROM patients WHERE {cond} ORDER BY 2", [compact], "address")
             + _query(con, f"SELECT 'Employer', employer_id FROM employers WHERE {cond} ORDER BY 2", [compact],
                      "address"))
    return found[:MATCH_LIMIT]


ID_MATCHERS: dict[str, Callable[[duckdb.DuckDBPyConnection, str], list[Match]]] = {
    "patient": _by_id("patients", "patient_id", "Patient"),
    "card": _by_id("cards", "card_id", "Card"),
    "facility": _facility,
    "prescriber": _named("prescribers", "prescriber_id", "Prescriber"),
    "employer": _named("employers", "employer_id", "Employer"),
    "name": _name,
    "address": _address,
}


def masked_value(kind: str, value: str) -> str:
    """What is kept of an ID number or phone beside its hash (the usual display mask)."""
    plain = normalise(kind, value)
    return pii.mask_id_number(plain) if kind == "id_number" else pii.mask_phone(plain)


def _hashed_candidates(con: duckdb.DuckDBPyConnection, kind: str, masked: str) -> list[tuple[str, str, str]]:
    """(label, id, stored value) whose value agrees with the characters the mask keeps."""
    head = masked.split("*", 1)[0]
    tail = masked.rsplit("*", 1)[-1] if "*" in masked else ""
    if kind == "id_number":
        sql = ("SELECT 'Patient', patient_id, id_number FROM patients WHERE length(id_number) = ? "
               "AND starts_with(upper(id_number), ?) AND ends_with(upper(id_number), ?)")
        params: list = [len(masked), head, tail]
    else:
        sql = ("SELECT 'Patient', patient_id, phone FROM patients WHERE phone IS NOT NULL AND ends_with(phone, ?) "
               "UNION ALL SELECT 'Employer', employer_id, phone FROM employers WHERE phone IS NOT NULL "
               "AND ends_with(phone, ?)")
        params = [tail, tail]
    try:
        return [(str(a), str(b), str(c)) for a, b, c in con.execute(sql, params).fetchall()]
    except duckdb.CatalogException:
        return []


def match_hashed(con: duckdb.DuckDBPyConnection, kind: str, value_hash: str, masked: str, key: TipKey) -> list[Match]:
    """Entities whose ID number or phone hashes to ``value_hash``; the stored value never leaves here."""
    found = [Match(label, node_id, f"{kind} hash")
             for label, node_id, stored in _hashed_candidates(con, kind, masked)
             if key.lookup_hash(kind, stored) == value_hash]
    return sorted(set(found), key=lambda m: (m.label, m.id))[:MATCH_LIMIT]


def match_entity(con: duckdb.DuckDBPyConnection, kind: str, value: str | None, value_hash: str | None,
                 masked: str, key: TipKey) -> list[Match]:
    """The store's entities a tip's ``kind``/``value`` names (hash and mask for ID numbers and phones)."""
    if kind in ("id_number", "phone"):
        return match_hashed(con, kind, value_hash or "", masked, key)
    matcher = ID_MATCHERS.get(kind)
    return matcher(con.cursor(), str(value)) if matcher and value else []
