"""The ring page's tip-off and credit-point sections, kept out of the ring page itself.

Tips: every tip linked to the ring, with how (member or neighbourhood) and
whether verified.  Credit points: for a confirmed ring, each prescriber's,
pharmacist's and operator's entry (stored status, or what would be proposed
now), with the running total of their year and its consequence.
"""
from __future__ import annotations

import duckdb
import streamlit as st

from ringscope.app.auth import CONFIRM_POINTS
from ringscope.app.errors import UserError
from ringscope.app.points.service import decide, live_ring_lines, refresh
from ringscope.app.points.settings import PointSettings
from ringscope.app.ring_source import RingRecord
from ringscope.app.triage import get_triage
from ringscope.app.views import tips as tv


def render(ctx, ring: RingRecord, con: duckdb.DuckDBPyConnection) -> None:
    tr = ctx.tr
    st.subheader(tr("tips.ring_section"))
    tips = tv.ring_tips_table(con.cursor(), ring.ring_id, tr)
    if tips.empty:
        st.caption(tr("tips.ring_none"))
    else:
        st.table(tips, hide_index=True)  # a few rows: a plain table, readable and searchable
    st.subheader(tr("points.ring_section"))
    if get_triage(con.cursor(), ring.ring_id).status != "confirmed":
        st.caption(tr("points.ring_unconfirmed"))
        return
    try:
        settings = PointSettings.from_config(ctx.cfg.app, ctx.cfg.workspace)
    except UserError as exc:  # a bad [app.points] table is the user's to fix; the page stays up
        st.error(str(exc))
        return
    _decision_box(ctx, ring, con, settings, live_ring_lines(con, ring, settings))
    lines = live_ring_lines(con, ring, settings)
    if lines:
        st.table(tv.points_table(lines, tr), hide_index=True)
        st.caption(tr("points.ring_hint", province=tr.maybe(f"points.province_{settings.province}", settings.province)))
    else:
        st.caption(tr("points.ring_nobody"))


def _decision_box(ctx, ring: RingRecord, con: duckdb.DuckDBPyConnection, settings: PointSettings, lines) -> None:
    """A supervisor confirms or rejects a proposed entry here; drawn before the table so it shows the result."""
    user, tr = ctx.user, ctx.tr
    pending = [item.proposal.entry_id for item in lines if item.status == "proposed"]
    if user is None or not user.can(CONFIRM_POINTS) or not pending:
        if pending:
            st.caption(tr("points.needs_right"))
        return
    entry = st.selectbox(tr("points.pick"), pending, key=f"points_pick_{ring.ring_id}")
    note = st.text_input(tr("points.note"), key=f"points_note_{ring.ring_id}")
    left, right = st.columns(2)
    for column, decision in ((left, "confirmed"), (right, "rejected")):
        if column.button(tr(f"points.do_{decision}"), key=f"points_{decision}_{ring.ring_id}"):
            try:
                refresh(con, ctx.cfg.workspace, ctx.cfg.app, settings, user.name)  # the entry must be stored first
                decided = decide(con, ctx.cfg.workspace, entry, decision, user, note)
            except UserError as exc:
                st.error(str(exc))
            else:
                st.success(tr("points.decided", entry=entry, status=tr(f"points.status_{decided.status}")))
