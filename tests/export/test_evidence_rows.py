"""Every evidence sentence of a referral comes with the rows behind it; the summary has a sign-off block and the
ring's triage history; the workbook has Chinese headers over the contract names, real dates and numbers."""
from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from ringscope.app import triage
from ringscope.app.config import load_config
from ringscope.app.export import build_referral
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.mapping import HeaderMapping
from tests.drops import write_table
from tests.export.unpack import csv_rows, member, pdf_text

pytestmark = pytest.mark.xdist_group("evidence-rows")  # one xdist worker builds the module's fixture once: a referral package

# A card pool of three cards.  C001's holder P001 died on 2026-03-01 (S1 is after it); C002 is a woman's card used
# for a prostate diagnosis (S2); C003 is P003's card used for P002 (S3) and, 30 minutes later, at another facility
# (S4, not in the ring).  S5 is a plain pool settlement: no fact holds on it.
EVIDENCE = [
    {"kind": "card_pool", "text": "3 cards were presented together.", "text_zh": "3张医保卡被集中连续结算。"},
    {"kind": "after_death", "text": "1 of 3 cards were used after the holder's recorded death.",
     "text_zh": "3张卡中有1张在持卡人死亡后仍被使用。"},
    {"kind": "care_mismatch", "text": "1 of 3 cards were used for care not fitting the holder's sex or age.",
     "text_zh": "3张卡中有1张的诊疗与持卡人性别或年龄不符。"},
    {"kind": "other_person", "text": "1 of 3 cards were used for someone other than the holder.",
     "text_zh": "3张卡中有1张的就诊人与持卡人不一致。"},
    {"kind": "two_places", "text": "1 of 3 cards were also used in another city within hours.",
     "text_zh": "3张卡中有1张在数小时内又在另一城市使用。"},
]


def _drop(folder: Path) -> Path:
    write_table(folder, "patients", ["patient_id", "name", "gender", "birth_date", "region_code", "death_date"], [
        ["P001", "张三", "M", "1950-03-07", "110101", "2026-03-01"],
        ["P002", "李四", "F", "1985-01-02", "110101", ""],
        ["P003", "王五", "M", "1970-05-05", "110101", ""],
    ])
    write_table(folder, "cards", ["card_id", "patient_id", "status"],
                [["C001", "P001", "active"], ["C002", "P002", "active"], ["C003", "P003", "active"]])
    write_table(folder, "facilities", ["facility_id", "kind", "name", "region_code"],
                [["F01", "clinic", "和平诊所", "110101"], ["F02", "hospital", "上海市第一医院", "310101"],
                 ["F03", "pharmacy", "和平大药房", "110101"]])
    write_table(folder, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                        "fund_paid", "self_paid", "kind", "patient_id", "diagnosis_code"], [
        ["S1", "C001", "F01", "2026-03-05T09:00:00", "1200.00", "1000.00", "200.00", "outpatient", "", "J20"],
        ["S2", "C002", "F01", "2026-03-05T09:05:00", "15000.00", "12345.67", "2654.33", "outpatient", "", "N40"],
        ["S3", "C003", "F01", "2026-03-05T09:10:00", "100.00", "80.00", "20.00", "outpatient", "P002", "J20"],
        ["S4", "C003", "F02", "2026-03-05T09:40:00", "100.00", "80.00", "20.00", "outpatient", "", "J20"],
        ["S5", "C001", "F01", "2026-02-20T09:10:00", "100.00", "80.00", "20.00", "outpatient", "", "J20"],
        # the pharmacy next door half an hour later: the same town, not two places at once
        ["S6", "C002", "F03", "2026-03-05T09:35:00", "30.00", "24.00", "6.00", "pharmacy", "", "N40"],
    ])
    return folder


@pytest.fixture(scope="module")
def pool_zip(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pool")
    workspace = root / "ws"
    workspace.mkdir()
    config = load_config(workspace=workspace, env={})
    store = DuckDBStore(config.store)
    store.ingest_drop(_drop(root / "drop"), HeaderMapping())
    ring = {"ring_id": "R-000009", "scheme": "borrowed_cards", "score": 0.9, "fund_loss": 13505.67,
            "members": [{"type": "card", "id": c, "role": "borrowed"} for c in ("C001", "C002", "C003")],
            "settlement_ids": ["S1", "S2", "S3", "S5"], "evidence": EVIDENCE}
    (workspace / "rings.json").write_text(json.dumps({"contract": 1, "rings": [ring]}, ensure_ascii=False), "utf-8")
    con = store.relational().cursor()
    triage.set_triage(con, "R-000009", "investigating", assignee="li", notes="约谈王五", updated_by="li")
    triage.set_triage(con, "R-000009", "confirmed", assignee="li", notes="约谈王五\n病历证实冒用", updated_by="zhao")
    try:
        return build_referral(store, "R-000009", root / "pool.zip", user="tester", config=config)
    finally:
        store.close()


def _rows_of(package: Path, no: str) -> list[str]:
    return [r["record_id"] for r in csv_rows(package, "evidence_rows") if r["evidence_no"] == no]


def test_each_sentence_has_the_rows_on_which_its_fact_holds(pool_zip):
    evidence = {r["kind"]: r for r in csv_rows(pool_zip, "evidence")}
    assert _rows_of(pool_zip, evidence["after_death"]["evidence_no"]) == ["S1"]
    assert _rows_of(pool_zip, evidence["care_mismatch"]["evidence_no"]) == ["S2"]
    assert _rows_of(pool_zip, evidence["other_person"]["evidence_no"]) == ["S3"]
    assert _rows_of(pool_zip, evidence["two_places"]["evidence_no"]) == ["S3"]  # S4 is the other place, not the ring's
    assert _rows_of(pool_zip, evidence["card_pool"]["evidence_no"]) == ["S5", "S1", "S2", "S3"]  # the whole pool
    row = next(r for r in csv_rows(pool_zip, "evidence_rows") if r["record_id"] == "S2")
    assert (row["card_id"], row["facility_id"], row["service"], row["amount"]) == ("C002", "F01", "N40", "12345.67")
    assert row["date"].startswith("2026-03-05T09:05")


def test_summary_links_each_sentence_to_its_rows_and_has_sign_off_and_triage(pool_zip, tmp_path):
    html = member(pool_zip, "summary-zh.html").decode()
    no = next(r["evidence_no"] for r in csv_rows(pool_zip, "evidence") if r["kind"] == "after_death")
    assert f'href="#{no}"' in html and f'id="{no}"' in html
    text = pdf_text(member(pool_zip, "summary-zh.pdf"), tmp_path)
    for phrase in ("经办人（签字）", "复核人（签字）", "日期", "单位（盖章）", "五、处置记录", "调查中 → 已确认",
                   "新发现 → 调查中", "病历证实冒用", "七、证据明细", "12,345.67"):
        assert phrase in text, phrase
    first_page = text.split("\f")[0]
    assert "经办人（签字）" in first_page  # the sign-off block is on the first page
    assert "王五" not in text  # triage notes are masked in a masked package
    en = pdf_text(member(pool_zip, "summary-en.pdf"), tmp_path)
    assert "Prepared by" in en and "Reviewed by" in en and "new → investigating" in en


def test_triage_history_annex(pool_zip):
    rows = csv_rows(pool_zip, "triage_history")
    assert [(r["changed_by"], r["from_status"], r["to_status"]) for r in rows] == [
        ("li", "new", "investigating"), ("zhao", "investigating", "confirmed")]


def test_workbook_has_chinese_headers_typed_cells_and_fitted_widths(pool_zip):
    wb = openpyxl.load_workbook(io.BytesIO(member(pool_zip, "annexes.xlsx")))
    ws = wb["settlements"]
    head = [c.value for c in ws[1]]
    contract = [c.value for c in ws[2]]
    assert head[:3] == ["结算编号", "结算时间", "类别"] and contract[:3] == ["settlement_id", "settled_at", "kind"]
    data = {r[0].value: r for r in ws.iter_rows(min_row=3)}
    s2 = data["S2"]
    col = {name: i for i, name in enumerate(contract)}
    assert s2[col["settled_at"]].is_date and s2[col["settled_at"]].value.isoformat() == "2026-03-05T09:05:00"
    assert s2[col["fund_paid"]].value == 12345.67 and s2[col["fund_paid"]].number_format == "#,##0.00"
    assert s2[col["kind"]].value == "门诊"  # codes in Chinese
    members = wb["members"]
    mcol = {c.value: i for i, c in enumerate(members[2])}
    assert [r[mcol["type"]].value for r in members.iter_rows(min_row=3)] == ["医保卡"] * 3
    ev = wb["evidence"]
    ecol = {c.value: i for i, c in enumerate(ev[2])}
    longest = max(len(r[ecol["text_zh"]].value) for r in ev.iter_rows(min_row=3))
    letter = openpyxl.utils.get_column_letter(ecol["text_zh"] + 1)
    assert ev.column_dimensions[letter].width >= min(2 * longest, 60)  # wide enough, or wrapping at 60
    assert ev.cell(3, ecol["text_zh"] + 1).alignment.wrap_text
    rows = wb["evidence_rows"]
    assert [c.value for c in rows[1]][:2] == ["证据编号", "证据类别"]
    assert wb["triage_history"].cell(3, 3).value == "新发现"  # from_status in Chinese


def test_summary_money_by_the_one_rule(pool_zip):
    import re

    from tests.money_scan import bare_money

    for lang in ("zh", "en"):
        html = member(pool_zip, f"summary-{lang}.html").decode()
        text = re.sub(r"<style[^>]*>.*?</style>|<[^>]+>", " ", html, flags=re.S)
        assert bare_money(text) == [], lang
    assert "基金损失合计：1.35 万元（13,505.67 元）" in member(pool_zip, "summary-zh.html").decode()
