"""Looking a person up by a full ID number while personal data is masked, in a real browser (Debian chromium)."""
from __future__ import annotations

import pytest

from ringscope.app import audit
from tests.app.explorer_workspace import build_workspace
from tests.drops import VALID_ID
from tests.explorer_server import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving_explorer

pytestmark = pytest.mark.browser


def test_id_number_search_while_masked_finds_the_person_without_showing_them(tmp_path):
    need_chromium()
    workspace = build_workspace(tmp_path / "ws", "duckdb", tmp_path)
    from playwright.sync_api import sync_playwright

    with serving_explorer(workspace, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, locale="zh-CN")
        page.set_default_timeout(120_000)
        page.goto(f"{url}/search", wait_until="domcontentloaded")  # not logged in: masked
        page.get_by_text("个人信息已脱敏：").wait_for()
        box = page.get_by_label("输入编号、姓名或名称", exact=False)
        box.fill(VALID_ID[:6] + " " + VALID_ID[6:14] + " " + VALID_ID[14:])  # as people type it, with spaces
        box.press("Enter")
        page.get_by_text("检索结果").wait_for()
        page.get_by_text("邻域网络").wait_for()  # the found person's neighbourhood is drawn
        picked = page.get_by_role("combobox", name="选择实体", exact=False)
        assert picked.input_value() == "参保人 P001 · 张*"  # found, and shown masked
        shown = page.inner_text("body")
        assert "张三" not in shown and VALID_ID not in shown and "13800000001" not in shown
        browser.close()
    logged = audit.read_events(workspace, action="search")
    assert logged and logged[-1]["details"]["masked"] is True
    assert len(logged[-1]["details"]["query_hash"]) == 64 and VALID_ID not in str(logged)
