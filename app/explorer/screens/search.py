"""Entity search and link analysis: find an entity, expand hop by hop, shortest path."""
import streamlit as st

from ringscope.app.errors import UserError
from ringscope.app.explorer import session
from ringscope.app.links import path_url
from ringscope.app.views import search as sv

ctx = session.current()
tr = ctx.tr
st.title(tr("search.title"))
labels = st.multiselect(tr("search.labels"), list(sv.SEARCHABLE), default=list(sv.SEARCHABLE),
                        format_func=lambda lb: tr.maybe(f"label.{lb}", lb), key="s_labels")
query = st.text_input(tr("search.query"), key="s_query")
if ctx.mask:
    st.caption(tr("search.masked_search"))


def _lookup_key():
    """The tip-offs' keyed hash key (ID numbers and phones are matched on it), or None with the error shown."""
    try:
        return sv.lookup_key(ctx.cfg)
    except UserError as exc:
        st.error(str(exc))
        return None


key = _lookup_key()
session.audit_search(ctx, query, labels, sv.query_hash(query, key))
found = sv.search_entities(ctx.store, query, labels, masked=ctx.mask, key=key)
mask = session.masked_for(ctx, "search", {"page": "search"}) if found else ctx.mask
if query and not found:
    st.info(tr("search.none"))
if found:
    st.subheader(tr("search.results"))
    st.dataframe(sv.result_rows(found, tr, mask), hide_index=True, key="search_results")
    start = st.selectbox(tr("search.pick"), found, format_func=lambda n: sv.option_label(n, tr, mask), key="s_pick")
    hops = st.slider(tr("search.hops"), 1, 4, 1, key="s_hops")
    sub = sv.neighbourhood(ctx.store, start.ref, hops)
    st.subheader(tr("search.neighbourhood"))
    if sub.truncated:
        st.caption(tr("search.truncated", limit=len(sub.nodes)))
    st.iframe(sv.graph_html(sub, ctx.lang, mask, [start.ref]), height=580)

    st.subheader(tr("search.path_title"))
    query2 = st.text_input(tr("search.second_query"), key="s_query2")
    session.audit_search(ctx, query2, labels, sv.query_hash(query2, key))
    ends = sv.search_entities(ctx.store, query2, labels, masked=ctx.mask, key=key)
    if ends:
        end = st.selectbox(tr("search.to"), ends, format_func=lambda n: sv.option_label(n, tr, mask), key="s_end")
        if st.button(tr("search.find_path"), key="s_find_path"):
            # kept in the session: the path stays on screen when another widget changes (a rerun)
            st.session_state["s_path"] = (start.ref, end.ref, ctx.store.shortest_path(start.ref, end.ref, max_hops=8))
        kept = st.session_state.get("s_path")
        if kept and kept[0] == start.ref and kept[1] == end.ref:
            path = kept[2]
            link = path_url(start.ref.key, end.ref.key)
            st.caption(f"{tr('picture.path_link')}: [{link}]({link})")
            if path is None:
                st.warning(tr("search.no_path", hops=8))
            else:
                st.markdown(tr("search.path_len", n=len(path.edges)))
                st.markdown(" ".join(sv.path_steps(path, start.ref, tr, mask)))
                st.iframe(sv.graph_html(path, ctx.lang, mask, [start.ref, end.ref]), height=620)
    elif query2:
        st.info(tr("search.none"))

session.close_store()  # release the workspace until the next run
