"""Overview: rings by scheme and status, fund loss at stake, weekly trend, regions."""
import streamlit as st

from ringscope.app.explorer import session
from ringscope.app.figures import headline, money_column_config
from ringscope.app.triage import all_triage
from ringscope.app.views import overview as ov

ctx = session.current()
tr = ctx.tr
st.title(tr("overview.title"))
gaps = ov.data_gap_lines(ctx.store.relational(), tr, ctx.lang)
if gaps:  # a detector blind on this data: "no ring of this kind" is not a finding
    st.warning(tr("overview.data_gaps") + "\n\n" + "\n".join(f"- {line}" for line in gaps))
ring_set = session.rings_or_stop(ctx)
st.caption(tr("app.caption", source=tr("app.source_ring_book") if ring_set.source == "ring book" else ring_set.source))
con = ctx.store.relational()
table = ov.ring_table(ring_set, con, all_triage(con.cursor(), [r.ring_id for r in ring_set.rings]), ctx.lang)
numbers = ov.headline(table)
cols = st.columns(3)  # counts, then money on a row of two, so a figure in the tens of millions fits whole
cols[0].metric(tr("overview.metric_rings"), f"{numbers['rings']:,}")
cols[1].metric(tr("overview.metric_open"), f"{numbers['open']:,}")
cols[2].metric(tr("overview.metric_confirmed"), f"{numbers['confirmed']:,}")
money = st.columns(2)
money[0].metric(tr("overview.metric_fund_loss"), headline(numbers["fund_loss"], ctx.lang))
money[1].metric(tr("overview.metric_open_loss"), headline(numbers["open_fund_loss"], ctx.lang))
left, right = st.columns(2)
left.plotly_chart(ov.scheme_status_chart(table, tr), key="chart_scheme_status")
right.plotly_chart(ov.fund_loss_chart(table, tr), key="chart_fund_loss")
st.plotly_chart(ov.weekly_trend_chart(ov.weekly_trend_data(con, ring_set, tr), tr), key="chart_trend")
level = st.radio(tr("overview.region_level"), ["province", "city"], format_func=lambda lv: tr(f"col.{lv}"),
                 horizontal=True, key="region_level")
st.plotly_chart(ov.region_chart(table, tr, level), key="chart_region")
st.subheader(tr("overview.by_scheme"))
by_scheme = ov.scheme_status_data(table, tr)
st.dataframe(by_scheme.rename(columns=lambda c: tr(f"col.{c}")), hide_index=True, key="overview_table",
             column_config=money_column_config(by_scheme.columns, lambda c: tr(f"col.{c}")))

session.close_store()  # release the workspace until the next run
