"""One entity, or the shortest path between two, at a URL of its own (shareable, stays on screen).

``entity?node=Card:C001`` shows the card and its neighbourhood; ``entity?node=A&to=B`` the shortest
path between A and B.  Everything shown comes from the URL, so a link in a report or a message
opens the same view, and changing another widget never loses a path.
"""
import streamlit as st

from ringscope.app.explorer import session
from ringscope.app.links import entity_url, path_url
from ringscope.app.views import search as sv
from ringscope.graph.store import NodeRef

MAX_HOPS = 8


def parse_ref(value: str | None) -> NodeRef | None:
    """``Label:ID`` as written in the URL, or None."""
    if not value or ":" not in value:
        return None
    label, node_id = value.split(":", 1)
    return NodeRef(label, node_id) if label and node_id else None


ctx = session.current()
tr = ctx.tr
st.title(tr("picture.entity_title"))
start = parse_ref(st.query_params.get("node"))
end = parse_ref(st.query_params.get("to"))
node = ctx.store.get_node(start.label, start.id) if start else None
if start is None or node is None:
    st.info(tr("picture.entity_none"))
    st.stop()
mask = session.masked_for(ctx, f"entity:{start.key}", {"page": "entity"})
st.markdown(f"**{sv.option_label(node, tr, mask)}**")
if end is None:
    st.caption(f"{tr('picture.share_link')}: [{entity_url(start.key)}]({entity_url(start.key)})")
    hops = st.slider(tr("search.hops"), 1, 3, 1, key="e_hops")
    sub = sv.neighbourhood(ctx.store, start, hops)
    if sub.truncated:
        st.caption(tr("search.truncated", limit=len(sub.nodes)))
    st.iframe(sv.graph_html(sub, ctx.lang, mask, [start]), height=620)
else:
    st.caption(f"{tr('picture.path_link')}: [{path_url(start.key, end.key)}]({path_url(start.key, end.key)})")
    path = ctx.store.shortest_path(start, end, max_hops=MAX_HOPS)
    if path is None:
        st.warning(tr("search.no_path", hops=MAX_HOPS))
    else:
        st.markdown(tr("search.path_len", n=len(path.edges)))
        st.markdown(" ".join(sv.path_steps(path, start, tr, mask)))
        st.iframe(sv.graph_html(path, ctx.lang, mask, [start, end]), height=620)

session.close_store()  # release the workspace until the next run
