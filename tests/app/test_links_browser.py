"""Shareable URLs, the entity picture and the Chinese vocabulary, in a real browser (Debian chromium).

One explorer server for the module's checks (starting Streamlit is the slow part).
"""
from __future__ import annotations

import time

import pytest

from ringscope.app.links import ring_url
from tests.app.test_explorer_browser import CHROMIUM, CHROMIUM_ARGS, explorer_server  # noqa: F401  (fixture)
from tests.vocabulary import code_words_in, visible_text

pytestmark = pytest.mark.browser

def vis_labels(page) -> list[str]:
    """Labels of the drawn network (vis-network inside the picture's iframe), once it is drawn."""
    deadline = time.time() + 90
    while time.time() < deadline:
        for frame in page.frames:
            try:
                labels = frame.evaluate("() => (typeof network !== 'undefined' && network) ? "
                                        "network.body.data.nodes.get().map(n => n.label) : []")
            except Exception:  # a frame still loading
                continue
            if labels:
                return labels
        time.sleep(0.5)
    return []


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600}, locale="zh-CN")
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def test_shared_ring_url_opens_that_ring_and_draws_the_card_pool_labelled(explorer_server, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{explorer_server}/ring?ring=R-000002", wait_until="domcontentloaded")
    page.get_by_text("R-000002 · 冒用医保卡").wait_for()
    assert "ring=R-000002" in page.url  # the address bar keeps the ring: the URL can be shared
    # a deep link as first request still runs the explorer's own navigation (Chinese page names, not files)
    page.get_by_role("link", name="团伙队列").wait_for()
    assert page.get_by_role("link", name="queue", exact=True).count() == 0
    labels = vis_labels(page)
    assert any("C002" in label and "被冒用" in label for label in labels), labels  # member labelled with its role
    assert not any("Settlement" in label or label.startswith("S00") for label in labels)  # settlements folded


def test_report_link_opens_its_ring(explorer_server, browser_page):  # noqa: F811
    page = browser_page
    page.goto(ring_url("R-000002", explorer_server), wait_until="domcontentloaded")  # as the weekly report writes it
    page.get_by_text("R-000002 · 冒用医保卡").wait_for()
    assert "找不到团伙" not in page.inner_text("body") and "Page not found" not in page.inner_text("body")


def test_zh_pages_show_no_code_words(explorer_server, browser_page):  # noqa: F811
    page = browser_page
    found = {}
    for path, marker in (("ring?ring=R-000001", "R-000001 · 药品追溯码倒卖"), ("ring?ring=R-000002", "R-000002 · 冒用医保卡"),
                         ("queue", "显示 2 / 2 个团伙"), ("", "团伙数")):
        page.goto(f"{explorer_server}/{path}", wait_until="domcontentloaded")
        page.get_by_text(marker).first.wait_for()
        time.sleep(1.0)
        body = page.inner_text("body")
        words = code_words_in(body) + (["Page not found"] if "Page not found" in body else [])
        for frame in page.frames[1:]:  # the pictures' iframes: labels, legend, tooltips
            try:
                words += code_words_in(visible_text(frame.content()))
            except Exception:  # a frame still loading
                continue
        if words:
            found[path] = words
    assert found == {}
