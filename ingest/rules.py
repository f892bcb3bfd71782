"""Row rules as pure Python: the reference the SQL validators are tested against.

Real drops are validated set-wise in DuckDB (``ingest.validate_sql``); these
functions state the same rules one value at a time, so property tests
(hypothesis) can check the SQL against them, and small callers (the app's
search box, the generator's self-check) can reuse them.
"""
from __future__ import annotations

import re
from datetime import date, datetime

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$")
_NEGATIVE = re.compile(r"^-[0-9]+(\.[0-9]+)?$")
_MONEY = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
_INT = re.compile(r"^-?[0-9]+$")
_REGION = re.compile(r"^[0-9]{6}$")
_TRACE = re.compile(r"^[0-9]{20}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_ID18 = re.compile(r"^[0-9]{17}[0-9X]$")

# Ranges: the store's types (DECIMAL(14,2), BIGINT, DOUBLE, TIMESTAMP) and the
# world's clocks (UTC-12:00 to UTC+14:00).  Checked before any cast, so one
# out-of-range cell is a rejected row with its reason, never an aborted drop.
MONEY_INTEGER_DIGITS = 12  # DECIMAL(14,2): at most 999999999999.99
NUMBER_MAX = 1e15  # quantities, days' supply, max daily units: far beyond any real one, and finite
MAX_OFFSET_MINUTES = 14 * 60
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
MONEY_TOO_LARGE = "amount too large (at most 999999999999.99 yuan)"
INT_OUT_OF_RANGE = "whole number out of range"
NUMBER_TOO_LARGE = "number too large (at most 1e15)"
OFFSET_OUT_OF_RANGE = "UTC offset out of range (at most ±14:00, minutes 00-59)"


def id_number_check_digit(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK[total % 11]


def id_number_problem(value: str) -> str | None:
    """Why an 18-character resident ID number is invalid, or None."""
    v = value.upper()
    if not _ID18.match(v):
        return "ID number must be 17 digits and a check digit or X"
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "ID number has an impossible birth date"
    if id_number_check_digit(v[:17]) != v[17]:
        return "ID number check digit is wrong (GB 11643-1999)"
    return None


def date_problem(value: str) -> str | None:
    if not _DATE.match(value):
        return "not a date (YYYY-MM-DD)"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "not a date (YYYY-MM-DD)"
    return None


def datetime_problem(value: str) -> str | None:
    m = _DATETIME.match(value)
    if not m:
        return "not a datetime (YYYY-MM-DDTHH:MM:SS, optional offset)"
    try:
        datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}")
    except ValueError:
        return "not a datetime (YYYY-MM-DDTHH:MM:SS, optional offset)"
    offset = (m.group(4) or "").replace(":", "")
    if offset not in ("", "Z"):
        hours, minutes = int(offset[1:3]), int(offset[3:5])
        if hours * 60 + minutes > MAX_OFFSET_MINUTES or minutes > 59:
            return OFFSET_OUT_OF_RANGE
    return None


def money_problem(value: str) -> str | None:
    if _NEGATIVE.match(value):
        return "amount is negative"
    if not _MONEY.match(value):
        return "not an amount in yuan (digits, at most two decimals)"
    if len(value.split(".")[0].lstrip("0")) > MONEY_INTEGER_DIGITS:
        return MONEY_TOO_LARGE
    return None


def int_problem(value: str) -> str | None:
    if not _INT.match(value):
        return "not a whole number"
    return None if BIGINT_MIN <= int(value) <= BIGINT_MAX else INT_OUT_OF_RANGE


_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def number_problem(value: str) -> str | None:
    if not _NUMBER.match(value):
        return "not a number"
    if value.startswith("-") and float(value) != 0:
        return "number is negative"
    if float(value) > NUMBER_MAX:
        return NUMBER_TOO_LARGE
    return None


def bool_problem(value: str) -> str | None:
    return None if value.lower() in ("true", "false") else "not true/false"


def region_problem(value: str) -> str | None:
    return None if _REGION.match(value) else "region code must be 6 digits"


def trace_code_problem(value: str) -> str | None:
    return None if _TRACE.match(value) else "trace code must be 20 digits"


def phone_problem(value: str) -> str | None:
    return None if _PHONE.match(value) else "not a phone number"


_CODE_LIST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*(;[A-Za-z0-9][A-Za-z0-9.+-]*)*$")


def code_list_problem(value: str) -> str | None:
    """Contract 1.1 code lists: ICD codes separated by ``;`` with no blanks or empty items."""
    return None if _CODE_LIST.match(value) else "not a list of codes separated by ; (e.g. E11.9;I10)"


PROBLEM_BY_KIND = {
    "date": date_problem,
    "datetime": datetime_problem,
    "money": money_problem,
    "int": int_problem,
    "number": number_problem,
    "bool": bool_problem,
    "region": region_problem,
    "trace_code": trace_code_problem,
    "phone": phone_problem,
    "id_number": id_number_problem,
    "code_list": code_list_problem,
}


def value_problem(kind: str, value: str | None, required: bool = False, choices: tuple[str, ...] = ()) -> str | None:
    """The reason a single cell is rejected, or None when it is acceptable."""
    if value is None or value == "":
        return "required value is missing" if required else None
    check = PROBLEM_BY_KIND.get(kind)
    if check is not None:
        problem = check(value)
        if problem:
            return problem
    if choices and value not in choices:
        return f"must be one of {', '.join(choices)}"
    return None
