"""The row rules of ``ingest.rules`` as set-based DuckDB SQL.

Each function returns a SQL expression over one text column that yields the
rejection reason, or NULL when the value is fine.  The SQL is assembled only
from the contract's own column names (constants) and fixed patterns; no
value from a drop is ever spliced into SQL.  Property tests check every
expression against its Python twin in ``ingest.rules``.
"""
from __future__ import annotations

from ringscope.ingest import rules
from ringscope.ingest.contract import Column, TableSpec


def q(name: str) -> str:
    """Quote an identifier (our own column names, never user data)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _weighted_sum(u: str) -> str:
    """GB 11643-1999 weighted digit sum, spelled out (faster than a lambda per row)."""
    return " + ".join(f"CAST(substr({u}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_ID_WEIGHTS))

DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Range limits shared with the Python twins (ingest.rules): a value passing its
# format must also fit the store's type, so a cast can never abort a drop.
MONEY_INTEGER_DIGITS = rules.MONEY_INTEGER_DIGITS
NUMBER_MAX = rules.NUMBER_MAX
MAX_OFFSET_MINUTES = rules.MAX_OFFSET_MINUTES
MONEY_TOO_LARGE, INT_OUT_OF_RANGE = rules.MONEY_TOO_LARGE, rules.INT_OUT_OF_RANGE
NUMBER_TOO_LARGE, OFFSET_OUT_OF_RANGE = rules.NUMBER_TOO_LARGE, rules.OFFSET_OUT_OF_RANGE
DATETIME_RE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"


def _offset_part(c: str, start: int) -> str:
    """Hours (start 2) or minutes (start 4) of the datetime's offset; 0 without one."""
    off = f"replace(regexp_extract({c}, '{DATETIME_RE}', 4), ':', '')"
    return f"coalesce(TRY_CAST(substr({off}, {start}, 2) AS INTEGER), 0)"


def _offset_minutes(c: str) -> str:
    return f"({_offset_part(c, 2)} * 60 + {_offset_part(c, 4)})"


def _kind_problem(kind: str, c: str) -> str | None:
    if kind == "date":
        return (f"CASE WHEN NOT regexp_full_match({c}, '{DATE_RE}') OR TRY_CAST({c} AS DATE) IS NULL "
                f"OR starts_with({c}, '0000') THEN 'not a date (YYYY-MM-DD)' END")
    if kind == "datetime":
        return (f"CASE WHEN NOT regexp_full_match({c}, '{DATETIME_RE}') "
                f"OR TRY_CAST(regexp_extract({c}, '{DATETIME_RE}', 1) || ' ' || "
                f"regexp_extract({c}, '{DATETIME_RE}', 2) AS TIMESTAMP) IS NULL OR starts_with({c}, '0000') "
                "THEN 'not a datetime (YYYY-MM-DDTHH:MM:SS, optional offset)' "
                f"WHEN {_offset_minutes(c)} > {MAX_OFFSET_MINUTES} OR {_offset_part(c, 4)} > 59 "
                f"THEN '{OFFSET_OUT_OF_RANGE}' END")
    if kind == "money":
        return (f"CASE WHEN regexp_full_match({c}, '^-[0-9]+(\\.[0-9]+)?$') "
                "THEN 'amount is negative' "
                f"WHEN NOT regexp_full_match({c}, '^[0-9]+(\\.[0-9]{{1,2}})?$') "
                "THEN 'not an amount in yuan (digits, at most two decimals)' "
                f"WHEN length(ltrim(split_part({c}, '.', 1), '0')) > {MONEY_INTEGER_DIGITS} "
                f"THEN '{MONEY_TOO_LARGE}' END")
    if kind == "int":
        return (f"CASE WHEN NOT regexp_full_match({c}, '^-?[0-9]+$') THEN 'not a whole number' "
                f"WHEN TRY_CAST({c} AS BIGINT) IS NULL THEN '{INT_OUT_OF_RANGE}' END")
    if kind == "number":
        return (f"CASE WHEN NOT regexp_full_match({c}, '^-?[0-9]+(\\.[0-9]+)?$') THEN 'not a number' "
                f"WHEN starts_with({c}, '-') AND CAST({c} AS DOUBLE) <> 0 THEN 'number is negative' "
                f"WHEN CAST({c} AS DOUBLE) > {NUMBER_MAX!r} THEN '{NUMBER_TOO_LARGE}' END")
    if kind == "bool":
        return f"CASE WHEN lower({c}) NOT IN ('true', 'false') THEN 'not true/false' END"
    if kind == "region":
        return f"CASE WHEN NOT regexp_full_match({c}, '^[0-9]{{6}}$') THEN 'region code must be 6 digits' END"
    if kind == "trace_code":
        return f"CASE WHEN NOT regexp_full_match({c}, '^[0-9]{{20}}$') THEN 'trace code must be 20 digits' END"
    if kind == "phone":
        return f"CASE WHEN NOT regexp_full_match({c}, '^\\+?[0-9][0-9 \\-]{{4,19}}$') THEN 'not a phone number' END"
    if kind == "code_list":
        return (f"CASE WHEN NOT regexp_full_match({c}, '^[A-Za-z0-9][A-Za-z0-9.+-]*(;[A-Za-z0-9][A-Za-z0-9.+-]*)*$') "
                "THEN 'not a list of codes separated by ; (e.g. E11.9;I10)' END")
    if kind == "id_number":
        u = f"upper({c})"
        return (
            f"CASE WHEN NOT regexp_full_match({u}, '^[0-9]{{17}}[0-9X]$') "
            "THEN 'ID number must be 17 digits and a check digit or X' "
            f"WHEN TRY_CAST(substr({u}, 7, 4) || '-' || substr({u}, 11, 2) || '-' || substr({u}, 13, 2) AS DATE) IS NULL "
            f"OR substr({u}, 7, 4) = '0000' "
            "THEN 'ID number has an impossible birth date' "
            f"WHEN substr('10X98765432', 1 + (({_weighted_sum(u)}) % 11)::INTEGER, 1) "
            f"<> substr({u}, 18, 1) "
            "THEN 'ID number check digit is wrong (GB 11643-1999)' END"
        )
    return None


def column_problem_sql(col: Column) -> str:
    """SQL giving the reason a cell of ``col`` is rejected, or NULL (an empty cell is missing)."""
    c = f"nullif({q(col.name)}, '')"
    branches = []
    if col.required:
        branches.append(f"WHEN {c} IS NULL THEN 'required value is missing'")
    inner = _kind_problem(col.kind, c)
    if inner:
        branches.append(f"WHEN {c} IS NOT NULL AND ({inner}) IS NOT NULL THEN ({inner})")
    if col.choices:
        choices = ", ".join(_lit(v) for v in col.choices)
        branches.append(
            f"WHEN {c} IS NOT NULL AND {c} NOT IN ({choices}) "
            f"THEN {_lit('must be one of ' + ', '.join(col.choices))}"
        )
    if not branches:
        return "NULL"
    return "CASE " + " ".join(branches) + " END"


def as_text(ref: str, type_name: str) -> str:
    """A staged cell as text.  An instant with a time zone is written in UTC with ``Z``,
    a form the contract's datetime rule accepts (DuckDB's own ``+00`` is not)."""
    if type_name == "TIMESTAMP WITH TIME ZONE":
        return f"strftime({ref} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || 'Z'"
    return f"CAST({ref} AS VARCHAR)"


def typed_sql(col: Column) -> str:
    """SQL casting a validated text cell to the store's type for its kind."""
    c = f"nullif({q(col.name)}, '')"
    if col.kind == "date":
        return f"CAST({c} AS DATE)"
    if col.kind == "datetime":
        # Local China Standard Time unless an offset is given, then converted to it.
        base = (f"CAST(regexp_extract({c}, '{DATETIME_RE}', 1) || ' ' || "
                f"regexp_extract({c}, '{DATETIME_RE}', 2) AS TIMESTAMP)")
        off = f"regexp_extract({c}, '{DATETIME_RE}', 4)"
        return (
            f"CASE WHEN length({c}) = 19 AND substr({c}, 11, 1) = 'T' THEN CAST(replace({c}, 'T', ' ') AS TIMESTAMP) "
            f"WHEN {off} = '' THEN {base} "
            f"WHEN {off} = 'Z' THEN {base} + INTERVAL 8 HOUR "
            f"ELSE {base} - (CASE WHEN starts_with({off}, '-') THEN -1 ELSE 1 END) * "
            f"(CAST(substr(replace({off}, ':', ''), 2, 2) AS INTEGER) * INTERVAL 1 HOUR + "
            f"CAST(substr(replace({off}, ':', ''), 4, 2) AS INTEGER) * INTERVAL 1 MINUTE) + INTERVAL 8 HOUR END"
        )
    if col.kind == "money":
        return f"CAST({c} AS DECIMAL(14,2))"
    if col.kind == "int":
        return f"CAST({c} AS BIGINT)"
    if col.kind == "number":
        return f"CAST({c} AS DOUBLE)"
    if col.kind == "bool":
        return f"CAST(lower({c}) = 'true' AS BOOLEAN)"
    if col.kind == "id_number":
        return f"upper({c})"
    return c


DUCKDB_TYPES = {
    "date": "DATE", "datetime": "TIMESTAMP", "money": "DECIMAL(14,2)", "int": "BIGINT",
    "number": "DOUBLE", "bool": "BOOLEAN",
}


def duckdb_type(col: Column) -> str:
    return DUCKDB_TYPES.get(col.kind, "VARCHAR")


def row_problems_sql(spec: TableSpec) -> list[tuple[str, str]]:
    """Cross-column rules: (column to blame, SQL giving a reason or NULL).

    Only evaluated on rows whose cells passed; columns are typed here.
    """
    rules: list[tuple[str, str]] = []
    if spec.name == "settlements":
        rules.append((
            "fund_paid",
            "CASE WHEN fund_paid > total_amount THEN 'fund_paid exceeds total_amount' "
            "WHEN self_paid IS NOT NULL AND abs(fund_paid + self_paid - total_amount) > 0.01 "
            "THEN 'fund_paid + self_paid does not equal total_amount' END",
        ))
        rules.append((
            "discharged_on",
            "CASE WHEN admitted_on IS NOT NULL AND discharged_on IS NOT NULL AND discharged_on < admitted_on "
            "THEN 'discharged before admitted' END",
        ))
    if spec.name == "drg_groups":
        rules.append(("min_los", "CASE WHEN min_los < 0 THEN 'stay length is negative' END"))
        rules.append(("max_los", "CASE WHEN max_los < 0 THEN 'stay length is negative' "
                                 "WHEN min_los IS NOT NULL AND max_los < min_los THEN 'max_los is below min_los' END"))
    if spec.name == "dispensings":
        rules.append(("line_no", "CASE WHEN line_no < 1 THEN 'line_no must be 1 or more' END"))
    if spec.name == "employments":
        rules.append(("end_on", "CASE WHEN end_on IS NOT NULL AND end_on < start_on THEN 'ends before it starts' END"))
    return rules
