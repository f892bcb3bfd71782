"""Entry point of the explorer (``ringscope explore`` runs ``streamlit run`` on this file).

Only navigation lives here; each page draws the shared sidebar itself
(``session.current()``), which keeps the sidebar widgets stable across reruns.
"""
import streamlit as st

from ringscope.app.explorer import session

st.set_page_config(page_title="RingScope", page_icon="🕸️", layout="wide")
tr = session.translator()
pages = [
    st.Page("pages/overview.py", title=tr("nav.overview"), url_path="overview", default=True),
    st.Page("pages/queue.py", title=tr("nav.queue"), url_path="queue"),
    st.Page("pages/ring.py", title=tr("nav.ring"), url_path="ring"),
    st.Page("pages/search.py", title=tr("nav.search"), url_path="search"),
    st.Page("pages/tips.py", title=tr("tips.nav"), url_path="tips"),
    st.Page("pages/drg.py", title=tr("nav.drg"), url_path="drg"),
]
try:
    st.navigation(pages).run()
finally:
    session.close_store()  # never hold the workspace between runs
