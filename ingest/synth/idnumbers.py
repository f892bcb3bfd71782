"""PRC resident identity numbers (GB 11643-1999), built and checked in bulk.

An 18-character ID is: 6-digit region code of household registration,
8-digit birth date, 3-digit sequence (odd for men, even for women), and an
ISO 7064 MOD 11-2 check character.  Ingest validates the check character, so
the generator must get it right for every row.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"


def check_character(first17: str) -> str:
    """Check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def is_valid(id_number: str) -> bool:
    """True when ``id_number`` has 17 digits and the right check character."""
    return (len(id_number) == 18 and id_number[:17].isdigit()
            and check_character(id_number[:17]) == id_number[17].upper())


def id_bodies(region_code: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """The first 17 digits as int64 (unique key to check for collisions).

    region_code: int array of 6-digit codes; birth: datetime64[D]; sequence:
    int 0..999 (parity already encodes sex: odd = male).
    """
    ymd = birth.astype("datetime64[D]")
    year = ymd.astype("datetime64[Y]").astype(np.int64) + 1970
    month = ymd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (ymd - ymd.astype("datetime64[M]")).astype(np.int64) + 1
    body = (region_code.astype(np.int64) * 10**11 + year * 10**7 + month * 10**5
            + day * 10**3 + sequence.astype(np.int64))
    return body


def id_numbers(body: np.ndarray) -> pa.Array:
    """Append the check character to 17-digit bodies, vectorised."""
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for position in range(16, -1, -1):  # least significant digit is position 16
        total += (rest % 10) * WEIGHTS[position]
        rest //= 10
    checks = pa.array(np.array(list(CHECK_CHARS))[total % 11])
    return pc.binary_join_element_wise(pc.cast(pa.array(body), pa.string()), checks, "")


def sequence_for_sex(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """3-digit sequence whose parity matches the sex (even = female)."""
    base = rng.integers(0, 500, len(female)) * 2
    return base + (~female.astype(bool)).astype(np.int64)
