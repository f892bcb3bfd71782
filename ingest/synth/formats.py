"""Turning internal integer columns into the contract's text formats.

Inside the generator every value is a number (day numbers, epoch seconds,
cents, indices) so that numpy can build millions of rows at once; only at
the edge are they rendered as the contract wants them: zero-padded string
IDs, ``YYYY-MM-DD`` dates, ``YYYY-MM-DDTHH:MM:SS`` datetimes and money with
exactly two decimals.  Rendering happens in Arrow compute kernels, never in
Python loops.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL_STRING = pa.scalar(None, pa.string())


def _with_nulls(values: pa.Array, missing: np.ndarray | None) -> pa.Array:
    if missing is None or not missing.any():
        return values
    return pc.if_else(pa.array(missing), NULL_STRING, values)


def padded(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), width, "0")


def ids(prefix: str, values: np.ndarray, width: int, missing: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. ids("P", [7], 9) -> "P000000007"."""
    return _with_nulls(pc.binary_join_element_wise(prefix, padded(values, width), ""), missing)


def scramble(values: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """A bijection of [0, modulus) that hides creation order.

    Sequential IDs would tell a detector which rows were planted last, so
    settlement, card and trace serials go through an affine permutation
    ``(a*x + b) mod m`` with ``a`` coprime to ``m`` (m is a power of ten, so
    any ``a`` not divisible by 2 or 5 works).
    """
    multiplier = 7_919_609 if modulus > 10**7 else 7_919
    return (np.asarray(values, dtype=np.int64) * multiplier + salt) % modulus


def money(cents: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Cents -> "123.45"; always two decimals so sums are exact to the cent."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = padded(cents % 100, 2)
    return _with_nulls(pc.binary_join_element_wise(whole, frac, "."), missing)


def dates(epoch_days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 -> ``YYYY-MM-DD``."""
    days = pa.array(np.asarray(epoch_days, dtype=np.int32)).cast(pa.date32())
    return _with_nulls(pc.cast(days, pa.string()), missing)


def datetimes(epoch_seconds: np.ndarray) -> pa.Array:
    """Seconds since 1970-01-01 (local China time) -> ``YYYY-MM-DDTHH:MM:SS``."""
    stamps = pa.array(np.asarray(epoch_seconds, dtype=np.int64)).cast(pa.timestamp("s"))
    return pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%S")


def integers(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return _with_nulls(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), missing)


def texts(values, missing: np.ndarray | None = None) -> pa.Array:
    return _with_nulls(pa.array(values, type=pa.string()), missing)


def take(lookup: np.ndarray | pa.Array, index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Text lookup by index (e.g. diagnosis codes); negative index = missing."""
    index = np.asarray(index)
    lookup = lookup if isinstance(lookup, pa.Array) else pa.array(lookup, type=pa.string())
    absent = index < 0 if missing is None else (missing | (index < 0))
    return _with_nulls(lookup.take(pa.array(np.where(absent, 0, index))), absent)
