"""The summary document: Chinese survives into the PDF; members, roles, evidence and timeline are there."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.export.case_drop import BOX_1
from tests.export.unpack import member, pdf_text


def test_chinese_text_extracted_from_pdf(masked_zip, tmp_path):
    text = pdf_text(member(masked_zip, "summary-zh.pdf"), tmp_path)
    for phrase in ("涉嫌欺诈骗取医疗保障基金团伙案件移送材料", "一、基金损失", "仁和大药房", "卖药人", "追溯码",
                   "市第一医院", "同日入院", "用人单位"):
        assert phrase in text, phrase


def test_pdf_and_html_state_the_evidence(masked_zip, tmp_path):
    en = pdf_text(member(masked_zip, "summary-en.pdf"), tmp_path)
    assert BOX_1 in en  # the resale chain of the first box
    for phrase in ("Trace-code resale chains", "DEV1", "OP1", "Same-day admissions", "2026-03-05", "seller", "AG7"):
        assert phrase in en, phrase
    html = member(masked_zip, "summary-zh.html").decode()
    assert "S001@F01" in html and "S101@F02" in html
    assert 'src="../graph/ring-graph.png"' in html


def test_pdf_has_no_dates_and_embeds_the_cjk_font(masked_zip, tmp_path):
    pdf = member(masked_zip, "summary-zh.pdf")
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    (tmp_path / "zh.pdf").write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "zh.pdf")], capture_output=True, check=True, text=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts  # embedded by name as a subset, so the Chinese extracts


def test_graph_files(masked_zip):
    png = member(masked_zip, "data/graph/ring-graph.png")
    assert png.startswith(b"\x89PNG")
    html = member(masked_zip, "data/graph/ring-graph.html").decode()
    external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', html, re.IGNORECASE)
    assert external == []  # opens offline: every script inline, no CDN
    assert "vis.DataSet" in html or "new vis.Network" in html
    assert "定点机构" in html and "ringscope-legend" in html  # Chinese picture, legend above the drawing
    assert "\"dashes\": true" in html  # the resale chains, drawn red dashed
    assert "BOX_RESOLD" not in html and "USED_AT" not in html  # no code words in a Chinese document


def test_annexes_are_bom_csv_and_xlsx_sheets(masked_zip):
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(member(masked_zip, "annexes.xlsx")), read_only=True)
    assert wb.sheetnames == ["members", "settlements", "dispensings", "claims", "evidence", "evidence_rows",
                             "trace_chains", "fund_loss", "drg_episodes", "triage_history"]
    rows = list(wb["dispensings"].iter_rows(values_only=True))
    assert rows[0][10] == "追溯码" and rows[1][10] == "trace_code" and any(r[10] == BOX_1 for r in rows[2:])


def test_detection_figure_that_differs_is_flagged(masked_zip, tmp_path):
    # the fixture's rings.json reports 18,604.33; the transactions add up to 18,628.33
    zh = pdf_text(member(masked_zip, "summary-zh.pdf"), tmp_path)
    assert "18,604.33" in zh and "与逐笔重算结果不一致" in zh
