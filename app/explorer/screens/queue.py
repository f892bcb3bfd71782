"""Ring queue: a sortable, filterable table of rings; one click opens a ring."""
import streamlit as st

from ringscope.app.explorer import session
from ringscope.app.figures import money_column_config
from ringscope.app.triage import STATUSES, all_triage
from ringscope.app.views import overview as ov
from ringscope.app.views.queue import SORTABLE, QueueFilter, display_table, filter_queue, ring_url

ctx = session.current()
tr = ctx.tr
st.title(tr("queue.title"))
ring_set = session.rings_or_stop(ctx)
con = ctx.store.relational()
table = ov.ring_table(ring_set, con, all_triage(con.cursor(), [r.ring_id for r in ring_set.rings]), ctx.lang)
c1, c2, c3, c4 = st.columns(4)
schemes = c1.multiselect(tr("queue.filter_scheme"), sorted(table["scheme"].unique()),
                         format_func=lambda s: tr.maybe(f"scheme.{s}", s), key="q_schemes")
statuses = c2.multiselect(tr("queue.filter_status"), list(STATUSES), format_func=lambda s: tr(f"status.{s}"),
                          key="q_statuses")
provinces = c3.multiselect(tr("queue.filter_province"), sorted(table["province"].unique()), key="q_provinces")
assignee = c4.text_input(tr("queue.assignee"), key="q_assignee")
c5, c6, c7, c8 = st.columns(4)
min_score = c5.slider(tr("queue.min_score"), 0.0, 1.0, 0.0, 0.05, key="q_min_score")
min_loss = c6.number_input(tr("queue.min_fund_loss"), min_value=0.0, value=0.0, step=1000.0, key="q_min_loss")
sort_by = c7.selectbox(tr("queue.sort_by"), list(SORTABLE), format_func=lambda c: tr(f"col.{c}"), key="q_sort")
descending = c8.checkbox(tr("queue.descending"), value=True, key="q_desc")
shown = filter_queue(table, QueueFilter(tuple(schemes), tuple(statuses), tuple(provinces), min_score, min_loss,
                                        assignee, sort_by, descending))
st.caption(tr("queue.count", shown=len(shown), total=len(table)) + " · " + tr("queue.open_hint"))
# The ring id is a link to the ring's own URL (ring?ring=ID): one click on it opens the ring, and the
# link can be copied and shared; ticking a row opens it too.
link_col = tr("col.ring_id")
event = st.dataframe(display_table(shown, tr).assign(**{link_col: [ring_url(r) for r in shown["ring_id"]]}),
                     hide_index=True, on_select="rerun", selection_mode="single-row", key="queue_table",
                     column_config={link_col: st.column_config.LinkColumn(display_text=r"ring\?ring=(.*)$"),
                                    **money_column_config(shown.columns, lambda c: tr(f"col.{c}"))})
picked = event.selection.rows if event is not None and hasattr(event, "selection") else []
if picked:
    st.session_state["ring_id"] = shown.iloc[picked[0]]["ring_id"]
    st.switch_page("screens/ring.py")
if not shown.empty:
    c9, c10 = st.columns([3, 1])
    choice = c9.selectbox(tr("queue.pick_ring"), list(shown["ring_id"]), key="q_pick")
    if c10.button(tr("queue.open_ring"), key="q_open"):
        st.session_state["ring_id"] = choice
        st.switch_page("screens/ring.py")

session.close_store()  # release the workspace until the next run
