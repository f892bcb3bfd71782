"""Every explorer page, driven by AppTest on a real store, asserting on what is shown."""
from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest

from ringscope.app import audit, triage
from ringscope.app.pii import find_unmasked_id_numbers
from tests.app.apptest import PAGES, click, graph_html, login, open_page, ring_tables, shown_text, start
from tests.app.explorer_workspace import PASSWORDS
from tests.drops import VALID_ID


def test_overview_shows_rings_fund_loss_and_charts(explorer_ws):
    at = start()
    assert not at.exception
    assert at.title[0].value == "总览"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["团伙数"] == "2"
    assert metrics["涉及基金损失（万元）"] == "0.02"  # headline money in 万元 (app.figures)
    assert len(at.get("plotly_chart")) == 4  # scheme/status, fund loss, weekly trend, region
    text = shown_text(at)
    assert "药品追溯码倒卖" in text and "北京市" in text  # scheme names and the province of region 110101
    # the small drop has no maternity claims: the page says that detector was blind
    assert len(at.warning) == 1 and "数据缺口" in at.warning[0].value and "**虚假生育**" not in at.warning[0].value
    assert "没有生育津贴申领记录" in at.warning[0].value


def test_overview_in_english(explorer_ws):
    at = start("en")
    assert at.title[0].value == "Overview"
    assert {m.label for m in at.metric} >= {"Rings", "Fund loss at stake (CNY)"}
    assert "Trace-code resale" in shown_text(at) and "Beijing" in shown_text(at)


@pytest.mark.parametrize("explorer_ws", ["duckdb"], indirect=True)
def test_ring_screens_stop_with_a_hint_before_any_ring_is_detected(explorer_ws):
    (explorer_ws / "rings.json").unlink()  # nothing detected yet
    for page in ("screens/overview.py", "screens/queue.py", "screens/ring.py"):
        at = open_page(start(), page)
        assert not at.exception, page
        assert [i.value for i in at.info] == ["尚无检测结果。请先运行 `ringscope detect`（或将 rings.json 放入工作区）。"], page
        assert not at.dataframe and not at.metric and not at.get("plotly_chart"), page  # the page stopped there
    at = start()  # the overview still says which detectors were blind on this data, above the hint
    assert len(at.warning) == 1 and "数据缺口" in at.warning[0].value


def test_queue_lists_filters_and_opens_a_ring(explorer_ws):
    at = open_page(start(), "screens/queue.py")
    table = at.dataframe[0].value
    assert list(table["团伙编号"]) == ["ring?ring=R-000001", "ring?ring=R-000002"]  # each id links its ring
    assert list(table["状态"]) == ["新发现", "新发现"]
    at.multiselect(key="q_schemes").select("borrowed_cards").run()
    assert list(at.dataframe[0].value["团伙编号"]) == ["ring?ring=R-000002"]
    at.selectbox(key="q_pick").select("R-000002").run()
    at.button(key="q_open").click().run()
    assert at.session_state["ring_id"] == "R-000002"
    assert at.title[0].value == "团伙详情"
    assert any("R-000002" in m.value for m in at.markdown)


def test_queue_sorts_by_fund_loss_ascending(explorer_ws):
    at = open_page(start(), "screens/queue.py")
    at.selectbox(key="q_sort").select("fund_loss").run()
    at.checkbox(key="q_desc").uncheck().run()
    assert list(at.dataframe[0].value["团伙编号"]) == ["ring?ring=R-000002", "ring?ring=R-000001"]


def test_ring_detail_shows_graph_members_evidence_timeline_and_chains(explorer_ws):
    at = open_page(start(), "screens/ring.py")
    assert not at.exception
    assert "R-000001" in at.markdown[0].value and "药品追溯码倒卖" in at.markdown[0].value
    html = graph_html(at)
    assert "new vis.DataSet" in html and "ringscope-legend" in html and "同一盒药被再次报销" in html
    assert "<script src=\"http" not in html and "<link href=\"http" not in html
    evidence = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert len(evidence) == 1 and "重复报销两次" in evidence[0]
    assert "张*" in evidence[0] and "张三" not in evidence[0] and VALID_ID not in evidence[0]
    frames = ring_tables(at)
    members = frames["members_table"]
    assert list(members["编号"]) == ["P001", "P002", "F01"]
    assert list(members["角色"]) == ["倒卖者", "倒卖者", "回收者"]
    assert list(members["姓名/名称"])[:2] == ["张*", "李*"]
    assert list(frames["timeline_table"]["编号"]) == ["S001", "S002"]
    assert frames["fund_loss_table"]["基金支付（元）"].iloc[-1] == Decimal("137.20")  # exact (analytics.fund_loss)
    assert set(frames["chains_table"]["结算编号"]) == {"S001", "S002"}


def test_triage_is_saved_and_survives_redetection(explorer_ws):
    at = open_page(login(start(), "an", PASSWORDS["an"]), "screens/ring.py")  # users configured: writes need a login
    at.selectbox(key="triage_status_R-000001").select("investigating").run()
    at.text_input(key="triage_assignee_R-000001").input("王芳").run()
    at.text_area(key="triage_notes_R-000001").input("约谈药店").run()
    click(at, "保存处置")
    assert any("调查中" in s.value for s in at.success)
    # A new detection run rewrites the rings with the same ids: the triage is still there.
    rings = json.loads((explorer_ws / "rings.json").read_text(encoding="utf-8"))
    rings["rings"][0]["score"] = 0.99
    (explorer_ws / "rings.json").write_text(json.dumps(rings, ensure_ascii=False), encoding="utf-8")
    at = open_page(start(), "screens/queue.py")
    table = at.dataframe[0].value.set_index("团伙编号").rename(index=lambda u: u.split("=", 1)[-1])
    assert table.loc["R-000001", "状态"] == "调查中" and table.loc["R-000001", "负责人"] == "王芳"


def test_search_expands_neighbourhood_and_finds_a_path(explorer_ws):
    at = open_page(start(), "screens/search.py")
    at.text_input(key="s_query").input("P00").run()
    results = at.dataframe[0].value
    assert list(results["编号"]) == ["P001", "P002"] and list(results["姓名/名称"]) == ["张*", "李*"]
    html = graph_html(at)
    assert "new vis.DataSet" in html and "张三" not in html
    at.slider(key="s_hops").set_value(2).run()
    at.text_input(key="s_query2").input("P002").run()
    at.button(key="s_find_path").click().run()
    assert any(m.value.startswith("路径长度") for m in at.markdown)
    assert len(at.get("iframe")) == 2
    at.slider(key="s_hops").set_value(1).run()  # another widget changes: the path stays on screen
    assert any(m.value.startswith("路径长度") for m in at.markdown) and len(at.get("iframe")) == 2
    assert any("entity?node=Patient%3AP001&to=Patient%3AP002" in c.value for c in at.caption)


def test_entity_and_path_urls(explorer_ws):
    at = start()
    at.query_params["node"] = "Patient:P001"
    at = open_page(at, "screens/entity.py")
    assert not at.exception and any("P001" in m.value for m in at.markdown)
    assert len(at.get("iframe")) == 1
    at.query_params["to"] = "Patient:P002"
    at.run()
    assert any(m.value.startswith("路径长度") for m in at.markdown)


def test_no_page_shows_an_id_number_without_the_unmask_right(explorer_ws):
    for who in (None, "an"):  # nobody logged in; an analyst (no unmask right)
        at = start()
        if who:
            login(at, who, PASSWORDS[who])
            assert at.sidebar.toggle(key="unmask_widget").disabled
        for page in PAGES:
            at = open_page(at, page)
            if page == "screens/search.py":
                at.text_input(key="s_query").input("P00").run()
            text = shown_text(at)
            assert find_unmasked_id_numbers(text) == [], (who, page)
            assert "13800000001" not in text and "张三" not in text, (who, page)
    assert audit.read_events(explorer_ws, action="unmask") == []


def test_unmasking_needs_login_and_is_audit_logged(explorer_ws):
    at = start()
    login(at, "li", "wrong")
    assert at.sidebar.error and "用户名或密码错误" in at.sidebar.error[0].value
    login(at, "li", PASSWORDS["li"])
    assert "li" in at.sidebar.success[0].value
    at.sidebar.toggle(key="unmask_widget").set_value(True).run()
    at = open_page(at, "screens/ring.py")
    members = ring_tables(at)["members_table"]
    assert VALID_ID in list(members["身份证号"]) and "张三" in list(members["姓名/名称"])
    events = audit.read_events(explorer_ws, action="unmask")
    assert [(e["user"], e["role"], e["target"]) for e in events] == [("li", "investigator", "ring:R-000001")]
    assert events[0]["at"]
    assert [e["user"] for e in audit.read_events(explorer_ws, action="login_failed")] == ["li"]


def test_export_needs_the_export_right(explorer_ws):
    at = open_page(start(), "screens/ring.py")
    assert at.button(key="export_referral").disabled
    login(at, "li", PASSWORDS["li"])  # investigator: unmask but no export
    at = open_page(at, "screens/ring.py")
    assert at.button(key="export_referral").disabled
    assert audit.read_events(explorer_ws, action="export") == []


def test_triage_table_lives_in_the_catalogue(explorer_ws):
    at = open_page(login(start(), "an", PASSWORDS["an"]), "screens/ring.py")
    click(at, "保存处置")
    # The same process may open the catalogue again (DuckDB shares the instance): the row is there.
    con = duckdb.connect(str(explorer_ws / "ringscope.duckdb"))
    try:
        assert triage.get_triage(con, "R-000001").status == "new"
        assert len(triage.triage_history(con, "R-000001")) == 1
    finally:
        con.close()


def test_export_button_builds_a_verified_package_for_a_user_with_the_right(explorer_ws):
    from ringscope.app.export import verify_package

    at = open_page(start(), "screens/ring.py")
    login(at, "zhao", PASSWORDS["zhao"])  # supervisor: may export
    at = open_page(at, "screens/ring.py")
    assert not at.button(key="export_referral").disabled
    at.button(key="export_referral").click().run(timeout=120)
    packages = list((explorer_ws / "exports").glob("referral-R-000001-*.zip"))
    assert len(packages) == 1, shown_text(at)
    assert verify_package(packages[0]).ok
    assert [e["user"] for e in audit.read_events(explorer_ws, action="export")] == ["zhao"]


def test_explorer_does_not_hold_the_workspace_between_runs(explorer_ws):
    """`ringscope ingest/detect/weekly` (another process) can write while the explorer is open."""
    import subprocess
    import sys

    at = open_page(start(), "screens/ring.py")
    assert not at.exception
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE IF NOT EXISTS _probe(x INT)')"
    res = subprocess.run([sys.executable, "-c", code, str(explorer_ws / "ringscope.duckdb")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
