"""The ring page shows the ring's triage history (who, when, from → to, note), masked, in a real browser."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from ringscope.app import triage
from tests.app.explorer_workspace import build_workspace
from tests.explorer_server import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving_explorer
from tests.stores import open_store

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def test_ring_page_shows_triage_history_with_notes_masked(tmp_path):
    need_chromium()
    workspace = build_workspace(tmp_path / "ws", "duckdb", tmp_path)
    store = open_store("duckdb", workspace)
    try:
        con = store.relational().cursor()
        triage.set_triage(con, "R-000001", "investigating", assignee="li", notes="约谈张三，调取药房监控",
                          updated_by="li")
        triage.set_triage(con, "R-000001", "confirmed", assignee="li",
                          notes="约谈张三，调取药房监控\n监控证实重复销售", updated_by="zhao")
    finally:
        store.close()
    from playwright.sync_api import expect, sync_playwright

    shot = tmp_path / "ring-page-triage-zh.png"
    with serving_explorer(workspace, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
        page.set_default_timeout(120_000)
        page.goto(f"{url}/ring?ring=R-000001", wait_until="domcontentloaded")  # not logged in: masked
        page.get_by_text("处置记录").wait_for()
        page.get_by_text("新发现 → 调查中").wait_for()
        # the history's table can be drawn a moment after its text appears: wait for its rows
        expect(page.locator("table tr").filter(has_text="→")).to_have_count(2)
        rows = [r.inner_text() for r in page.locator("table tr").all()]
        history = [r for r in rows if "→" in r]
        assert len(history) == 2, rows
        assert "已确认" in history[0] and "调查中 → 已确认" in history[0] and "zhao" in history[0]  # newest first
        assert "新发现 → 调查中" in history[1] and "li" in history[1]
        assert "监控证实重复销售" in history[0]  # each line shows the note its change wrote
        assert "张*" in history[1] and "张三" not in page.inner_text("body")  # notes masked like the current notes
        page.get_by_text("处置记录").scroll_into_view_if_needed()
        time.sleep(1.0)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    shutil.copy(shot, out / shot.name)
