"""Headline metrics are never cut off ("14,066,53…"), in a real browser (Debian chromium), in zh and en."""
from __future__ import annotations

import json

import pytest

from tests.app.explorer_workspace import build_workspace
from tests.explorer_server import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving_explorer

pytestmark = pytest.mark.browser

CUT_OFF = """() => [...document.querySelectorAll("[data-testid='stMetricValue']")].map(v => {
  const inner = v.querySelector('div') || v;
  return [inner.innerText, inner.scrollWidth > inner.clientWidth + 1];
})"""


def test_headline_money_is_shown_whole(tmp_path):
    need_chromium()
    workspace = build_workspace(tmp_path / "ws", "duckdb", tmp_path)
    rings = json.loads((workspace / "rings.json").read_text(encoding="utf-8"))
    rings["rings"][0]["fund_loss"] = 14066530.12  # the figure the issue saw cut to "14,066,53…"
    (workspace / "rings.json").write_text(json.dumps(rings, ensure_ascii=False), encoding="utf-8")
    from playwright.sync_api import sync_playwright

    with serving_explorer(workspace, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="zh-CN")  # a laptop's width
        page.set_default_timeout(120_000)
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("涉及基金损失（万元）").wait_for()
        page.wait_for_timeout(1500)
        shown = page.evaluate(CUT_OFF)
        assert ["1,406.66", False] in shown, shown  # 14,066,598.72 元 in 万元, whole
        page.get_by_text("English").click()
        page.get_by_text("Fund loss at stake (CNY)").wait_for()
        page.wait_for_timeout(1500)
        shown = page.evaluate(CUT_OFF)
        assert ["14,066,598.72", False] in shown, shown
        assert not any(cut for _, cut in shown), shown
        browser.close()
