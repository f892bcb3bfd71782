"""Ground truth: ring members, ring transactions and hard negatives.

Planters record each fraudulent transaction with its day and the entities
it involved; a member's ``first_day`` is its first such transaction.  That
lets the weekly series cut the truth at any week ("cumulative truth as of
that week") and apply merges: once a ring is absorbed, its members and
transactions are listed under the surviving ring_id (contract section 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringscope.ingest.synth import formats
from ringscope.ingest.synth import identifiers as ids

ENTITY_TYPES = ("patient", "card", "facility", "prescriber", "employer", "device")


@dataclass
class Truth:
    scheme_of: dict[str, str] = field(default_factory=dict)
    members: dict[tuple[str, str, int], tuple[str, int]] = field(default_factory=dict)
    """(ring, entity_type, index) -> (role, first_day)"""
    txns: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    """(ring, kind 'settlement'|'claim', number, loss cents, epoch day)"""
    merges: dict[str, tuple[str, int]] = field(default_factory=dict)
    """absorbed ring -> (surviving ring, first day of the merged activity)"""
    hard_negatives: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    """(entity_type, index) -> (kind, first day it is visible)"""
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """ring -> names of the variants it followed (``schemes/variants.py``)"""

    def ring(self, ring_id: str, scheme: str) -> None:
        self.scheme_of[ring_id] = scheme

    def touch(self, ring_id: str, entity_type: str, index: int, role: str, day: int) -> None:
        key = (ring_id, entity_type, int(index))
        old = self.members.get(key)
        if old is None or day < old[1]:
            self.members[key] = (old[0] if old else role, int(day))

    def settlement(self, ring_id: str, sid: int, fund: int, day: int,
                   entities: Sequence[tuple[str, int, str]] = ()) -> None:
        self.txns.append((ring_id, "settlement", int(sid), int(fund), int(day)))
        for entity_type, index, role in entities:
            self.touch(ring_id, entity_type, index, role, day)

    def claim(self, ring_id: str, cid: int, amount: int, day: int,
              entities: Sequence[tuple[str, int, str]] = ()) -> None:
        self.txns.append((ring_id, "claim", int(cid), int(amount), int(day)))
        for entity_type, index, role in entities:
            self.touch(ring_id, entity_type, index, role, day)

    def hard_negative(self, entity_type: str, index: int, kind: str, day: int) -> None:
        key = (entity_type, int(index))
        if key not in self.hard_negatives:
            self.hard_negatives[key] = (kind, int(day))

    # -- cutting the truth at a day -----------------------------------------
    def survivor(self, ring_id: str, cutoff: int) -> str:
        """The ring_id a ring is listed under before ``cutoff`` (follows merges)."""
        while ring_id in self.merges and self.merges[ring_id][1] < cutoff:
            ring_id = self.merges[ring_id][0]
        return ring_id

    def tables(self, cutoff: int, facility_id: pa.Array) -> tuple[pa.Table, pa.Table, pa.Table]:
        """rings.csv, ring_settlements.csv and hard_negatives.csv as of the day
        before ``cutoff`` (exclusive)."""
        rows = []
        seen = set()
        for (ring, etype, index), (role, day) in sorted(self.members.items()):
            if day >= cutoff:
                continue
            ring_now = self.survivor(ring, cutoff)
            if (ring_now, etype, index) in seen:
                continue
            seen.add((ring_now, etype, index))
            rows.append((ring_now, self.scheme_of[ring_now], etype, index, role))
        rings = _entity_table(rows, facility_id, ("ring_id", "scheme", "entity_type", "entity_id", "role"))
        txn_rows = sorted((self.survivor(r, cutoff), k, n, loss) for r, k, n, loss, day in self.txns if day < cutoff)
        numbers = np.array([r[2] for r in txn_rows], dtype=np.int64)
        is_claim = np.array([r[1] == "claim" for r in txn_rows], dtype=bool)
        txn_ids = pc.if_else(pa.array(is_claim), ids.claim_ids(numbers), ids.settlement_ids(numbers)) \
            if txn_rows else pa.array([], type=pa.string())
        ring_settlements = pa.table({
            "ring_id": pa.array([r[0] for r in txn_rows], type=pa.string()),
            "txn_id": txn_ids,
            "kind": pa.array([r[1] for r in txn_rows], type=pa.string()),
            "loss": formats.money(np.array([r[3] for r in txn_rows], dtype=np.int64)),
        })
        hn_rows = sorted((etype, index, kind) for (etype, index), (kind, day) in self.hard_negatives.items()
                         if day < cutoff)
        hard = _entity_table([(None, None, e, i, k) for e, i, k in hn_rows], facility_id,
                             ("entity_type", "entity_id", "kind"))
        return rings, ring_settlements, hard


    def variant_table(self, cutoff: int) -> pa.Table:
        """ring_variants.csv: per planted ring with a transaction before
        ``cutoff``, the ring_id it is listed under then and its variants
        (``;``-separated, empty for a textbook ring).  Not part of the
        contract; it lets a benchmark read misses per variant."""
        active = sorted({r for r, _, _, _, day in self.txns if day < cutoff})
        return pa.table({
            "ring_id": pa.array(active, type=pa.string()),
            "listed_as": pa.array([self.survivor(r, cutoff) for r in active], type=pa.string()),
            "scheme": pa.array([self.scheme_of[r] for r in active], type=pa.string()),
            "variants": pa.array([";".join(self.variants.get(r, ())) for r in active], type=pa.string()),
        })


def entity_strings(entity_type: str, index: np.ndarray, facility_id: pa.Array) -> list[str]:
    index = np.asarray(index, dtype=np.int64)
    if entity_type == "patient":
        arr = ids.patient_ids(index)
    elif entity_type == "card":
        arr = ids.card_ids(index)
    elif entity_type == "facility":
        arr = facility_id.take(pa.array(index))
    elif entity_type == "prescriber":
        arr = ids.prescriber_ids(index)
    elif entity_type == "employer":
        arr = ids.employer_ids(index)
    elif entity_type == "device":
        arr = ids.device_ids(index)
    else:
        raise ValueError(f"unknown entity type {entity_type!r}")
    return arr.to_pylist()


def _entity_table(rows, facility_id, columns) -> pa.Table:
    """rows: (ring, scheme, entity_type, index, role_or_kind); renders entity IDs."""
    out: dict[str, list] = {c: [] for c in columns}
    entity_id: list[str] = [""] * len(rows)
    for etype in ENTITY_TYPES:
        pos = [i for i, r in enumerate(rows) if r[2] == etype]
        if pos:
            for i, s in zip(pos, entity_strings(etype, np.array([rows[i][3] for i in pos]), facility_id)):
                entity_id[i] = s
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0] or "", rows[i][2], entity_id[i]))
    for i in order:
        ring, scheme, etype, _, last = rows[i]
        if "ring_id" in out:
            out["ring_id"].append(ring)
            out["scheme"].append(scheme)
        out["entity_type"].append(etype)
        out["entity_id"].append(entity_id[i])
        out[columns[-1]].append(last)
    return pa.table({c: pa.array(v, type=pa.string()) for c, v in out.items()})
