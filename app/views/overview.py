"""Overview: the ring table every page starts from, and the overview charts.

Region and period of a ring are computed set-based in DuckDB from its
settlements (the facility's region code, most frequent; the first settlement
time), falling back to member facilities and patients for rings without
settlements (maternity rings: their employers).
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Mapping

import duckdb
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from ringscope.analytics.fund_loss import ZERO, txn_losses
from ringscope.analytics.ring_region import ring_regions
from ringscope.app.i18n import Translator
from ringscope.app.ring_source import RingRecord, RingSet
from ringscope.app.triage import Triage
from ringscope.app.views.regions import city_name, province_name

RING_COLUMNS = ["ring_id", "scheme", "score", "fund_loss", "size", "settlements", "region_code", "province", "city",
                "first_settled", "week", "status", "assignee"]


def _register(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
    con.register(name, df)


def _ring_places(con: duckdb.DuckDBPyConnection, rings: RingSet) -> pd.DataFrame:
    """ring_id, region_code (the one rule of ``analytics.ring_region``), first_settled for every ring."""
    con = con.cursor()  # own cursor: DuckDB 2 refuses work while another result on the connection is open
    txn = pd.DataFrame([(r.ring_id, s) for r in rings.rings for s in r.settlement_ids],
                       columns=["ring_id", "settlement_id"], dtype="object")
    mem = pd.DataFrame([(r.ring_id, m.type, m.id) for r in rings.rings for m in r.members],
                       columns=["ring_id", "type", "id"], dtype="object")
    _register(con, "_rs_ov_txn", txn)
    _register(con, "_rs_ov_mem", mem)
    _register(con, "_rs_ov_mem_typed", mem.rename(columns={"type": "member_type", "id": "member_id"}))
    try:
        regions = ring_regions(con, "_rs_ov_txn", "_rs_ov_mem_typed")
        firsts = con.execute("""
            WITH s AS (SELECT t.ring_id, min(s.settled_at) AS first_settled FROM _rs_ov_txn t
                       JOIN settlements s USING (settlement_id) GROUP BY t.ring_id),
            c AS (SELECT m.ring_id, min(c.claimed_on)::TIMESTAMP AS claimed FROM _rs_ov_mem m
                  JOIN maternity_claims c ON (m.type = 'employer' AND c.employer_id = m.id) GROUP BY m.ring_id),
            r AS (SELECT DISTINCT ring_id FROM _rs_ov_mem UNION SELECT DISTINCT ring_id FROM _rs_ov_txn)
            SELECT r.ring_id, coalesce(s.first_settled, c.claimed) AS first_settled
            FROM r LEFT JOIN s USING (ring_id) LEFT JOIN c USING (ring_id)
        """).fetchall()
    finally:
        con.unregister("_rs_ov_txn")
        con.unregister("_rs_ov_mem")
        con.unregister("_rs_ov_mem_typed")
    return pd.DataFrame([(rid, regions.get(rid), first) for rid, first in firsts],
                        columns=["ring_id", "region_code", "first_settled"])


def _recorded_loss(ring: RingRecord) -> Decimal:
    """The ring's loss as detection recorded it (``analytics.fund_loss``), exact."""
    if ring.reported_fund_loss is not None:
        return ring.reported_fund_loss
    return Decimal(str(ring.fund_loss)).quantize(Decimal("0.01"))


def ring_table(rings: RingSet, con: duckdb.DuckDBPyConnection | None, triage: Mapping[str, Triage],
               lang: str = "zh") -> pd.DataFrame:
    """One row per ring: the columns of :data:`RING_COLUMNS`, best score first."""
    rows = [{
        "ring_id": r.ring_id, "scheme": r.scheme, "score": round(r.score, 3), "fund_loss": _recorded_loss(r),
        "size": r.size, "settlements": len(r.settlement_ids) + len(r.claim_ids),
        "status": t.status if (t := triage.get(r.ring_id)) else "new",
        "assignee": t.assignee if (t := triage.get(r.ring_id)) else "",
    } for r in rings.rings]
    df = pd.DataFrame(rows, columns=["ring_id", "scheme", "score", "fund_loss", "size", "settlements", "status", "assignee"])
    if df.empty:
        return pd.DataFrame(columns=RING_COLUMNS)
    if con is not None:
        places = _ring_places(con, rings)
        df = df.merge(places, on="ring_id", how="left")
    else:
        df["region_code"], df["first_settled"] = None, None
    df["province"] = [province_name(c, lang) if isinstance(c, str) else "—" for c in df["region_code"]]
    df["city"] = [city_name(c, lang) if isinstance(c, str) else "—" for c in df["region_code"]]
    first = pd.to_datetime(df["first_settled"], errors="coerce")
    iso = first.dt.isocalendar()
    df["week"] = [f"{int(y)}-W{int(w):02d}" if pd.notna(y) else "—" for y, w in zip(iso["year"], iso["week"])]
    return df[RING_COLUMNS].sort_values(["score", "ring_id"], ascending=[False, True]).reset_index(drop=True)


def headline(df: pd.DataFrame) -> dict[str, int | Decimal]:
    """The numbers at the top of the overview (money in Decimal, summed exactly)."""
    if df.empty:
        return {"rings": 0, "fund_loss": ZERO, "open": 0, "open_fund_loss": ZERO, "confirmed": 0}
    open_mask = df["status"].isin(["new", "investigating"])
    return {
        "rings": int(len(df)),
        "fund_loss": sum(df["fund_loss"], ZERO),
        "open": int(open_mask.sum()),
        "open_fund_loss": sum(df.loc[open_mask, "fund_loss"], ZERO),
        "confirmed": int((df["status"] == "confirmed").sum()),
    }


def data_gap_lines(con: duckdb.DuckDBPyConnection, tr: Translator, lang: str) -> list[str]:
    """One line per input a detector lacks in the loaded data (analytics.data_coverage)."""
    from ringscope.analytics.data_coverage import coverage_gaps

    return [f"**{_scheme_name(tr, g.scheme)}**: {g.reason(lang)}" for g in coverage_gaps(con)]


def _scheme_name(tr: Translator, scheme: str) -> str:
    return tr.maybe(f"scheme.{scheme}", scheme)


def _status_name(tr: Translator, status: str) -> str:
    return tr.maybe(f"status.{status}", status)


def scheme_status_data(df: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    """Rings and fund loss per scheme and status (localised names)."""
    if df.empty:
        return pd.DataFrame(columns=["scheme", "status", "rings", "fund_loss"])
    out = df.groupby(["scheme", "status"], as_index=False).agg(rings=("ring_id", "count"), fund_loss=("fund_loss", "sum"))
    out["scheme"] = [_scheme_name(tr, s) for s in out["scheme"]]
    out["status"] = [_status_name(tr, s) for s in out["status"]]
    return out


def scheme_status_chart(df: pd.DataFrame, tr: Translator) -> go.Figure:
    data = scheme_status_data(df, tr)
    fig = px.bar(data, x="scheme", y="rings", color="status", barmode="stack",
                 labels={"scheme": tr("col.scheme"), "rings": tr("col.rings"), "status": tr("col.status")},
                 title=tr("overview.chart_scheme_status"))
    return fig


def _plotted(data: pd.DataFrame) -> pd.DataFrame:
    """A copy with the money column as float, for plotly only (the tables keep Decimal)."""
    return data.assign(fund_loss=data["fund_loss"].astype(float))


def fund_loss_chart(df: pd.DataFrame, tr: Translator) -> go.Figure:
    data = _plotted(scheme_status_data(df, tr))
    return money_axis(px.bar(data, x="scheme", y="fund_loss", color="status",
                             labels={"scheme": tr("col.scheme"), "fund_loss": tr("col.fund_loss"),
                                     "status": tr("col.status")}, title=tr("overview.chart_fund_loss")))


def money_axis(fig: go.Figure) -> go.Figure:
    """Money on a chart as everywhere else (app.figures): 元 with separators, never "14M" (an English
    abbreviation a Chinese reader does not use); two decimals on hover."""
    fig.update_yaxes(tickformat=",.0f")
    fig.update_layout(separators=".,")
    fig.for_each_trace(lambda t: t.update(hovertemplate=(t.hovertemplate or "").replace("%{y}", "%{y:,.2f}")))
    return fig


def weekly_trend_data(con: duckdb.DuckDBPyConnection, rings: RingSet, tr: Translator) -> pd.DataFrame:
    """Fund loss of ring transactions per ISO week and scheme (each transaction once per ring, in Decimal).

    Settlements and maternity claims both count (``analytics.fund_loss``), so a
    maternity ring shows in the trend like any other.
    """
    by_key = {(t.kind, t.txn_id): t for t in txn_losses(
        con, (s for r in rings.rings for s in r.settlement_ids), (c for r in rings.rings for c in r.claim_ids))}
    weeks: dict[tuple[str, str], list] = {}
    for r in rings.rings:
        keys = {("settlement", str(s)) for s in r.settlement_ids} | {("claim", str(c)) for c in r.claim_ids}
        for key in keys:
            t = by_key.get(key)
            if t is None or t.day is None:
                continue
            week = (t.day - timedelta(days=t.day.weekday())).isoformat()
            cell = weeks.setdefault((week, r.scheme), [ZERO, 0])
            cell[0] += t.loss
            cell[1] += 1
    out = pd.DataFrame([(w, _scheme_name(tr, s), loss, n) for (w, s), (loss, n) in sorted(weeks.items())],
                       columns=["week", "scheme", "fund_loss", "settlements"])
    return out


def weekly_trend_chart(data: pd.DataFrame, tr: Translator) -> go.Figure:
    return money_axis(px.line(_plotted(data), x="week", y="fund_loss", color="scheme", markers=True,
                              labels={"week": tr("col.week"), "fund_loss": tr("col.fund_loss"),
                                      "scheme": tr("col.scheme")}, title=tr("overview.chart_trend")))


def region_data(df: pd.DataFrame, level: str = "province") -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=[level, "rings", "fund_loss"])
    return (df.groupby(level, as_index=False).agg(rings=("ring_id", "count"), fund_loss=("fund_loss", "sum"))
            .sort_values("fund_loss", ascending=False).reset_index(drop=True))


def region_chart(df: pd.DataFrame, tr: Translator, level: str = "province") -> go.Figure:
    data = _plotted(region_data(df, level))
    return money_axis(px.bar(data, x=level, y="fund_loss", hover_data=["rings"],
                             labels={level: tr(f"col.{level}"), "fund_loss": tr("col.fund_loss"),
                                     "rings": tr("col.rings")}, title=tr(f"overview.chart_{level}")))
