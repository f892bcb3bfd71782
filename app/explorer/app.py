"""Entry point of the explorer (``ringscope explore`` runs ``streamlit run`` on this file).

Only navigation lives here (the page scripts are in ``screens/``, not ``pages/``: a ``pages/``
folder beside this file switches Streamlit to its old multipage mode for a session whose first
request is a deep link such as ``/ring?ring=R-000001``, which then shows file names as navigation,
loses the wide layout and skips this file); each page draws the shared sidebar itself
(``session.current()``), which keeps the sidebar widgets stable across reruns.
"""
import streamlit as st

from ringscope.app.explorer import session

st.set_page_config(page_title="RingScope", page_icon="🕸️", layout="wide")
tr = session.translator()
# Headline figures wrap instead of being cut off ("14,066,53…"): Streamlit's metric truncates with an ellipsis.
st.html("<style>[data-testid='stMetricValue'] *, [data-testid='stMetricLabel'] * {white-space: normal !important; "
        "overflow: visible !important; text-overflow: clip !important; overflow-wrap: anywhere;}</style>")
pages = [
    st.Page("screens/overview.py", title=tr("nav.overview"), default=True),  # served at / (a default page has no path)
    st.Page("screens/queue.py", title=tr("nav.queue"), url_path="queue"),
    st.Page("screens/ring.py", title=tr("nav.ring"), url_path="ring"),
    st.Page("screens/search.py", title=tr("nav.search"), url_path="search"),
    st.Page("screens/entity.py", title=tr("nav.entity"), url_path="entity"),
    st.Page("screens/tips.py", title=tr("tips.nav"), url_path="tips"),
    st.Page("screens/drg.py", title=tr("nav.drg"), url_path="drg"),
]
try:
    st.navigation(pages).run()
finally:
    session.close_store()  # never hold the workspace between runs
