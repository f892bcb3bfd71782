"""The DRG page's "export this institution" button, in a real browser: the same package as
``ringscope export --institution`` (DRG-<facility> subject, loss annex), audit-logged, downloaded as a zip."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.settings import DrgSettings
from ringscope.app import audit
from ringscope.app.auth import hash_password
from ringscope.app.export import verify_package
from ringscope.graph.drg_book import record_drg_cases
from ringscope.ingest.mapping import HeaderMapping
from tests.analytics.drg.drgworld import stay, write_drop
from tests.app.explorer_workspace import PASSWORDS, USERS_TOML
from tests.explorer_server import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving_explorer
from tests.export.unpack import csv_rows, member
from tests.stores import open_store

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

SPLIT = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9"),  # one ES35 stay cut in two
         stay("S2", "P1", "2026-03-04", "2026-03-09", "ES35", "J18.9"),
         stay("S9", "P9", "2026-03-01", "2026-03-08", "ES35", "J18.9", facility="H2")]


def _workspace(tmp_path: Path) -> Path:
    """H1 split a stay and runs no ring; users as the explorer tests have them (zhao may export, li may not)."""
    workspace = tmp_path / "ws"
    store = open_store("duckdb", workspace)
    try:
        store.ingest_drop(write_drop(tmp_path / "drop", SPLIT), HeaderMapping())
        con = store.relational()
        record_drg_cases(con, "RUN-000001", [c.to_json() for c in run_drg_screens(con, DrgSettings()).cases])
    finally:
        store.close()
    (workspace / "rings.json").write_text(json.dumps({"contract": 1, "rings": []}), encoding="utf-8")
    (workspace / "ringscope.toml").write_text(
        USERS_TOML.format(**{k: hash_password(v) for k, v in PASSWORDS.items()}), encoding="utf-8")
    return workspace


def _settle(page) -> None:
    """Until Streamlit stops running the script (the timeline drawn), for the picture."""
    deadline = time.time() + 120
    time.sleep(1.0)
    while time.time() < deadline and page.locator("[data-testid='stStatusWidget']").count():
        time.sleep(0.5)
    time.sleep(2.0)


def test_institution_referral_button_builds_the_package_and_downloads_it(tmp_path):
    from playwright.sync_api import sync_playwright

    need_chromium()
    workspace = _workspace(tmp_path)
    shot, saved = tmp_path / "drg-institution-referral-zh.png", tmp_path / "download.zip"
    with serving_explorer(workspace, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1500}, locale="zh-CN", accept_downloads=True)
        page.set_default_timeout(120_000)  # a loaded 2-core machine can be slow to rerun
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_label("用户名").fill("zhao")
        page.get_by_label("密码").fill(PASSWORDS["zhao"])
        page.get_by_role("button", name="登录").click()
        page.get_by_text("已登录：zhao（supervisor）").wait_for()
        page.get_by_role("link", name="DRG 支付违规").click()
        page.get_by_role("button", name="导出该机构的移送材料包").click()
        page.get_by_text("移送材料包已生成").wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="下载移送材料包（zip）").click()
        download.value.save_as(saved)
        _settle(page)
        page.get_by_text("移送材料包已生成").wait_for()  # downloading does not rerun the page away
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert verify_package(saved).ok
    subject = json.loads(member(saved, "data/ring.json"))
    assert (subject["ring_id"], subject["scheme"], subject["fund_loss"]) == ("DRG-H1", "drg", "6000.50")
    assert [(r["settlement_id"], r["difference"]) for r in csv_rows(saved, "drg_episodes")] == [
        ("S1", "0.00"), ("S2", "6000.50")]
    (record,) = audit.read_events(workspace, action=audit.EXPORT)  # rights-checked and logged like the command
    assert (record["target"], record["user"]) == ("institution:H1", "zhao")
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    shutil.copy(shot, out / shot.name)
