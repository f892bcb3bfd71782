"""A ring's triage history: every change as who, when, from → to, assignee and the note it wrote."""
from __future__ import annotations

import duckdb

from ringscope.app import triage
from ringscope.app.i18n import Translator
from ringscope.app.views.triage_history import history_table


def test_changes_run_from_new_and_show_only_the_note_each_change_wrote(tmp_path):
    con = duckdb.connect(str(tmp_path / "cat.duckdb"))
    assert triage.triage_changes(con, "R-1") == []  # never triaged: no history, no error
    triage.set_triage(con, "R-1", "investigating", assignee="li", notes="查药房", updated_by="li")
    triage.set_triage(con, "R-1", "investigating", assignee="wang", notes="查药房\n已调取监控", updated_by="zhao")
    triage.set_triage(con, "R-1", "confirmed", assignee="wang", notes="已核实", updated_by="wang")
    got = [(c.changed_by, c.from_status, c.to_status, c.assignee, c.note) for c in triage.triage_changes(con, "R-1")]
    assert got == [("li", "new", "investigating", "li", "查药房"),
                   ("zhao", "investigating", "investigating", "wang", "已调取监控"),
                   ("wang", "investigating", "confirmed", "wang", "已核实")]
    assert all(c.changed_at is not None for c in triage.triage_changes(con, "R-1"))


def test_history_table_is_newest_first_in_chinese_with_status_words(tmp_path):
    con = duckdb.connect(str(tmp_path / "cat.duckdb"))
    triage.set_triage(con, "R-1", "investigating", notes="先查", updated_by="li")
    triage.set_triage(con, "R-1", "dismissed", notes="先查\n系误报", updated_by="zhao")
    table = history_table(con, "R-1", Translator("zh"), mask=False)
    assert list(table.columns) == ["时间", "操作人", "状态变更", "负责人", "备注"]
    assert table["状态变更"].tolist() == ["调查中 → 已排除", "新发现 → 调查中"]
    assert table["操作人"].tolist() == ["zhao", "li"] and table["备注"].tolist() == ["系误报", "先查"]
    assert table["时间"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
