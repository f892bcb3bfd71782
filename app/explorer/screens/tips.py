"""Tip-offs: intake, what a tip names and matched, the rings it touches, reward estimate, lifecycle."""
import tempfile
from pathlib import Path

import streamlit as st

from ringscope.app.auth import TIPSTER_CONTACT
from ringscope.app.errors import UserError
from ringscope.app.explorer import session
from ringscope.app.figures import yuan
from ringscope.app.ring_source import load_rings
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.service import (
    TipContext,
    add_tip_file,
    confirm_matches,
    current_estimate,
    read_contact,
    set_status,
)
from ringscope.app.views import tips as tv
from ringscope.ingest.errors import IngestError

ctx = session.current()
tr = ctx.tr
st.title(tr("tips.title"))
try:
    tips_ctx = TipContext.from_config(ctx.cfg)
except UserError as exc:
    st.error(str(exc))
    st.stop()
con = ctx.store.relational()
who = ctx.user.name if ctx.user else None

with st.expander(tr("tips.add"), expanded=False):
    upload = st.file_uploader(tr("tips.upload"), type=["json", "csv"], key="tip_upload")
    if upload is not None and st.button(tr("tips.add_button"), key="tip_add", disabled=who is None):
        with tempfile.TemporaryDirectory(prefix="ringscope-tip-") as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            try:
                added = add_tip_file(tips_ctx, ctx.store, path, who or "anonymous")
            except (IngestError, UserError) as exc:
                st.error(str(exc).replace(str(path), upload.name))
            else:
                st.success(tr("tips.added", ids=", ".join(a.tip_id for a in added)))
    if who is None:
        st.caption(tr("tips.login_to_act"))

tips = tip_store.list_tips(con)
if not tips:
    st.info(tr("tips.none"))
    session.close_store()
    st.stop()
rings = load_rings(ctx.cfg.workspace, con, ctx.cfg.app)
estimates = {t.tip_id: current_estimate(tips_ctx, con, t, rings) for t in tips}
st.dataframe(tv.tip_list_table(con, tips, estimates, tr), hide_index=True, key="tips_table")

options = tv.tip_options(tips, tr)
ids = list(options)
wanted = st.query_params.get("tip") or st.session_state.get("tip_id") or ids[-1]
tip_id: str = st.selectbox(tr("tips.pick"), ids, index=ids.index(wanted) if wanted in ids else len(ids) - 1,
                           format_func=lambda t: options.get(t, t), key="tip_pick") or ids[-1]
st.session_state["tip_id"] = tip_id
tip = tip_store.get_tip(con, tip_id)
mask = session.masked_for(ctx, f"tip:{tip_id}", {"page": "tips"})

st.subheader(tr("tips.heading", tip_id=tip.tip_id, channel=tip.channel, received=f"{tip.received_at:%Y-%m-%d %H:%M}",
                status=tr.maybe(f"tips.status_{tip.status}", tip.status)))
st.markdown(tr("tips.facts"))
st.text(tv.tip_text(con, tip, mask))

st.markdown("**" + tr("tips.entities") + "**")
st.table(tv.entity_table(con, tip_id, tr, mask), hide_index=True)
entities = [e for e in tip_store.tip_entities(con, tip_id) if e.matches]
if entities and who:
    choice = {}
    for e in entities:
        keys = [f"{m['label']}:{m['id']}" for m in e.matches]
        choice[e.seq] = st.multiselect(tr("tips.confirm_matches", seq=e.seq, kind=tr.maybe(f"tips.kind_{e.type}", e.type)),
                                       keys, default=list(e.confirmed), key=f"tip_confirm_{tip_id}_{e.seq}")
    if st.button(tr("tips.save_matches"), key="tip_save_matches"):
        for seq, keys in choice.items():
            confirm_matches(tips_ctx, con, tip_id, seq, keys, who)
        st.success(tr("tips.matches_saved"))

links = tip_store.tip_links(con, tip_id)
st.markdown("**" + tr("tips.links") + "**")
if links:
    st.table(tv.links_table(links, tr, mask), hide_index=True)
    st.markdown(" ".join(f"[{item.target_id}](./ring?ring={item.target_id})" for item in links if item.target_kind == "ring"))
else:
    st.caption(tr("tips.no_links"))

estimate = estimates[tip_id]
st.metric(tr("tips.reward"), yuan(estimate.amount))
st.caption(tr("tips.reward_rule", rule=estimate.text(ctx.lang)))

st.markdown("**" + tr("tips.lifecycle") + "**")
allowed = tip_store.TRANSITIONS[tip.status]
if who and allowed:
    linked = [item.target_id for item in links if item.target_kind in ("ring", "drg_case") and item.relation != "nearest"]
    led_to = st.multiselect(tr("tips.led_to"), linked, default=linked, key=f"tip_led_to_{tip_id}") \
        if "verified" in allowed else []
    note = st.text_input(tr("tips.note"), key=f"tip_note_{tip_id}")
    for status in allowed:
        if st.button(tr(f"tips.to_{status}"), key=f"tip_to_{status}"):
            try:
                _, est = set_status(tips_ctx, con, tip_id, status, who, note, led_to or None)
            except UserError as exc:
                st.error(str(exc))
            else:
                st.success(tr("tips.moved", status=tr.maybe(f"tips.status_{status}", status), reward=yuan(est.amount)))
elif not allowed:
    st.caption(tr("tips.final"))

if tip.has_contact:
    if ctx.user is not None and ctx.user.can(TIPSTER_CONTACT):
        if st.button(tr("tips.show_contact"), key="tip_contact"):
            st.code(read_contact(tips_ctx, con, tip_id, ctx.user))
    else:
        st.caption(tr("tips.contact_needs_right"))

if who and not any(item.relation in ("member", "neighbourhood") for item in links):
    if st.button(tr("tips.rerun"), key="tip_rerun"):
        from ringscope.app.tips.rerun import focused_rerun

        try:
            result = focused_rerun(ctx.cfg, tips_ctx, ctx.store, tip_id, who)
        except UserError as exc:
            st.error(str(exc))
        else:
            st.success(tr("tips.rerun_done", n=len(result.rings), settlements=result.settlements, path=str(result.path)))

st.markdown("**" + tr("tips.history") + "**")
st.table(tv.history_table(con, tip_id, tr), hide_index=True)
session.close_store()  # release the workspace until the next run
