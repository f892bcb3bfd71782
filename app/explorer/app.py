"""Entry point of the explorer (``ringscope explore`` runs ``streamlit run`` on this file)."""
import streamlit as st

from ringscope.app.explorer import session
from ringscope.app.i18n import Translator

st.set_page_config(page_title="RingScope", page_icon="🕸️", layout="wide")
ctx = session.context()
st.session_state["_ctx"] = ctx
tr: Translator = ctx.tr
pages = [
    st.Page("pages/overview.py", title=tr("nav.overview"), url_path="overview", default=True),
    st.Page("pages/queue.py", title=tr("nav.queue"), url_path="queue"),
    st.Page("pages/ring.py", title=tr("nav.ring"), url_path="ring"),
    st.Page("pages/search.py", title=tr("nav.search"), url_path="search"),
]
st.navigation(pages).run()
