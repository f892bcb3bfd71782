"""Driving the explorer with Streamlit's AppTest: open pages, log in, read everything shown."""
from __future__ import annotations

import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app" / "explorer" / "app.py")
PAGES = ("screens/overview.py", "screens/queue.py", "screens/ring.py", "screens/search.py", "screens/entity.py")


def start(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = lang  # the language the sidebar radio keeps
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(page).run()


def login(at: AppTest, name: str, password: str) -> AppTest:
    at.sidebar.text_input(key="login_name").input(name)
    at.sidebar.text_input(key="login_password").input(password)
    return at.sidebar.button(key="login_button").click().run()


def _walk(node):
    kids = getattr(node, "children", None)
    if isinstance(kids, dict):
        for child in kids.values():
            yield from _walk(child)
    else:
        yield node


def shown_text(at: AppTest) -> str:
    """Every string the page shows: text elements, table cells, metrics, chart data and graph HTML."""
    parts = []
    for el in _walk(at._tree):
        kind = getattr(el, "type", "")
        if kind == "dataframe":
            parts.append(el.value.to_csv())
        elif kind == "plotly_chart":
            parts.append(json.dumps(json.loads(el.proto.spec), ensure_ascii=False))
        elif kind == "iframe":
            parts.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), el.proto.srcdoc))
        else:
            for attr in ("value", "label", "body"):
                v = getattr(el, attr, None)
                if isinstance(v, str):
                    parts.append(v)
    return "\n".join(parts)


def graph_html(at: AppTest) -> str:
    frames = at.get("iframe")
    return frames[0].proto.srcdoc if frames else ""


RING_TABLES = ("edges_table", "members_table", "timeline_table", "fund_loss_table", "chains_table")


def ring_tables(at: AppTest) -> dict:
    """The ring page's tables, by name (they are drawn in this order, one per tab)."""
    return dict(zip(RING_TABLES, (df.value for df in at.dataframe)))


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()
