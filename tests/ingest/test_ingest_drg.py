"""Contract 1.1 at ingest: code lists and drg_groups validated; drops without them still load."""
from __future__ import annotations

import csv

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ringscope.ingest import rules
from tests.analytics.drg.drgworld import GROUPS, stay, write_drop
from tests.drops import write_table
from tests.ingest.test_rules_sql_matches_python import sql_problem


def rejects(report):
    with open(report.rejects_file, encoding="utf-8") as fh:
        return [(r["table"], r["line"], r["column"], r["reason"]) for r in csv.DictReader(fh)]


def test_bad_code_list_and_unknown_group_are_rejected_with_line_and_column(tmp_path, ingest):
    rows = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9", secondary="E11.9;;I10"),
            stay("S2", "P1", "2026-03-04", "2026-03-09", "ZZ99", "J18.9"),
            stay("S3", "P1", "2026-03-10", "2026-03-12", "ES33", "J18.9", secondary="I10", procedures="87.44")]
    report = ingest(write_drop(tmp_path / "d", rows))
    got = rejects(report)
    assert ("settlements", "2", "secondary_diagnoses", "not a list of codes separated by ; (e.g. E11.9;I10)") in got
    assert ("settlements", "3", "drg_code", "drg_code ZZ99 not found in drg_groups") in got
    assert {t.table: t.new for t in report.tables}["settlements"] == 1


def test_groups_with_impossible_stay_range_are_rejected(tmp_path, ingest):
    folder = write_drop(tmp_path / "d", [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9")])
    write_table(folder, "drg_groups", ["drg_code", "adrg", "weight", "base_payment", "min_los", "max_los"],
                GROUPS + [["XX15", "XX1", "0.5", "100.00", "9", "3"]])
    got = rejects(ingest(folder))
    assert ("drg_groups", str(len(GROUPS) + 2), "max_los", "max_los is below min_los") in got


def test_without_drg_groups_any_group_code_loads(tmp_path, ingest, duck):
    rows = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ZZ99", "J18.9")]
    report = ingest(write_drop(tmp_path / "d", rows, with_groups=False))
    assert report.rejected == 0
    assert duck.relational().execute("SELECT drg_code FROM settlements").fetchall() == [("ZZ99",)]


def test_store_from_before_contract_1_1_gains_the_new_columns(tmp_path, workspace):
    import duckdb

    from ringscope.graph.catalogue import ensure_schema

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE TABLE settlements (settlement_id VARCHAR, card_id VARCHAR, _extra VARCHAR, _drop_id VARCHAR)")
    ensure_schema(con)
    cols = {r[0] for r in con.execute("DESCRIBE settlements").fetchall()}
    assert {"secondary_diagnoses", "procedure_codes", "drg_code"} <= cols


@hsettings(max_examples=200, deadline=None)
@given(value=st.one_of(st.from_regex(r"[A-Z][0-9]{2}(\.[0-9])?(;[A-Z][0-9]{2}(\.[0-9]{1,2})?){0,3};?", fullmatch=True),
                       st.text(alphabet="AEIZ0123456789.;+- ", max_size=16)))
def test_code_list_rule_sql_and_python_agree(value):
    assert sql_problem("code_list", value) == rules.value_problem("code_list", value)
