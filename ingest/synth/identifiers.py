"""String identifiers of every entity, from internal numbers.

IDs are opaque strings with fixed widths and leading zeros (the contract
says never parse them as numbers; keeping zeros makes that mistake show).
Settlement, card, claim, device and employer numbers are scrambled so that
their order says nothing about when or why a row was generated.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringscope.ingest.synth import formats
from ringscope.ingest.synth.facilities import PHARMACY, Facilities


def patient_ids(index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return formats.ids("P", index, 9, missing)


def card_ids(index: np.ndarray) -> pa.Array:
    return formats.ids("C", formats.scramble(index, 10**10, 3_141_592_653), 10)


def settlement_ids(index: np.ndarray) -> pa.Array:
    return formats.ids("S", formats.scramble(index, 10**11, 27_182_818_284), 11)


def claim_ids(index: np.ndarray) -> pa.Array:
    return formats.ids("MC", formats.scramble(index, 10**8, 16_180_339), 8)


def prescriber_ids(index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return formats.ids("D", index, 7, missing)


def operator_ids(index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return formats.ids("OP", index, 6, missing)


def device_ids(index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return formats.ids("DV", formats.scramble(index, 10**10, 1_414_213_562), 10, missing)


def employer_ids(index: np.ndarray) -> pa.Array:
    return formats.ids("E", formats.scramble(index, 10**8, 57_721_566), 8)


def agent_ids(index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Scrambled like the other numbers, so an agency's number says nothing
    about why it was created (shell agents are numbered apart internally)."""
    return formats.ids("AG", formats.scramble(index, 10**5, 31_415), 5, missing)


def facility_ids(fac: Facilities, region_codes: np.ndarray) -> pa.Array:
    """``H``/``P`` + county code + 5-digit serial, as NHSA fixed-point codes read."""
    n = fac.size
    is_pharmacy = fac.category == PHARMACY
    key = fac.county * 2 + is_pharmacy
    order = np.argsort(key, kind="stable")
    serial = np.empty(n, dtype=np.int64)
    sorted_key = key[order]
    serial[order] = np.arange(n) - np.searchsorted(sorted_key, sorted_key) + 1
    prefix = pc.if_else(pa.array(is_pharmacy), "P", "H")
    return pc.binary_join_element_wise(prefix, pa.array(region_codes[fac.county]),
                                       formats.padded(serial, 5), "")


def trace_codes(drug: np.ndarray, box: np.ndarray, trace_prefix: np.ndarray) -> pa.Array:
    """20 digits: 7-digit product code, 9-digit box serial, 4 check digits.

    The serial is a bijection of the box number, so distinct boxes never
    share a code; a code appears twice only when a planted resale or a
    same-day correction re-scans the same box.
    """
    box = np.asarray(box, dtype=np.int64)
    missing = box < 0
    b = np.maximum(box, 0)
    serial = formats.scramble(b, 10**9, 271_828_182)
    check = (serial * 7 + trace_prefix[drug] * 3) % 9_973
    body = pc.binary_join_element_wise(formats.padded(trace_prefix[drug], 7), formats.padded(serial, 9),
                                       formats.padded(check, 4), "")
    return formats._with_nulls(body, missing)
