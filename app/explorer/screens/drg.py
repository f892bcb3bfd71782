"""DRG payment cases: institutions ranked by flagged episodes and loss; one patient's episode timeline;
the chosen institution's referral package (as ``ringscope export --institution``)."""
import altair as alt
import streamlit as st

from ringscope.app.drg_source import load_drg_cases
from ringscope.app.explorer import session
from ringscope.app.figures import money_column_config, yuan
from ringscope.app.views import drg as view
from ringscope.app.views import referral


def referral_section(facility: str) -> None:
    """Refer the chosen institution's DRG cases: the package ``ringscope export --institution`` builds."""
    st.subheader(tr("drg.export"))
    st.caption(tr("drg.export_caption"))
    can_export = ctx.user is not None and ctx.user.can("export")
    if not can_export:
        st.caption(tr("ring.export_no_right"))
    if not st.button(tr("drg.export"), key="drg_export", disabled=not can_export):
        return
    try:
        path = referral.export_institution_referral(ctx.cfg, ctx.store, facility, ctx.user, unmask=not ctx.mask,
                                                    lang=(ctx.lang, "en" if ctx.lang == "zh" else "zh"))
    except Exception as exc:  # the builder's own errors are user-facing sentences
        st.error(tr("ring.export_failed", error=str(exc)))
    else:
        st.success(tr("ring.export_done", path=str(path)))
        st.download_button(tr("drg.download"), data=path.read_bytes(), file_name=path.name, mime="application/zip",
                           key="drg_export_download", on_click="ignore")  # no rerun: the message stays


ctx = session.current()
tr = ctx.tr
st.title(tr("drg.title"))
st.caption(tr("drg.caption"))
con = ctx.store.relational()
cases = load_drg_cases(ctx.cfg.workspace, con, ctx.cfg.app)
if not cases:
    st.info(tr("drg.none"))
    st.stop()
ranking = view.institution_ranking(cases, con, view.ring_facilities(session.rings(ctx).rings))
st.subheader(tr("drg.ranking"))
st.dataframe(ranking.astype({"fund_loss": float}).rename(columns={c: tr.maybe(f"drg.col.{c}", c) for c in ranking.columns}),
             hide_index=True, key="drg_ranking",
             column_config=money_column_config(ranking.columns, lambda c: tr.maybe(f"drg.col.{c}", c)))
facility = st.selectbox(tr("drg.pick_facility"), list(ranking["facility_id"]), key="drg_facility")
referral_section(facility)
drift = view.coding_drift_table(cases, facility)
if not drift.empty:
    st.subheader(tr("drg.drift"))
    st.caption(tr("drg.drift_caption"))
    drift["unit"] = [tr(f"drg.unit.{u}") for u in drift["unit"]]
    st.dataframe(drift.rename(columns={c: tr.maybe(f"drg.col.{c}", c) for c in drift.columns}), hide_index=True,
                 key="drg_drift")
mine = [c for c in cases if c.facility_id == facility]
st.subheader(tr("drg.cases", n=len(mine)))
labels = {c.case_id: f"{c.case_id} · {tr(f'drg.violation.{c.violation}')} · {yuan(c.fund_loss)}" for c in mine}
case_id = st.selectbox(tr("drg.pick_case"), list(labels), format_func=lambda c: labels.get(c, c), key="drg_case")
case = next(c for c in mine if c.case_id == case_id)
st.markdown(f"**{tr(f'drg.violation.{case.violation}')}** · {tr('drg.loss')}: {yuan(case.fund_loss)} · "
            + (f"{tr('drg.patient_amount')}: {yuan(case.patient_amount)} · " if case.patient_amount else "")
            + f"{tr('drg.patient')}: {case.patient_id}")
st.write(case.text(ctx.lang))
st.dataframe([{"settlement_id": x.settlement_id, "paid_group": x.paid_group, "expected_group": x.expected_group,
               "loss": float(x.loss), "patient_amount": float(x.patient_amount), "note": x.note}
              for x in case.lines], hide_index=True, key="drg_lines",
             column_config=money_column_config(["loss", "patient_amount"], str))
for item in case.drifts():
    st.caption(item.get("text_zh" if ctx.lang == "zh" else "text", ""))
if case.patient_id:
    st.subheader(tr("drg.timeline"))
    timeline = view.patient_timeline(con, case.patient_id, facility, cases)
    if not timeline.empty:
        bars = timeline.assign(start=timeline["admitted_on"].fillna(timeline["day"]),
                               end=timeline["discharged_on"].fillna(timeline["day"]),
                               flagged=timeline["violation"].replace("", "-"))
        st.altair_chart(alt.Chart(bars).mark_bar(size=14).encode(
            x="start:T", x2="end:T", y=alt.Y("kind:N", title=None), color="flagged:N",
            tooltip=["settlement_id", "drg_code", "expected_group", "diagnosis_code", "fund_paid", "loss"]),
            use_container_width=True)
        st.dataframe(timeline, hide_index=True, key="drg_timeline",
                     column_config=money_column_config(timeline.columns, str))
session.close_store()
