"""Ring detail: network, members, evidence, timeline, fund loss, resale chains, triage, export."""
import streamlit as st

from ringscope.app import audit
from ringscope.app.entity_view import edge_table, txn_count
from ringscope.app.explorer import ring_tips, session
from ringscope.app.figures import money_column_config, yuan
from ringscope.app.free_text import mask_free_text
from ringscope.app.ring_graph import drill, prepare_graph, to_html
from ringscope.app.ring_source import RingRecord
from ringscope.app.triage import STATUSES, get_triage, set_triage
from ringscope.app.views import referral
from ringscope.app.views.ring_detail import build_ring_detail, localise_columns, store_graph, timeline_chart
from ringscope.app.views.triage_history import history_table


@st.cache_data(show_spinner=False, max_entries=16, ttl=900)
def detail(workspace: str, kind: str, source: str, ring_id: str, lang: str, mask: bool, _store, _ring: RingRecord):
    return build_ring_detail(_store, _ring, lang=lang, mask=mask)


def pick_ring(ids: list[str]) -> str:
    """The ring named by the URL (``?ring=ID``; ``ring_id`` is read too), kept in the URL so it can be shared."""
    wanted = (st.query_params.get("ring") or st.query_params.get("ring_id") or st.session_state.get("ring_id")
              or ids[0])
    if wanted not in ids:
        st.warning(tr("ring.not_found", ring_id=wanted))
        wanted = ids[0]
    if st.session_state.get("ring_pick") not in ids or st.session_state.get("_ring_url") != wanted:
        st.session_state["ring_pick"] = wanted  # the URL wins over a stale widget value
    st.session_state["_ring_url"] = wanted
    chosen = st.selectbox(tr("ring.pick"), ids, key="ring_pick")
    st.session_state["ring_id"] = st.session_state["_ring_url"] = chosen
    st.query_params.clear()
    st.query_params["ring"] = chosen
    return chosen


def picture_section(d, mask: bool) -> None:
    """The entity picture with, beside it, the folded links: one click on a row expands its settlements."""
    st.subheader(tr("picture.title"))
    pic = d.picture
    st.caption(tr("picture.nodes_edges", nodes=len(pic.nodes), edges=len(pic.edges), txns=txn_count(pic)) + " · "
               + tr("picture.default_hint"))
    left, right = st.columns([3, 2])
    with left:
        st.iframe(d.html, height=720)
    with right:
        st.markdown(f"**{tr('picture.edges_title')}**")
        table = edge_table(pic, tr, mask)
        event = st.dataframe(table.rename(columns=lambda c: tr(f"picture.col.{c}")), hide_index=True, height=320,
                             on_select="rerun", selection_mode="single-row", key=f"edges_{d.ring.ring_id}",
                             column_config=money_column_config(["money"], lambda c: tr(f"picture.col.{c}")))
        rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
        if not rows:
            st.caption(tr("picture.expand_hint"))
            return
        edge = pic.edge_list()[rows[0]]
        st.markdown(tr("picture.expanded", source=table.iloc[rows[0]]["source"], target=table.iloc[rows[0]]["target"],
                       kind=table.iloc[rows[0]]["kind"], count=f"{edge.count:,}"))
        shown = d.timeline[d.timeline["id"].isin(edge.settlements)]
        show_table(shown, f"edge_txns_{d.ring.ring_id}")


def store_graph_section(d, mask: bool) -> None:
    """The store's own subgraph (settlements, trace codes): seconds on big rings, so only on request."""
    if not st.toggle(tr("picture.full_graph"), key=f"full_graph_{d.ring.ring_id}"):
        return
    g = store_graph(ctx.store, d.ring, d.chains, lang=ctx.lang, mask=mask)
    st.caption(tr("ring.subgraph_size", nodes=len(g.subgraph.nodes), edges=len(g.subgraph.edges)))
    if g.subgraph.truncated:
        st.warning(tr("ring.truncated", limit=len(g.subgraph.nodes)))
    html = g.html
    if g.view.collapsed:
        st.info(tr("ring.collapsed", nodes=len(g.subgraph.nodes)))
        groups = sorted(g.view.groups, key=lambda k: -len(g.view.groups[k]))
        names = {n.key: n.text for n in g.view.nodes}
        group = st.selectbox(tr("ring.drill"), [""] + groups, key="drill_group",
                             format_func=lambda k: names.get(k, k) if k else tr("ring.drill_none"))
        if group:
            roles = {n.key: n.role for n in g.view.nodes if n.role}
            html = to_html(prepare_graph(drill(g.subgraph, group), roles, lang=ctx.lang, mask=mask, chains=d.chains),
                           lang=ctx.lang)
    st.iframe(html, height=660)


def history_section(con, ring_id: str, mask: bool) -> None:
    """Who changed the ring's triage, when, from which status to which, with the note (newest first)."""
    st.markdown(f"**{tr('history.title')}**")
    table = history_table(con.cursor(), ring_id, tr, mask)
    if table.empty:
        st.caption(tr("history.none"))
    else:
        st.table(table, hide_index=True)  # a short log: a plain table, readable and searchable


def show_table(df, key: str) -> None:
    """A ring table with localised headers; money columns in 元 with separators and two decimals (app.figures)."""
    st.dataframe(localise_columns(df, tr), hide_index=True, key=key,
                 column_config=money_column_config(df.columns, lambda c: tr.maybe(f"col.{c}", c)))


ctx = session.current()
tr = ctx.tr
st.title(tr("ring.title"))
ring_set = session.rings_or_stop(ctx)
ring_id = pick_ring([r.ring_id for r in ring_set.rings])
ring = ring_set.get(ring_id)
if ring is None:  # the picker offers only ids of this ring set
    st.stop()
mask = session.masked_for(ctx, f"ring:{ring_id}", {"page": "ring"})
d = detail(str(ctx.cfg.workspace), ctx.store.kind, ring_set.source, ring_id, ctx.lang, mask, ctx.store, ring)
st.markdown("**" + tr("ring.summary", ring_id=ring.ring_id, scheme=tr.maybe(f"scheme.{ring.scheme}", ring.scheme),
                      score=f"{ring.score:.3f}", size=ring.size, fund_loss=yuan(ring.fund_loss)) + "**")
st.caption(f"{tr('picture.share_link')}: [ring?ring={ring_id}](ring?ring={ring_id})")
picture_section(d, mask)
store_graph_section(d, mask)

tabs = st.tabs([tr("ring.evidence"), tr("ring.members"), tr("ring.timeline"), tr("ring.fund_loss"), tr("ring.chains")])
with tabs[0]:
    if d.evidence:
        for line in d.evidence:
            st.markdown("- " + line.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_"))
    else:
        st.caption(tr("ring.no_evidence"))
with tabs[1]:
    show_table(d.members, "members_table")
with tabs[2]:
    if not d.timeline.empty:
        st.plotly_chart(timeline_chart(d.timeline, tr), key="timeline_chart")
    show_table(d.timeline, "timeline_table")
with tabs[3]:
    show_table(d.fund_loss, "fund_loss_table")
with tabs[4]:
    if d.chains:
        st.caption(tr("ring.chains_count", count=len(d.chains)))
        show_table(d.chain_table, "chains_table")
    else:
        st.caption(tr("ring.no_chains"))

st.subheader(tr("ring.triage"))
con = ctx.store.relational()
current = get_triage(con.cursor(), ring_id)
may_write = session.may_write(ctx)
if not may_write:
    st.caption(tr("ring.triage_login_needed"))
status = st.selectbox(tr("ring.status"), list(STATUSES), index=STATUSES.index(current.status),
                      format_func=lambda s: tr(f"status.{s}"), key=f"triage_status_{ring_id}", disabled=not may_write)
assignee = st.text_input(tr("ring.assignee"), value=current.assignee, key=f"triage_assignee_{ring_id}",
                         disabled=not may_write)
if mask:  # notes may name people: shown masked, and a masked viewer adds to them instead of rewriting them
    if current.notes:
        st.text(mask_free_text(con.cursor(), current.notes))
    added = st.text_area(tr("ring.notes_add"), value="", key=f"triage_notes_{ring_id}", disabled=not may_write)
    notes = "\n".join(part for part in (current.notes, added.strip()) if part)
else:
    notes = st.text_area(tr("ring.notes"), value=current.notes, key=f"triage_notes_{ring_id}", disabled=not may_write)
if st.button(tr("ring.save"), key=f"triage_save_{ring_id}", disabled=not may_write):
    if not session.may_write(ctx):  # never trust the disabled button alone
        session.refuse_write(ctx, f"ring:{ring_id}")
        st.stop()
    who = session.writer_name(ctx)
    saved = set_triage(con.cursor(), ring_id, status, assignee, notes, updated_by=who)
    audit.record(ctx.cfg.workspace, user=who, action=audit.TRIAGE, target=f"ring:{ring_id}",
                 details={"status": saved.status, "assignee": saved.assignee},
                 role=ctx.user.role if ctx.user else None)
    session.anchor_audit_head(ctx, con.cursor())
    st.success(tr("ring.saved", status=tr(f"status.{saved.status}")))
history_section(con, ring_id, mask)

ring_tips.render(ctx, ring, con)  # the ring's tip-offs and its members' credit points

st.subheader(tr("ring.export"))
can_export = ctx.user is not None and ctx.user.can("export")
if not can_export:
    st.caption(tr("ring.export_no_right"))
if st.button(tr("ring.export"), key="export_referral", disabled=not can_export):
    try:
        path = referral.export_referral(ctx.cfg, ctx.store, ring_id, ctx.user, unmask=not mask,
                                        lang=(ctx.lang, "en" if ctx.lang == "zh" else "zh"))
    except Exception as exc:  # the builder's own errors are user-facing sentences
        st.error(tr("ring.export_failed", error=str(exc)))
    else:
        st.success(tr("ring.export_done", path=str(path)))
        st.download_button(tr("ring.export"), data=path.read_bytes(), file_name=path.name,
                           mime="application/zip", key="export_download")

session.close_store()  # release the workspace until the next run
