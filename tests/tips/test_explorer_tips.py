"""The tip page and the ring page's tip and point sections, driven by AppTest on a real store."""
from __future__ import annotations

import pytest

from ringscope.app.config import load_config
from ringscope.app.tips.service import TipContext, add_tip_file
from ringscope.app.triage import set_triage
from ringscope.graph.factory import open_store
from tests.app.apptest import login, open_page, shown_text, start
from tests.drops import VALID_ID
from tests.tips.conftest import PASSWORDS, write_tip

TEXT = f"张三（身份证{VALID_ID}，电话13800000001）把药卖给仁和大药房。"


def _walk_tables(at):
    from tests.app.apptest import _walk

    return "\n".join(el.value.to_csv() for el in _walk(at._tree) if getattr(el, "type", "") in ("table", "arrow_table"))


def seed(workspace, tmp_path):
    """A confirmed ring R-000001 and a tip T-000001 that names its seller."""
    cfg = load_config(workspace=workspace, env={})
    with open_store(cfg.store) as st:
        set_triage(st.relational().cursor(), "R-000001", "confirmed", updated_by="zhao")
        add_tip_file(TipContext.from_config(cfg), st, write_tip(tmp_path / "t.json", [("id_number", VALID_ID)],
                                                                 text=TEXT, contact="wx_tipster_88"), "li")


@pytest.fixture
def explorer_tip_ws(tip_ws, tmp_path, monkeypatch):
    seed(tip_ws, tmp_path)
    monkeypatch.setenv("RINGSCOPE_WORKSPACE", str(tip_ws))
    monkeypatch.setenv("RINGSCOPE_STORE", "duckdb")
    yield tip_ws
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()


def test_tip_page_masks_text_and_never_shows_the_contact(explorer_tip_ws):
    at = open_page(start("zh"), "screens/tips.py")
    assert not at.exception, at.exception
    text = shown_text(at) + _walk_tables(at)
    assert "T-000001" in text and "R-000001" in text and "直接点名" in text
    assert "张*" in text and "张三" not in text and VALID_ID not in text and "13800000001" not in text
    assert "wx_tipster_88" not in text and "tipster_contact" in text  # the caption says which right is needed
    assert "1101************14" in text  # the ID number as reported: its mask only


def test_investigator_unmasks_the_text_but_id_numbers_stay_hashed(explorer_tip_ws):
    at = login(start("zh"), "li", PASSWORDS["li"])
    at.sidebar.toggle(key="unmask_widget").set_value(True).run()
    at = open_page(at, "screens/tips.py")
    text = shown_text(at) + _walk_tables(at)
    assert "张三" in text and VALID_ID in text  # the free text in clear for a user with unmask
    assert "1101************14" in text  # the named ID number exists only as mask and hash


def test_ring_page_shows_its_tip_and_members_points(explorer_tip_ws):
    at = open_page(start("zh"), "screens/ring.py")
    assert not at.exception, at.exception
    tables = _walk_tables(at)
    assert "T-000001" in tables and "药师 PH1" in tables and "终止医保支付资格" in tables
    assert "经办人员 OP1" in tables


def test_supervisor_confirms_a_proposal_on_the_ring_page_and_it_is_audited(explorer_tip_ws):
    from ringscope.app import audit
    from ringscope.app.points import store as point_store

    at = open_page(login(start("zh"), "li", PASSWORDS["li"]), "screens/ring.py")
    assert "须由具有 confirm_points 权限的主管确认或驳回拟记分。" in shown_text(at)  # investigator: no buttons
    assert not [b for b in at.button if b.key and b.key.startswith("points_confirmed")]
    at = open_page(login(start("zh"), "zhao", PASSWORDS["zhao"]), "screens/ring.py")
    entry = at.selectbox(key="points_pick_R-000001").value
    assert isinstance(entry, str), "no proposal to pick"
    at.text_input(key="points_note_R-000001").input("处方与结算单已核对")
    at = at.button(key="points_confirmed_R-000001").click().run()
    assert not at.exception, at.exception
    assert "已确认" in _walk_tables(at)
    cfg = load_config(workspace=explorer_tip_ws, env={})
    with open_store(cfg.store) as st:
        stored = point_store.get_entry(st.relational(), entry)
    assert stored is not None
    assert (stored.status, stored.decided_by, stored.note) == ("confirmed", "zhao", "处方与结算单已核对")
    assert [e["action"] for e in audit.read_events(explorer_tip_ws) if e["target"] == f"points:{entry}"] == \
        ["points_confirm"]
