"""zh pages show no code word in their table cells (st.dataframe draws on a canvas, which the browser text
check cannot read, so the cells are read here from the app itself)."""
from __future__ import annotations

from tests.app.apptest import open_page, start
from tests.vocabulary import code_words_in


def table_text(at) -> str:
    """Every header and cell of every table the page shows."""
    parts = [df.value.to_csv() for df in at.dataframe]
    parts += [t.value.to_csv() for t in at.table]
    return "\n".join(parts)


def test_zh_table_cells_hold_no_code_word(explorer_ws):
    found = {}
    at = start()
    found["overview"] = code_words_in(table_text(at))
    found["queue"] = code_words_in(table_text(open_page(at, "screens/queue.py")))
    for ring_id in ("R-000001", "R-000002"):
        at.session_state["ring_id"] = ring_id
        at.query_params["ring"] = ring_id
        found[ring_id] = code_words_in(table_text(open_page(at, "screens/ring.py")))
    assert {page: words for page, words in found.items() if words} == {}
