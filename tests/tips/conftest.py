"""A tip-off workspace: a small drop with prescribers, operators and an employer, four rings, three users.

Rings (rings.json in the workspace):
* R-000001 trace_resale: sellers P001, P002, reseller pharmacy F01 and its pharmacist PH1 (organizer);
  settlements S001, S002 in March 2026, both settled by operator OP1; fund loss 137.20.
* R-000002 over_prescription: doctor DR1 and patient P003; S003, S004 in late 2025.
* R-000003 over_prescription: doctor DR1 and patient P004; S005, S006 in early 2026.
* R-000004 borrowed_cards: card C005 only (P005 holds it).
P006 is in no ring but shares a phone with P005 and P007 (a shared identifier);
P008 lives alone, far from everything.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ringscope.app.config import load_config
from ringscope.ingest.mapping import HeaderMapping
from tests.app.explorer_workspace import PASSWORDS  # noqa: E402,F401  (one set of test users)
from tests.app.explorer_workspace import USERS_TOML as USERS
from tests.drops import VALID_ID, write_table
from tests.passwords import password_hash
from tests.stores import open_store

SHARED_PHONE = "13900000009"
ADDRESS = "北京市东城区和平里街道12号"


def _ring(rid, scheme, score, members, loss, settlements):
    return {"ring_id": rid, "scheme": scheme, "score": score, "fund_loss": loss, "settlement_ids": settlements,
            "members": [{"type": t, "id": i, "role": r} for t, i, r in members],
            "evidence": [{"kind": "test", "text": f"{rid} evidence", "text_zh": f"{rid} 证据"}]}


RINGS = {"contract": 1, "generated_at": "2026-11-24T10:00:00+08:00", "rings": [
    _ring("R-000001", "trace_resale", 0.97, [("patient", "P001", "seller"), ("patient", "P002", "seller"),
                                             ("facility", "F01", "reseller"), ("prescriber", "PH1", "organizer")],
          137.20, ["S001", "S002"]),
    _ring("R-000002", "over_prescription", 0.8, [("prescriber", "DR1", "prescriber"), ("patient", "P003", "patient")],
          300.00, ["S003", "S004"]),
    _ring("R-000003", "over_prescription", 0.7, [("prescriber", "DR1", "prescriber"), ("patient", "P004", "patient")],
          4_000_000.00, ["S005", "S006"]),
    _ring("R-000004", "borrowed_cards", 0.6, [("card", "C005", "borrowed")], 50.00, ["S007"]),
]}


def tip_drop(folder: Path) -> Path:
    write_table(folder, "patients", ["patient_id", "name", "id_number", "gender", "birth_date", "region_code", "phone",
                                     "address"], [
        ["P001", "张三", VALID_ID, "M", "1990-03-07", "110101", "13800000001", ADDRESS],
        ["P002", "李四", "", "F", "1985-01-02", "110102", "", ""],
        ["P003", "王五", "", "M", "1970-05-05", "110101", "", ""],
        ["P004", "赵六", "", "F", "1972-06-06", "110101", "", ""],
        ["P005", "钱七", "", "M", "1960-01-01", "110101", SHARED_PHONE, ""],
        ["P006", "孙八", "", "F", "1961-01-01", "110101", SHARED_PHONE, ""],
        ["P007", "周九", "", "M", "1962-01-01", "110101", SHARED_PHONE, ""],
        ["P008", "吴十", "", "F", "1963-01-01", "110101", "", "上海市浦东新区某路1号"],
    ])
    write_table(folder, "cards", ["card_id", "patient_id", "status"],
                [[f"C00{i}", f"P00{i}", "active"] for i in range(1, 9)])
    write_table(folder, "facilities", ["facility_id", "kind", "name", "region_code"], [
        ["F01", "pharmacy", "仁和大药房", "110101"], ["F02", "hospital", "市第一医院", "110101"],
        ["F03", "clinic", "和平诊所", "110101"]])
    write_table(folder, "prescribers", ["prescriber_id", "name", "facility_id", "specialty"], [
        ["PH1", "赵药师", "F01", "pharmacy"], ["DR1", "王医生", "F02", "cardiology"]])
    write_table(folder, "drugs", ["drug_code", "name", "unit_price", "max_daily_units", "controlled"],
                [["D01", "阿托伐他汀钙片", "3.50", "2", "false"]])
    cols = ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount", "fund_paid", "self_paid", "kind",
            "patient_id", "prescriber_id", "operator_id"]
    write_table(folder, "settlements", cols, [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy", "P001", "PH1", "OP1"],
        ["S002", "C002", "F01", "2026-03-09T10:00:00", "98.00", "68.60", "29.40", "pharmacy", "P002", "PH1", "OP1"],
        ["S003", "C003", "F02", "2025-11-02T10:00:00", "200.00", "150.00", "50.00", "outpatient", "P003", "DR1", "OP2"],
        ["S004", "C003", "F02", "2025-12-15T10:00:00", "200.00", "150.00", "50.00", "outpatient", "P003", "DR1", "OP2"],
        ["S005", "C004", "F02", "2026-01-10T10:00:00", "200.00", "150.00", "50.00", "outpatient", "P004", "DR1", ""],
        ["S006", "C004", "F02", "2026-02-01T10:00:00", "200.00", "150.00", "50.00", "outpatient", "P004", "DR1", ""],
        ["S007", "C005", "F03", "2026-02-02T10:00:00", "60.00", "50.00", "10.00", "outpatient", "P005", "", ""],
        ["S008", "C006", "F03", "2026-02-03T10:00:00", "60.00", "50.00", "10.00", "outpatient", "P006", "", ""],
    ])
    write_table(folder, "dispensings", ["settlement_id", "line_no", "drug_code", "quantity", "amount", "trace_code"], [
        ["S001", "1", "D01", "28", "98.00", "81234567890123456789"],
        ["S002", "1", "D01", "28", "98.00", "81234567890123456789"]])
    write_table(folder, "employers", ["employer_id", "name", "region_code", "phone", "address"], [
        ["E01", "某某科技有限公司", "110101", "01088889999", "北京市朝阳区建国路88号"]])
    write_table(folder, "employments", ["patient_id", "employer_id", "start_on"], [["P004", "E01", "2025-01-01"]])
    return folder


def build_tip_workspace(workspace: Path, tmp_path: Path, kind: str = "duckdb") -> Path:
    drop = tip_drop(tmp_path / "tipdrop")
    store = open_store(kind, workspace)
    try:
        store.ingest_drop(drop, HeaderMapping())
    finally:
        store.close()
    (workspace / "rings.json").write_text(json.dumps(RINGS, ensure_ascii=False), encoding="utf-8")
    (workspace / "ringscope.toml").write_text(
        USERS.format(**{k: password_hash(v) for k, v in PASSWORDS.items()}), encoding="utf-8")
    return workspace


@pytest.fixture(scope="session")
def tip_template(tmp_path_factory):
    """Built once per session (ingest is the slow part); each test gets its own copy."""
    base = tmp_path_factory.mktemp("tip-template")
    return build_tip_workspace(base / "ws", base)


@pytest.fixture
def tip_ws(tip_template, tmp_path, monkeypatch):
    monkeypatch.delenv("RINGSCOPE_TIP_KEY", raising=False)
    monkeypatch.delenv("RINGSCOPE_USERS_FILE", raising=False)
    monkeypatch.delenv("RINGSCOPE_CONFIG", raising=False)
    return Path(shutil.copytree(tip_template, tmp_path / "ws"))


@pytest.fixture
def tip_env(tip_ws):
    """(config, tip context, open DuckDB store) on the tip workspace."""
    from ringscope.app.tips.service import TipContext
    from ringscope.graph.factory import open_store as open_cfg_store

    cfg = load_config(workspace=tip_ws, env={})
    store = open_cfg_store(cfg.store)
    yield cfg, TipContext.from_config(cfg), store
    store.close()


def write_tip(path: Path, entities: list[tuple[str, str]], text: str = "有人倒卖医保药品", contact: str = "微信 wx_tipster_88",
              received_at: str = "2026-11-20T09:30:00") -> Path:
    doc = {"received_at": received_at, "channel": "wechat", "text": text, "contact": contact,
           "entities": [{"type": t, "value": v} for t, v in entities]}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
