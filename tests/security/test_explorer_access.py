"""Items 6, 8, 9 in the explorer: notes masked, search is no oracle, writes need a login."""
from __future__ import annotations

import duckdb
import pytest

from ringscope.app import audit, triage
from tests.app.apptest import login, open_page, shown_text, start
from tests.app.explorer_workspace import PASSWORDS
from tests.drops import VALID_ID

NOTE = f"约谈张三，证件 ID{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}，电话 +86 138-0000-0001"


def _store_note(ws) -> None:
    con = duckdb.connect(str(ws / "ringscope.duckdb"))
    try:
        triage.set_triage(con, "R-000001", "investigating", "王芳", NOTE, updated_by="zhao")
    finally:
        con.close()


def _secrets_in(text: str) -> list[str]:
    squeezed = text.replace(" ", "").replace("-", "")
    return [s for s in ("张三", VALID_ID[6:14], "13800000001") if s in squeezed]


def test_triage_note_masked_for_anonymous_and_masked_visitors(explorer_ws):
    _store_note(explorer_ws)
    at = open_page(start(), "screens/ring.py")
    text = shown_text(at)
    assert "约谈" in text and _secrets_in(text) == []
    at = open_page(login(start(), "li", PASSWORDS["li"]), "screens/ring.py")  # may unmask, has not
    assert _secrets_in(shown_text(at)) == []


def test_masked_viewer_adds_to_notes_without_destroying_them(explorer_ws):
    _store_note(explorer_ws)
    at = open_page(login(start(), "an", PASSWORDS["an"]), "screens/ring.py")
    at.text_area(key="triage_notes_R-000001").input("已复核").run()
    next(b for b in at.button if b.key == "triage_save_R-000001").click().run()
    con = duckdb.connect(str(explorer_ws / "ringscope.duckdb"))
    try:
        assert triage.get_triage(con, "R-000001").notes == NOTE + "\n已复核"
    finally:
        con.close()


def test_anonymous_visitor_cannot_write_when_users_are_configured(explorer_ws):
    at = open_page(start(), "screens/ring.py")
    save = next(b for b in at.button if b.key == "triage_save_R-000001")
    assert save.disabled
    assert at.selectbox(key="triage_status_R-000001").disabled
    con = duckdb.connect(str(explorer_ws / "ringscope.duckdb"))
    try:
        assert triage.triage_history(con, "R-000001") == []
    finally:
        con.close()
    assert not audit.read_events(explorer_ws, action=audit.TRIAGE)


def _search(at, text: str, labels=None):
    if labels is not None:
        at.multiselect(key="s_labels").set_value(labels).run()
    at.text_input(key="s_query").input(text).run()
    return at


@pytest.mark.parametrize("query,labels", [("张三", None), ("张", ["Patient"]), ("138", ["Phone"]),
                                          ("1380000000", ["Phone"]), (VALID_ID[:10], None)])
def test_masked_search_cannot_confirm_or_spell_out_a_value(explorer_ws, query, labels):
    at = _search(open_page(start(), "screens/search.py"), query, labels)
    assert not at.dataframe, f"{query!r} found something for an anonymous visitor"
    events = audit.read_events(explorer_ws, action="search")
    assert events and events[-1]["user"] == "anonymous"


def test_full_identifier_lookup_works_and_is_audited_masked(explorer_ws):
    at = _search(open_page(start(), "screens/search.py"), "138 0000 0001")
    assert at.dataframe and "138****0001" in at.dataframe[0].value.to_csv()
    at = _search(open_page(start(), "screens/search.py"), VALID_ID)
    assert "P001" in at.dataframe[0].value.to_csv()
    logged = [e["details"]["query"] for e in audit.read_events(explorer_ws, action="search")]
    assert logged and all("0000" not in q and VALID_ID not in q for q in logged)


def test_unmasked_investigator_searches_by_name(explorer_ws):
    at = login(start(), "li", PASSWORDS["li"])
    at.sidebar.toggle(key="unmask_widget").set_value(True).run()
    at = _search(open_page(at, "screens/search.py"), "张三")
    assert at.dataframe and "P001" in at.dataframe[0].value.to_csv()
