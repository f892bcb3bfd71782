"""The tip page and the ring page in a real browser (Debian chromium driven by Playwright).

A confirmed ring R-000001 and a tip naming its seller by ID number: the tip
page shows the tip, its masked facts, the ring it links to and the reward
estimate; the ring page shows the tip and its pharmacist's proposed points.
Screenshots go to test-output/.
"""
from __future__ import annotations

import shutil

import pytest

from tests.app.test_explorer_browser import REPO
from tests.drops import VALID_ID
from tests.explorer_server import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving_explorer
from tests.tips.conftest import PASSWORDS
from tests.tips.test_explorer_tips import seed

pytestmark = pytest.mark.browser


@pytest.fixture
def tip_explorer(tip_ws, tmp_path):
    need_chromium()
    seed(tip_ws, tmp_path)
    with serving_explorer(tip_ws, tmp_path) as url:
        yield url


def test_tip_page_and_ring_page_with_its_tip_and_points(tip_explorer, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = [tmp_path / "tip-page.png", tmp_path / "ring-tips-points.png"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2400}, locale="zh-CN")
        page.set_default_timeout(120_000)
        page.goto(tip_explorer, wait_until="domcontentloaded")
        page.get_by_text("总览", exact=True).first.wait_for()
        page.get_by_label("用户名").fill("zhao")
        page.get_by_label("密码").fill(PASSWORDS["zhao"])
        page.get_by_role("button", name="登录").click()
        page.get_by_text("已登录：zhao（supervisor）").wait_for()

        page.get_by_role("link", name="举报线索").click()
        page.get_by_text("T-000001 · wechat · 受理于 2026-11-20 09:30 · 已受理").wait_for()
        facts = page.get_by_text("把药卖给仁和大药房").inner_text()
        assert "张*" in facts and VALID_ID not in facts  # masked until the user unmasks
        page.get_by_role("cell", name="直接点名").first.wait_for()
        page.get_by_role("cell", name="R-000001").first.wait_for()
        page.get_by_text("计算依据：0：举报状态为「已受理」").wait_for()
        page.get_by_role("button", name="查看举报人联系方式（记入审计日志）").wait_for()  # zhao holds the right
        assert "wx_tipster_88" not in page.content()  # not shown until asked for
        page.screenshot(path=str(shots[0]), full_page=True)

        page.get_by_role("link", name="团伙详情").click()
        page.get_by_text("R-000001 · 药品追溯码倒卖").wait_for()
        page.get_by_text("关联本团伙的举报").wait_for()
        page.get_by_role("cell", name="T-000001").wait_for()
        page.get_by_role("cell", name="药师 PH1").wait_for()
        page.get_by_role("cell", name="终止医保支付资格").first.wait_for()
        page.screenshot(path=str(shots[1]), full_page=True)
        browser.close()
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    for shot in shots:
        assert shot.stat().st_size > 10_000
        shutil.copy(shot, out / shot.name)
