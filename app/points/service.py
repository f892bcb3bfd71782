"""What the CLI, explorer, report and referral package do with credit points.

Proposals come from confirmed rings (``app.triage`` status ``confirmed``)
and confirmed DRG cases (the same triage table, keyed by case id; cases are
read by ``app.tips.linking``'s DRG hook); a supervisor with the
``confirm_points`` right confirms or rejects each, and both the decision and
the denial of one are audit-logged.  Confirmed entries go to the bureau's
registry as a CSV (UTF-8 with BOM, one row per entry) and into the referral
package of the ring they came from.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb

from ringscope.app import audit
from ringscope.app.auth import CONFIRM_POINTS, User
from ringscope.app.export.annexes import csv_cell
from ringscope.app.points import store as point_store
from ringscope.app.points.rules import YearLine, propose, running_totals
from ringscope.app.points.settings import PointSettings
from ringscope.app.ring_source import RingRecord, load_rings
from ringscope.app.triage import all_triage

REGISTRY_COLUMNS = ("entry_id", "person_type", "person_id", "year", "rule", "responsibility", "points",
                    "year_total_confirmed", "consequence", "ring_id", "occurred_on", "evidence_settlements",
                    "confirmed_by", "confirmed_at", "province_table")


def drg_case_records(workspace: Path, app_config: dict[str, Any]) -> list[RingRecord]:
    """DRG cases (contract 1.1 ``drg_cases``) as ring-like records: a case has settlements, no members."""
    path = Path(app_config.get("rings_file") or Path(workspace) / "rings.json")
    if not path.exists():
        return []
    try:
        cases = json.loads(path.read_text(encoding="utf-8")).get("drg_cases") or []
    except (ValueError, AttributeError):
        return []
    return [RingRecord(ring_id=str(c["case_id"]), scheme=str(c.get("violation") or ""), score=float(c.get("score") or 0),
                       members=(), fund_loss=float(c.get("fund_loss") or 0),
                       settlement_ids=tuple(str(s) for s in c.get("settlement_ids") or []))
            for c in cases if isinstance(c, dict) and c.get("case_id")]


def confirmed_rings(con: duckdb.DuckDBPyConnection, workspace: Path, app_config: dict[str, Any]) -> list[RingRecord]:
    rings = list(load_rings(workspace, con, app_config).rings) + drg_case_records(workspace, app_config)
    triage = all_triage(con.cursor(), [r.ring_id for r in rings])
    return [r for r in rings if triage[r.ring_id].status == "confirmed"]


def refresh(con: duckdb.DuckDBPyConnection, workspace: Path, app_config: dict[str, Any], settings: PointSettings,
            user: str) -> dict[str, int]:
    """Bring the stored proposals up to date with the confirmed rings; audited when anything changed."""
    proposals = propose(con.cursor(), confirmed_rings(con, workspace, app_config), settings)
    counts = point_store.sync_proposals(con, proposals, user)
    if counts["new"] or counts["withdrawn"]:
        audit.record(workspace, user=user, action="points_propose", target="points",
                     details={**counts, "table": settings.source})
    return counts


def ledger(con: duckdb.DuckDBPyConnection, settings: PointSettings, year: int | None = None,
           ring_ids: Iterable[str] | None = None) -> list[YearLine]:
    """Stored entries (withdrawn ones left out) with running totals per person and natural year."""
    entries = point_store.list_entries(con, statuses=("proposed", "confirmed", "rejected"))
    lines = running_totals(((e.proposal, e.status) for e in entries), settings)
    wanted = None if ring_ids is None else set(ring_ids)
    return [item for item in lines if (year is None or item.proposal.year == year)
            and (wanted is None or item.proposal.ring_id in wanted)]


def live_ring_lines(con: duckdb.DuckDBPyConnection, ring: RingRecord, settings: PointSettings) -> list[YearLine]:
    """The ring's members' entries: stored ones with their status, else what would be proposed now."""
    from ringscope.app.points.rules import propose_for_ring

    stored = {e.proposal.entry_id: e for e in point_store.list_entries(con)}
    mine = [(stored[p.entry_id].proposal, stored[p.entry_id].status) if p.entry_id in stored else (p, "proposed")
            for p in propose_for_ring(con.cursor(), ring, settings)]
    others = [(e.proposal, e.status) for e in stored.values() if e.proposal.ring_id != ring.ring_id
              and e.status in ("proposed", "confirmed")]
    people = {(p.person_type, p.person_id) for p, _ in mine}
    lines = running_totals(mine + [o for o in others if (o[0].person_type, o[0].person_id) in people], settings)
    return [item for item in lines if item.proposal.ring_id == ring.ring_id]


def decide(con: duckdb.DuckDBPyConnection, workspace: Path, entry_id: str, decision: str, user: User,
           note: str = "") -> point_store.StoredEntry:
    """Confirm or reject one proposal; needs the ``confirm_points`` right; audited either way."""
    if not user.can(CONFIRM_POINTS):
        audit.record(workspace, user=user.name, action="points_denied", target=f"points:{entry_id}",
                     role=user.role, details={"decision": decision})
        raise point_store.PointsError(f"user {user.name!r} (role {user.role!r}) lacks the '{CONFIRM_POINTS}' right; "
                                      "a supervisor confirms or rejects credit points")
    point_store.get_entry(con, entry_id)  # a clear error before anything is logged
    audit.record(workspace, user=user.name, action="points_" + ("confirm" if decision == "confirmed" else "reject"),
                 target=f"points:{entry_id}", role=user.role, details={"note": note})
    return point_store.decide(con, entry_id, decision, user.name, note)


def registry_rows(con: duckdb.DuckDBPyConnection, settings: PointSettings,
                  ring_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Confirmed entries as the bureau's registry wants them: one row each, with the year's confirmed total."""
    stored = {e.proposal.entry_id: e for e in point_store.list_entries(con, statuses=("confirmed",))}
    rows = []
    for line in ledger(con, settings, ring_ids=ring_ids):
        if line.status != "confirmed":
            continue
        p, entry = line.proposal, stored[line.proposal.entry_id]
        rows.append({"entry_id": p.entry_id, "person_type": p.person_type, "person_id": p.person_id, "year": p.year,
                     "rule": p.rule, "responsibility": p.responsibility, "points": p.points,
                     "year_total_confirmed": line.confirmed_total, "consequence": line.confirmed_consequence,
                     "ring_id": p.ring_id, "occurred_on": p.occurred_on,
                     "evidence_settlements": ";".join(e["settlement_id"] for e in p.evidence),
                     "confirmed_by": entry.decided_by,
                     "confirmed_at": entry.decided_at.isoformat(timespec="seconds") if entry.decided_at else "",
                     "province_table": f"{settings.province} ({settings.source})"})
    return rows


def registry_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV text with a byte-order mark (Excel on Chinese Windows reads it as UTF-8); cells a spreadsheet
    would evaluate are neutralised exactly as in the referral annexes."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=REGISTRY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(row.get(k)) for k in REGISTRY_COLUMNS} for row in rows)  # same cells as annexes
    return "\ufeff" + buf.getvalue()


def write_registry(con: duckdb.DuckDBPyConnection, workspace: Path, settings: PointSettings, out: Path,
                   user: str, year: int | None = None) -> int:
    """Write the registry CSV of confirmed entries (one year or all); the export is audit-logged."""
    rows = [r for r in registry_rows(con, settings) if year is None or r["year"] == year]
    audit.record(workspace, user=user, action=audit.EXPORT, target="points:registry",
                 details={"file": str(Path(out).resolve()), "rows": len(rows), "year": year})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(registry_csv(rows), encoding="utf-8")
    tmp.replace(out)
    return len(rows)

