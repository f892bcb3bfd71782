"""Everything a weekly report shows, read from the workspace in a few queries.

:func:`build_report_data` reads the ring history (``graph.ring_history``)
of one week and of the week before, the catalogue (names and region codes of
members) and, when the explorer has stored any, triage decisions.  It
returns a :class:`ReportData`: plain numbers and rows, language-neutral and
already masked (unless ``unmask``), so that rendering is a pure function of
it and the language.

Aggregations run in DuckDB (set-based, one query per table of the report);
Python only shapes at most a few hundred ring rows.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from ringscope.analytics.data_coverage import coverage_gaps
from ringscope.analytics.drg.coverage import drg_coverage_gaps
from ringscope.analytics.ring_region import ring_regions
from ringscope.app.drg_source import drift_rows, record_from_json
from ringscope.app.errors import UserError
from ringscope.app.free_text import mask_free_text
from ringscope.app.links import ring_url
from ringscope.app.pii import mask_name
from ringscope.app.report.week_activity import WeekActivity, week_activity, week_losses
from ringscope.graph.drg_book import drg_cases_for_run
from ringscope.graph.ring_history import ensure_history_schema, previous_week, week_trend

DEFAULT_EXPLORER_URL = "http://127.0.0.1:8501"
TOP_N = 20
LIST_LIMIT = 50  # rows per list section; the rest is counted, not listed
KEY_MEMBERS = 3
# Member types whose name is personal data (masked unless unmasked).
_PERSONAL_TYPES = ("patient", "card", "prescriber")


@dataclass
class KeyMember:
    type: str
    id: str
    role: str
    name: str  # masked unless the report is unmasked


@dataclass
class RingRow:
    ring_id: str
    scheme: str
    status: str
    score: float
    members: int
    members_added: int
    fund_loss: Decimal
    fund_loss_before: Decimal
    parents: list[str]
    province: str | None
    link: str
    key_members: list[KeyMember] = field(default_factory=list)
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass
class TriageRow:
    ring_id: str
    decision: str  # confirmed / dismissed
    decided_at: str
    note: str
    link: str


@dataclass
class ReportData:
    week: str
    monday: str
    sunday: str
    previous_week: str | None
    data_as_of: datetime | None
    masked: bool
    totals: dict[str, Any]
    previous_totals: dict[str, Any] | None
    status_counts: dict[str, int]
    new_rings: list[RingRow]
    changed_rings: list[RingRow]  # grown, merged, split
    dissolved_rings: list[RingRow]
    top_rings: list[RingRow]
    confirmed: list[TriageRow]
    dismissed: list[TriageRow]
    by_scheme: list[dict[str, Any]]
    by_region: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    triage_available: bool = False
    counts_not_listed: dict[str, int] = field(default_factory=dict)
    # inputs a detector depends on that this data lacks: "no rings of that kind" is then not a finding
    data_gaps: list[Any] = field(default_factory=list)
    # the week's own figures (data dated in it, ring loss dated in it), apart from the cumulative totals
    activity: WeekActivity | None = None
    tips_points: Any = None  # app.tips.weekly.TipsPointsWeek: tip-offs and credit points of the week
    # DRG payment cases of the week's run (issue 18): institution cases beside the rings
    drg: dict[str, Any] = field(default_factory=dict)

    @property
    def generated_at(self) -> str:
        """The report's stamp: the data's latest time, so a re-run prints the same."""
        return self.data_as_of.strftime("%Y-%m-%d %H:%M") if self.data_as_of else "—"


def _money(value: Any) -> Decimal:
    """A stored DECIMAL(18,2) figure as Decimal (NULL as zero); never through float."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()[0][0])  # fetchall: DuckDB refuses other work while a fetchone() result stays open


def _ring_provinces(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, str]:
    """Province (first two digits of the region code) where each of the week's rings operates.

    The rule is the explorer's and the referral's (``analytics.ring_region``):
    where the fund paid the ring's settlements, then its member places, then
    its people; the week's settlements come from the run the week recorded.
    """
    con = con.cursor()  # own cursor: registering frames while another result is open is refused
    members = pd.DataFrame(con.execute(
        "SELECT ring_id, member_type, member_id FROM history_members WHERE week = ?", [week]).fetchall(),
        columns=["ring_id", "member_type", "member_id"], dtype="object")
    paid_rows = con.execute(
        "SELECT t.ring_id, t.txn_id FROM ring_book_txns t JOIN history_weeks w ON w.run_id = t.run_id "
        "WHERE w.week = ? AND t.kind = 'settlement'", [week]).fetchall() if _table_exists(con, "ring_book_txns") else []
    paid = pd.DataFrame(paid_rows, columns=["ring_id", "settlement_id"], dtype="object")
    con.register("_rs_rp_members", members)
    con.register("_rs_rp_paid", paid)
    try:
        regions = ring_regions(con, "_rs_rp_paid", "_rs_rp_members")
    finally:
        con.unregister("_rs_rp_members")
        con.unregister("_rs_rp_paid")
    return {ring_id: code[:2] for ring_id, code in regions.items()}


def _key_members(con: duckdb.DuckDBPyConnection, week: str, ring_ids: list[str], unmask: bool) -> dict[str, list[KeyMember]]:
    """Up to KEY_MEMBERS members per ring (places first, then people), with names."""
    if not ring_ids:
        return {}
    names = []
    for table, typ, key in (("facilities", "facility", "facility_id"), ("employers", "employer", "employer_id"),
                            ("prescribers", "prescriber", "prescriber_id"), ("patients", "patient", "patient_id")):
        if _table_exists(con, table):
            names.append(f"SELECT '{typ}' AS member_type, {key} AS member_id, name FROM {table}")
    name_sql = " UNION ALL ".join(names) if names else "SELECT NULL AS member_type, NULL AS member_id, NULL AS name"
    rows = con.execute(
        "WITH m AS (SELECT * FROM history_members WHERE week = ? AND list_contains(?, ring_id)), "
        f"n AS ({name_sql}), "
        "o AS (SELECT m.ring_id, m.member_type, m.member_id, m.role, n.name, row_number() OVER (PARTITION BY m.ring_id "
        "ORDER BY CASE m.member_type WHEN 'facility' THEN 0 WHEN 'employer' THEN 1 WHEN 'prescriber' THEN 2 "
        "WHEN 'device' THEN 3 WHEN 'patient' THEN 4 ELSE 5 END, "
        "CASE WHEN m.role IN ('organizer', 'organiser', 'seller', 'agent', 'operator') THEN 0 ELSE 1 END, m.member_id) AS k "
        "FROM m LEFT JOIN n ON n.member_type = m.member_type AND n.member_id = m.member_id) "
        "SELECT ring_id, member_type, member_id, role, name FROM o WHERE k <= ? ORDER BY ring_id, k",
        [week, ring_ids, KEY_MEMBERS],
    ).fetchall()
    out: dict[str, list[KeyMember]] = {}
    for rid, typ, mid, role, name in rows:
        shown = name or ""
        if shown and typ in _PERSONAL_TYPES and not unmask:
            shown = mask_name(shown)
        out.setdefault(rid, []).append(KeyMember(typ, mid, role or "", shown))
    return out


def _personal_names(con: duckdb.DuckDBPyConnection, week: str, ring_ids: list[str]) -> dict[str, list[str]]:
    """Names of the personal members of each ring, to mask them inside evidence sentences."""
    if not ring_ids or not _table_exists(con, "patients"):
        return {}
    rows = con.execute(
        "SELECT m.ring_id, p.name FROM history_members m JOIN patients p ON m.member_type = 'patient' "
        "AND p.patient_id = m.member_id WHERE m.week = ? AND list_contains(?, m.ring_id) AND p.name IS NOT NULL",
        [week, ring_ids],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for rid, name in rows:
        out.setdefault(rid, []).append(name)
    return out


def _evidence(raw: str | None, names: list[str], unmask: bool, con: Any = None) -> list[dict[str, str]]:
    items = json.loads(raw) if raw else []
    out = []
    for item in items[:2]:
        text, text_zh = str(item.get("text", "")), str(item.get("text_zh", item.get("text", "")))
        if not unmask:
            text, text_zh = mask_free_text(con, text, tuple(names)), mask_free_text(con, text_zh, tuple(names))
        out.append({"kind": str(item.get("kind", "")), "text": text, "text_zh": text_zh})
    return out


def read_triage(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime | None) -> tuple[bool, list[dict]]:
    """Rings confirmed or dismissed in ``(since, until]``: between last week's run and this one.

    The explorer keeps triage in the catalogue (``app.triage``, table
    ``ring_triage``, one current status per ring with ``updated_at``).  Returns
    ``(triage table found, decisions)``; without the table every ring is
    untriaged (``new``) and the section says so.
    """
    from ringscope.app.triage import all_triage

    if not _table_exists(con, "ring_triage"):
        return False, []
    picked = []
    for t in all_triage(con).values():
        if t.status not in ("confirmed", "dismissed") or t.updated_at is None:
            continue
        at = _aware(t.updated_at)
        if (since is None or at > _aware(since)) and (until is None or at <= _aware(until)):
            picked.append({"ring_id": t.ring_id, "decision": t.status, "decided_at": at, "note": t.notes})
    return True, sorted(picked, key=lambda r: (r["decision"], r["ring_id"]))


def _aware(ts: datetime) -> datetime:
    """Compare times from TIMESTAMPTZ and TIMESTAMP columns alike (naive = Asia/Shanghai)."""
    from ringscope.app.weekly import SHANGHAI

    return ts if ts.tzinfo else ts.replace(tzinfo=SHANGHAI)


def build_report_data(con: duckdb.DuckDBPyConnection, week: str, unmask: bool = False,
                      explorer_url: str = DEFAULT_EXPLORER_URL, top_n: int = TOP_N) -> ReportData:
    """Assemble the report for ``week`` from the workspace connection."""
    from ringscope.app.weekly import week_bounds

    ensure_history_schema(con)
    head, prev_week, prev_head = _heads(con, week)
    base = explorer_url  # links open the ring page's own URL (app.views.queue.ring_url)
    rings = _rows(con, "SELECT * FROM history_rings WHERE week = ? ORDER BY fund_loss DESC, ring_id", [week])
    present_ids = [r["ring_id"] for r in rings if r["present"]]
    provinces = _ring_provinces(con, week)
    # the previous week's provinces, for dissolved rings
    prev_provinces = _ring_provinces(con, prev_week) if prev_week else {}
    new = [r for r in rings if r["status"] == "new"]
    changed = [r for r in rings if r["status"] in ("grown", "merged", "split")]
    dissolved = [r for r in rings if r["status"] == "dissolved"]
    top = [r for r in rings if r["present"]][:top_n]
    listed = {r["ring_id"] for group in (new[:LIST_LIMIT], changed[:LIST_LIMIT], top) for r in group}
    key_members = _key_members(con, week, sorted(listed), unmask)
    names = {} if unmask else _personal_names(con, week, sorted(listed))

    def row(r: dict) -> RingRow:
        rid = r["ring_id"]
        return RingRow(
            ring_id=rid, scheme=r["scheme"], status=r["status"], score=round(float(r["score"] or 0), 3),
            members=int(r["members"] or 0), members_added=int(r["members_added"] or 0),
            fund_loss=_money(r["fund_loss"]), fund_loss_before=_money(r["fund_loss_before"]),
            parents=list(r["parents"] or []),
            province=(provinces if r["present"] else prev_provinces).get(rid),
            link=ring_url(rid, base), key_members=key_members.get(rid, []) if r["present"] else [],
            evidence=_evidence(r.get("evidence"), names.get(rid, []), unmask, con) if rid in listed else [],
        )

    status_counts = {s: 0 for s in ("new", "grown", "merged", "split", "shrunk", "persisting", "dissolved")}
    status_counts.update(Counter(r["status"] for r in rings))
    totals = {"rings": len(present_ids), "fund_loss": _money(head["fund_loss"])}
    previous_totals = {"rings": int(prev_head["rings"]), "fund_loss": _money(prev_head["fund_loss"])} if prev_head else None

    by_scheme = _rows(con, (
        "SELECT scheme, count(*) AS rings, count(*) FILTER (WHERE status = 'new') AS new_rings, "
        "sum(members) AS members, sum(fund_loss)::DECIMAL(18,2) AS fund_loss FROM history_rings WHERE week = ? AND present "
        "GROUP BY scheme ORDER BY fund_loss DESC, scheme"), [week])
    by_region = _by_region(rings, provinces)
    triage_found, triage_rows = _triage_rows(con, prev_head, head, unmask, base)
    monday, sunday = week_bounds(week)
    trend = _trend(con, week)
    return ReportData(
        week=week, monday=monday.isoformat(), sunday=sunday.isoformat(), previous_week=prev_week,
        data_as_of=head["data_as_of"], masked=not unmask, totals=totals, previous_totals=previous_totals,
        status_counts=status_counts,
        new_rings=[row(r) for r in new[:LIST_LIMIT]], changed_rings=[row(r) for r in changed[:LIST_LIMIT]],
        dissolved_rings=[row(r) for r in dissolved[:LIST_LIMIT]], top_rings=[row(r) for r in top],
        confirmed=[t for t in triage_rows if t.decision == "confirmed"],
        dismissed=[t for t in triage_rows if t.decision == "dismissed"],
        by_scheme=by_scheme, by_region=by_region, trend=trend, triage_available=triage_found,
        counts_not_listed={"new": max(0, len(new) - LIST_LIMIT), "changed": max(0, len(changed) - LIST_LIMIT),
                           "dissolved": max(0, len(dissolved) - LIST_LIMIT)},
        data_gaps=coverage_gaps(con) + drg_coverage_gaps(con), activity=week_activity(con, head["run_id"], monday),
        tips_points=_tips_points(con, monday, sunday), drg=drg_summary(drg_cases_for_run(con, head["run_id"] or "")),
    )


def _heads(con: duckdb.DuckDBPyConnection, week: str) -> tuple[dict[str, Any], str | None, dict[str, Any] | None]:
    """The week's recorded run, the previous recorded week and its run (None for the first week)."""
    heads = _rows(con, "SELECT * FROM history_weeks WHERE week = ?", [week])
    if not heads:
        raise UserError(f"no weekly run is recorded for {week}: run `ringscope weekly DROP_DIR --week {week}` first")
    prev_week = previous_week(con, week)
    prev_head = _rows(con, "SELECT * FROM history_weeks WHERE week = ?", [prev_week])[0] if prev_week else None
    return heads[0], prev_week, prev_head


def _by_region(rings: list[dict[str, Any]], provinces: dict[str, str]) -> list[dict[str, Any]]:
    """Present rings and their loss per province, most loss first."""
    region_rows: dict[str, dict[str, Any]] = {}
    for r in rings:
        if not r["present"]:
            continue
        code = provinces.get(r["ring_id"]) or "—"
        agg = region_rows.setdefault(code, {"province": code, "rings": 0, "new_rings": 0, "fund_loss": _money(0)})
        agg["rings"] += 1
        agg["new_rings"] += r["status"] == "new"
        agg["fund_loss"] += _money(r["fund_loss"])
    return sorted(region_rows.values(), key=lambda a: (-a["fund_loss"], a["province"]))


def _triage_rows(con: duckdb.DuckDBPyConnection, prev_head: dict[str, Any] | None, head: dict[str, Any],
                 unmask: bool, base: str) -> tuple[bool, list[TriageRow]]:
    """Triage decisions taken since the previous report, notes masked unless unmasked."""
    from ringscope.app.weekly import SHANGHAI

    found, decisions = read_triage(con, prev_head["recorded_at"] if prev_head else None, head["recorded_at"])
    return found, [TriageRow(d["ring_id"], d["decision"], d["decided_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                             mask_free_text(con, d["note"] or "") if not unmask else (d["note"] or ""),
                             ring_url(d["ring_id"], base)) for d in decisions]


def _trend(con: duckdb.DuckDBPyConnection, week: str) -> list[dict[str, Any]]:
    """The last 12 recorded weeks: cumulative rings and loss, and each week's own ring loss."""
    from ringscope.app.weekly import week_bounds

    rows = week_trend(con, week)[-12:]
    runs = dict(con.execute("SELECT week, run_id FROM history_weeks WHERE week <= ?", [week]).fetchall())
    own = week_losses(con, [(t["week"], runs.get(t["week"]), week_bounds(t["week"])[0]) for t in rows])
    return [{**t, "fund_loss": _money(t["fund_loss"]), "week_loss": own[t["week"]]} for t in rows]


def _tips_points(con: duckdb.DuckDBPyConnection, monday: Any, sunday: Any) -> Any:
    from ringscope.app.tips.weekly import week_figures

    return week_figures(con, monday, sunday)


def drg_summary(cases: list[dict[str, Any]], top_n: int = TOP_N) -> dict[str, Any]:
    """Totals per violation, the institutions with the largest extra fund expenditure, the drifting
    prescribers (coding drift, ``analytics.drg.drift``) and what was shifted to patients."""
    by_violation: dict[str, dict[str, Any]] = {}
    by_facility: dict[str, dict[str, Any]] = {}
    for c in cases:
        v = by_violation.setdefault(c["violation"], {"violation": c["violation"], "cases": 0, "fund_loss": Decimal(0)})
        v["cases"] += 1
        v["fund_loss"] += c["fund_loss"]
        f = by_facility.setdefault(c["facility_id"], {"facility_id": c["facility_id"], "cases": 0, "episodes": 0,
                                                      "fund_loss": Decimal(0), "violations": set()})
        f["cases"] += 1
        f["episodes"] += sum(1 for line in c["loss_lines"] if line["loss"] > 0)
        f["fund_loss"] += c["fund_loss"]
        f["violations"].add(c["violation"])
    top = sorted(by_facility.values(), key=lambda f: (-f["fund_loss"], -f["episodes"], f["facility_id"]))[:top_n]
    records = [record_from_json(c) for c in cases]
    prescribers = [r | {"fund_loss": float(r["fund_loss"])} for r in drift_rows(records)
                   if r["unit"] == "prescriber" and r["drifting"]][:top_n]
    return {"cases": len(cases), "institutions": len(by_facility),
            "patient_amount": float(sum((r.patient_amount for r in records), Decimal(0))),
            "drifting_prescribers": prescribers,
            "fund_loss": float(sum((c["fund_loss"] for c in cases), Decimal(0))),
            "by_violation": [{**v, "fund_loss": float(v["fund_loss"])} for v in by_violation.values()],
            "top_institutions": [{**f, "fund_loss": float(f["fund_loss"]), "violations": sorted(f["violations"])}
                                 for f in top]}
