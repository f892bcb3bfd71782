"""The explorer in a real browser: Debian chromium driven by Playwright.

Starts ``streamlit run`` on the app (as ``ringscope explore`` does), logs in,
opens the top ring and checks that the network is drawn and the evidence is
on screen; the screenshot is kept in the test's folder and in test-output/.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.app.conftest import PASSWORDS, build_workspace

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def explorer_server(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/setup-system installs it)")
    from ringscope.app.commands.explore import explorer_env, streamlit_command
    from ringscope.app.config import load_config

    workspace = build_workspace(tmp_path / "ws", "duckdb", tmp_path)
    port = free_port()
    env = explorer_env(load_config(workspace=workspace, env={}))
    log = open(tmp_path / "streamlit.log", "w")
    proc = subprocess.Popen(streamlit_command(port), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("streamlit did not come up: " + (tmp_path / "streamlit.log").read_text())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
