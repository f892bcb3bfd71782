"""The set-based SQL validators agree with the Python reference, value by value."""
from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringscope.ingest import rules
from ringscope.ingest.contract import Column
from ringscope.ingest.validate_sql import column_problem_sql

CON = duckdb.connect()

KINDS = ["date", "datetime", "money", "int", "number", "bool", "region", "trace_code", "phone", "id_number"]


def sql_problem(kind: str, value: str | None, required: bool = False, choices: tuple[str, ...] = ()) -> str | None:
    col = Column("v", kind, required, choices)
    return CON.execute(f"SELECT {column_problem_sql(col)} FROM (SELECT CAST(? AS VARCHAR) AS v)", [value]).fetchall()[0][0]


def valid_id_numbers():
    def build(region, y, m, d, seq):
        first = f"{region:06d}{y:04d}{m:02d}{d:02d}{seq:03d}"
        return first + rules.id_number_check_digit(first)
    return st.builds(build, st.integers(110000, 659999), st.integers(1900, 2025), st.integers(1, 12),
                     st.integers(1, 28), st.integers(0, 999))


def near_miss_text():
    """Values that look like the formats but may be off by a character."""
    return st.one_of(
        st.text(alphabet="0123456789-:T .X+Z", max_size=26),
        st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True),
        st.from_regex(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2})?", fullmatch=True),
        st.from_regex(r"-?\d{1,6}(\.\d{0,3})?", fullmatch=True),
        st.from_regex(r"\d{17}[0-9X]", fullmatch=True),
        st.from_regex(r"\d{19,21}", fullmatch=True),
        valid_id_numbers(),
        st.text(max_size=12),
    )


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=150, deadline=None)
@given(value=near_miss_text())
def test_sql_and_python_agree(kind, value):
    assert sql_problem(kind, value) == rules.value_problem(kind, value)


@settings(max_examples=100, deadline=None)
@given(value=valid_id_numbers())
def test_valid_id_numbers_pass_and_one_changed_digit_fails(value):
    assert sql_problem("id_number", value) is None
    wrong = value[:17] + ("0" if value[17] != "0" else "1")
    assert sql_problem("id_number", wrong) == "ID number check digit is wrong (GB 11643-1999)"


def test_required_and_choices():
    assert sql_problem("text", None, required=True) == "required value is missing"
    assert sql_problem("text", "X", choices=("M", "F", "U")) == "must be one of M, F, U"
    assert sql_problem("text", "F", choices=("M", "F", "U")) is None
    assert rules.value_problem("text", "", required=True) == "required value is missing"


@pytest.mark.parametrize("value,reason", [
    ("-1.00", "amount is negative"),
    ("1.234", "not an amount in yuan (digits, at most two decimals)"),
    ("12.5", None),
    ("abc", "not an amount in yuan (digits, at most two decimals)"),
])
def test_money_examples(value, reason):
    assert sql_problem("money", value) == reason == rules.value_problem("money", value)
