"""An explorer workspace: a tiny drop, two rings, three users; on either store (fixtures for every folder, tests/conftest.py)."""
from __future__ import annotations

import json
import shutil
from contextlib import nullcontext
from pathlib import Path

import pytest

from ringscope.ingest.mapping import HeaderMapping
from tests.drops import VALID_ID, minimal_drop, write_table
from tests.passwords import password_hash
from tests.stores import neo4j_test_lock, open_store, require_neo4j

PASSWORDS = {"li": "li-pw", "zhao": "zhao-pw", "an": "an-pw"}
USERS_TOML = """
[app]
language = "zh"
[app.users.li]
role = "investigator"
password_hash = "{li}"
[app.users.zhao]
role = "supervisor"
password_hash = "{zhao}"
[app.users.an]
role = "analyst"
password_hash = "{an}"
"""

RINGS = {
    "contract": 1, "generated_at": "2026-11-24T10:00:00+08:00",
    "rings": [
        {"ring_id": "R-000001", "scheme": "trace_resale", "score": 0.97,
         "members": [{"type": "patient", "id": "P001", "role": "seller"},
                     {"type": "patient", "id": "P002", "role": "seller"},
                     {"type": "facility", "id": "F01", "role": "reseller"}],
         "fund_loss": 137.20, "settlement_ids": ["S001", "S002"], "claim_ids": [],
         "evidence": [{"kind": "duplicate_trace_code",
                       "text": f"Trace code 81234567890123456789 sold by 张三 (ID {VALID_ID}, phone 13800000001) "
                               "was reimbursed twice.",
                       "text_zh": f"追溯码 81234567890123456789 由张三（身份证 {VALID_ID}，电话 13800000001）"
                                  "出售后被重复报销两次。"}]},
        {"ring_id": "R-000002", "scheme": "borrowed_cards", "score": 0.55,
         "members": [{"type": "card", "id": "C002", "role": "borrowed"}],
         "fund_loss": 68.60, "settlement_ids": ["S002"],
         "evidence": [{"kind": "card_far_from_home", "text": "Card used far from home.", "text_zh": "医保卡异地使用。"}]},
    ],
}


def build_workspace(workspace: Path, store_kind: str, tmp_path: Path) -> Path:
    drop = minimal_drop(tmp_path / "drop")
    write_table(drop, "settlements", ["settlement_id", "card_id", "facility_id", "settled_at", "total_amount",
                                      "fund_paid", "self_paid", "kind", "device_id", "patient_id"], [
        ["S001", "C001", "F01", "2026-03-01T09:00:00", "98.00", "68.60", "29.40", "pharmacy", "DEV1", "P001"],
        ["S002", "C002", "F01", "2026-03-09T10:00:00", "98.00", "68.60", "29.40", "pharmacy", "DEV1", "P002"],
    ])
    store = open_store(store_kind, workspace)
    try:
        store.ingest_drop(drop, HeaderMapping())  # the Neo4j store projects the drop as it ingests
    finally:
        store.close()
    (workspace / "rings.json").write_text(json.dumps(RINGS, ensure_ascii=False), encoding="utf-8")
    (workspace / "ringscope.toml").write_text(
        USERS_TOML.format(**{k: password_hash(v) for k, v in PASSWORDS.items()}), encoding="utf-8")
    return workspace


@pytest.fixture(scope="session")
def explorer_template(tmp_path_factory) -> Path:
    """The embedded-store workspace, built once per session (the ingest is the slow part); each test gets a copy."""
    base = tmp_path_factory.mktemp("explorer-template")
    return build_workspace(base / "ws", "duckdb", base)


@pytest.fixture(params=["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def explorer_ws(request, tmp_path, monkeypatch):
    """A workspace the explorer opens through the environment, as `ringscope explore` sets it."""
    kind = request.param
    workspace = tmp_path / "ws"
    with neo4j_test_lock() if kind == "neo4j" else nullcontext():
        yield from _explorer_ws(kind, workspace, tmp_path, monkeypatch, request)


def _explorer_ws(kind, workspace, tmp_path, monkeypatch, request):
    if kind == "neo4j":  # one server database, wiped per test: loaded again every time
        cfg = require_neo4j()
        monkeypatch.setenv("NEO4J_URI", cfg.uri)
        monkeypatch.setenv("NEO4J_USER", cfg.user)
        monkeypatch.setenv("NEO4J_PASSWORD", cfg.password)
        build_workspace(workspace, kind, tmp_path)
    else:  # tests write (triage, audit log, rings.json): a private copy of the shared workspace
        shutil.copytree(request.getfixturevalue("explorer_template"), workspace)
    monkeypatch.setenv("RINGSCOPE_WORKSPACE", str(workspace))
    monkeypatch.setenv("RINGSCOPE_STORE", kind)
    monkeypatch.delenv("RINGSCOPE_CONFIG", raising=False)
    monkeypatch.delenv("RINGSCOPE_USERS_FILE", raising=False)
    yield workspace
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
