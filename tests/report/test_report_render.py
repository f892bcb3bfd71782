"""The report as a reader gets it: HTML parsed, PDF text extracted and a page rendered."""
from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ringscope.app.pii import find_unmasked_id_numbers
from ringscope.app.report.messages import catalogue
from ringscope.app.report.render import SECTIONS
from tests.report.conftest import have_poppler


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.ring_rows, self.imgs, self.links, self.scripts, self.urls = [], [], [], [], 0, []
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        if "data-ring-id" in a:
            self.ring_rows.append(a["data-ring-id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "script":
            self.scripts += 1
        if tag == "link":
            self.urls.append(a.get("href", ""))
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http:", "https:", "//")):
                self.urls.append(a[k])

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_sections_ids_images_and_no_external_resources(rendered, lang):
    page = parse(rendered[f"{lang}.html"])
    assert page.sections == list(SECTIONS)
    # new, changed (grown + merged), top, dissolved rings all present with their ids
    for rid in ("R-000001", "R-000002", "R-000004", "R-000005"):
        assert rid in page.ring_rows
    assert page.imgs and all(src.startswith("data:image/svg+xml;base64,") for src in page.imgs)
    assert page.scripts == 0
    # the only absolute URLs are the explorer links, one per ring row
    external = [u for u in page.urls if not u.startswith("http://127.0.0.1:8501/ring?ring=")]
    assert external == []
    assert "http://127.0.0.1:8501/ring?ring=R-000005" in page.links
    text = "".join(page.text)
    assert catalogue(lang)["section.new"] in text
    assert catalogue(lang)["section.by_region"] in text


def test_html_masks_personal_data(rendered):
    html = rendered["zh.html"].read_text(encoding="utf-8") + rendered["en.html"].read_text(encoding="utf-8")
    assert "张三丰" not in html and "张**" in html  # patient name in key members and evidence
    assert "13812345678" not in html and "138****5678" in html  # phone inside evidence
    assert not find_unmasked_id_numbers(html)
    assert "刘医生" not in html  # prescriber names are personal too
    assert "仁和大药房" in html  # businesses are not masked


def test_chinese_report_reads_in_chinese(rendered):
    text = "".join(parse(rendered["zh.html"]).text)
    assert "新发现" in text and "合并" in text and "湖北省" in text and "药品追溯码倒卖" in text
    assert "截至 2026-W47，累计识别疑似欺诈团伙 3 个" in text


def test_report_names_detectors_that_were_blind(rendered):
    """The hand-made catalogue has no maternity claims: the report says finding none means nothing."""
    zh = rendered["zh.html"].read_text(encoding="utf-8")
    en = rendered["en.html"].read_text(encoding="utf-8")
    assert "数据缺口" in zh and "没有生育津贴申领记录" in zh
    assert "Data gaps" in en and "there are no maternity claims" in en
    assert "trace code" not in en.split("Data gaps")[1].split("</div>")[0]


def test_summary_numbers(history_con):
    from ringscope.app.report.data import build_report_data

    d = build_report_data(history_con, "2026-W47")
    assert d.status_counts["new"] == 1 and d.status_counts["grown"] == 1
    assert d.status_counts["merged"] == 1 and d.status_counts["dissolved"] == 1
    assert d.totals == {"rings": 3, "fund_loss": 36500.0}
    assert [r.ring_id for r in d.top_rings] == ["R-000001", "R-000002", "R-000005"]
    merged = next(r for r in d.changed_rings if r.status == "merged")
    assert merged.parents == ["R-000002", "R-000003"] and merged.fund_loss_before == 8000
    assert {r["province"]: r["rings"] for r in d.by_region} == {"42": 2, "44": 1}
    assert d.dissolved_rings[0].province == "51"  # the maternity shell employer's province


@pytest.mark.skipif(not have_poppler(), reason="poppler-utils not installed (.ci/setup-system)")
def test_pdf_text_has_chinese_and_a_page_renders(rendered, tmp_path):
    pdf = rendered["zh.pdf"]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "医保基金欺诈团伙周报" in text
    assert "新发现的团伙" in text and "基金损失最大的团伙" in text
    assert "R-000005" in text and "R-000001" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"\+Noto-?Sans-?CJK", fonts), fonts
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p-*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    en = subprocess.run(["pdftotext", str(rendered["en.pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert "Top rings by fund loss" in en


def test_rendering_is_deterministic(history_con, rendered, tmp_path):
    from ringscope.app.report.data import build_report_data
    from ringscope.app.report.render import write_report

    again = write_report(build_report_data(history_con, "2026-W47"), tmp_path, langs=("zh",))
    for f in again:
        assert f.read_bytes() == rendered[f.name.split("-")[-1]].read_bytes(), f.name


def test_unmasked_report_shows_names(history_con):
    from ringscope.app.report.data import build_report_data
    from ringscope.app.report.render import render_html

    data = build_report_data(history_con, "2026-W47", unmask=True)
    assert "张三丰" in render_html(data, "zh") and "13812345678" in render_html(data, "en")


def test_messages_complete_in_both_languages():
    assert set(catalogue("zh")) == set(catalogue("en"))


def test_triage_since_last_week(tmp_path):
    from datetime import datetime, timedelta, timezone

    import duckdb

    from ringscope.app.report.data import build_report_data
    from ringscope.app.triage import ensure_triage_schema
    from tests.report.handmade import two_weeks

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    two_weeks(con)
    ensure_triage_schema(con)
    cst = timezone(timedelta(hours=8))
    rows = [("R-000001", "confirmed", datetime(2026, 11, 18, 10, tzinfo=cst)),  # between the two runs
            ("R-000004", "dismissed", datetime(2026, 11, 19, 10, tzinfo=cst)),
            ("R-000002", "confirmed", datetime(2026, 11, 10, 10, tzinfo=cst)),  # before last week's run
            ("R-000005", "investigating", datetime(2026, 11, 20, 10, tzinfo=cst))]
    for rid, status, at in rows:
        con.execute("INSERT INTO ring_triage VALUES (?, ?, NULL, 'checked 13812345678', 'li', ?)", [rid, status, at])
    d = build_report_data(con, "2026-W47")
    assert [t.ring_id for t in d.confirmed] == ["R-000001"]
    assert [t.ring_id for t in d.dismissed] == ["R-000004"]
    assert d.confirmed[0].note == "checked 138****5678"
    assert d.triage_available
