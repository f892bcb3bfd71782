"""The explorer in a real browser: Debian chromium driven by Playwright.

Starts ``streamlit run`` on the app (as ``ringscope explore`` does), logs in,
opens the top ring and checks that the network is drawn and the evidence is
on screen; the screenshot is kept in the test's folder and in test-output/.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.app.explorer_workspace import PASSWORDS, build_workspace
from tests.explorer_server import CHROMIUM, CHROMIUM_ARGS, free_port, need_chromium, serving_explorer  # noqa: F401

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


@pytest.fixture
def explorer_server(tmp_path):
    need_chromium()
    workspace = build_workspace(tmp_path / "ws", "duckdb", tmp_path)
    with serving_explorer(workspace, tmp_path) as url:
        yield url


def test_login_open_top_ring_graph_and_evidence_on_screen(explorer_server, tmp_path):
    from playwright.sync_api import sync_playwright

    shot = tmp_path / "ring-detail.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
        page.set_default_timeout(120_000)  # a loaded 2-core CI machine can be slow to rerun
        page.goto(explorer_server, wait_until="domcontentloaded")
        page.get_by_text("总览", exact=True).first.wait_for(timeout=120_000)
        page.get_by_label("用户名").fill("zhao")
        page.get_by_label("密码").fill(PASSWORDS["zhao"])
        page.get_by_role("button", name="登录").click()
        page.get_by_text("已登录：zhao（supervisor）").wait_for(timeout=120_000)
        page.get_by_role("link", name="团伙详情").click()
        page.get_by_text("R-000001 · 药品追溯码倒卖").wait_for(timeout=120_000)
        page.get_by_text("出售后被重复报销两次").wait_for(timeout=120_000)
        nodes = 0
        deadline = time.time() + 60
        while time.time() < deadline and nodes == 0:
            for frame in page.frames:
                try:
                    nodes = frame.evaluate(
                        "() => (typeof network !== 'undefined' && network) ? network.body.data.nodes.length : 0")
                except Exception:  # a frame still loading
                    continue
                if nodes:
                    break
            if not nodes:
                time.sleep(0.5)
        assert nodes > 0
        evidence = page.get_by_text("出售后被重复报销两次").inner_text()
        assert "张*" in evidence and "110101199003074514" not in evidence
        time.sleep(1.5)  # let the small graph settle for the picture
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    shutil.copy(shot, out / shot.name)
    assert shot.stat().st_size > 10_000
