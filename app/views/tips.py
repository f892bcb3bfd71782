"""What the tip page and the ring page show of tips and credit points, as tables.

Pages stay thin: they call these builders and render the frames.  Personal
data is masked unless ``mask=False`` (the page passes that only for a user
with ``unmask``, after logging the unmasking): the tip's free text, names
and addresses it names, and the names of matched people.  ID numbers and
phones a tip names exist only as mask and hash, so even an unmasked view
shows them masked.  Column headers and values are localised here.
"""
from __future__ import annotations

from typing import Iterable

import duckdb
import pandas as pd

from ringscope.app import pii
from ringscope.app.figures import yuan
from ringscope.app.i18n import Translator
from ringscope.app.points.rules import YearLine
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.reward import RewardEstimate
from ringscope.app.tips.service import masked_text


def tip_options(tips: Iterable[tip_store.TipRecord], tr: Translator) -> dict[str, str]:
    """Tip id -> picker label (no personal data: id, date, channel, status)."""
    return {t.tip_id: f"{t.tip_id} · {t.received_at:%Y-%m-%d} · {t.channel} · {tr.maybe(f'tips.status_{t.status}', t.status)}"
            for t in tips}


def tip_list_table(con: duckdb.DuckDBPyConnection, tips: Iterable[tip_store.TipRecord], estimates: dict[str, RewardEstimate],
                   tr: Translator) -> pd.DataFrame:
    rows = []
    for t in tips:
        links = tip_store.tip_links(con, t.tip_id)
        rows.append({"tip": t.tip_id, "received": f"{t.received_at:%Y-%m-%d %H:%M}", "channel": t.channel,
                     "status": tr.maybe(f"tips.status_{t.status}", t.status),
                     "rings": ", ".join(item.target_id for item in links if item.target_kind in ("ring", "drg_case")),
                     "reward": yuan(estimates[t.tip_id].amount)})
    return _localise(pd.DataFrame(rows, columns=["tip", "received", "channel", "status", "rings", "reward"]), tr)


def tip_text(con: duckdb.DuckDBPyConnection, tip: tip_store.TipRecord, mask: bool) -> str:
    return masked_text(con, tip.tip_id, tip.text) if mask else tip.text


def _matched_name(con: duckdb.DuckDBPyConnection, label: str, node_id: str) -> str:
    sql = {"Patient": "SELECT name FROM patients WHERE patient_id = ?",
           "Prescriber": "SELECT name FROM prescribers WHERE prescriber_id = ?",
           "Employer": "SELECT name FROM employers WHERE employer_id = ?",
           "Institution": "SELECT name FROM facilities WHERE facility_id = ?",
           "Pharmacy": "SELECT name FROM facilities WHERE facility_id = ?"}.get(label)
    row = con.execute(sql, [node_id]).fetchone() if sql else None
    return str(row[0]) if row and row[0] else ""


def entity_table(con: duckdb.DuckDBPyConnection, tip_id: str, tr: Translator, mask: bool) -> pd.DataFrame:
    """One row per (named entity, match): what the tip said and what the store holds."""
    rows = []
    for e in tip_store.tip_entities(con, tip_id):
        given = e.value_masked if (mask or e.value is None) else e.value
        for m in e.matches or ({"label": "", "id": "", "how": ""},):
            name = _matched_name(con, m["label"], m["id"]) if m["label"] else ""
            if mask and m["label"] in pii.PERSONAL_CAPTION_LABELS:
                name = pii.mask_name(name)
            key = f"{m['label']}:{m['id']}" if m["label"] else ""
            rows.append({"seq": e.seq, "type": tr.maybe(f"tips.kind_{e.type}", e.type), "given": given,
                         "match": key or tr("tips.no_match"), "match_name": name, "how": m["how"],
                         "confirmed": "✓" if key and key in e.confirmed else ""})
    return _localise(pd.DataFrame(rows, columns=["seq", "type", "given", "match", "match_name", "how", "confirmed"]), tr)


def links_table(links: Iterable[tip_store.LinkRow], tr: Translator, mask: bool) -> pd.DataFrame:
    rows = []
    for item in links:
        target = item.target_id
        if item.target_kind == "shared_identifier":
            label, _, node_id = target.partition(":")
            target = f"{tr.maybe(f'label.{label}', label)} {pii.mask_node_id(label, node_id) if mask else node_id}"
        rows.append({"target": target, "kind": tr.maybe(f"tips.target_{item.target_kind}", item.target_kind),
                     "relation": tr.maybe(f"tips.relation_{item.relation}", item.relation), "distance": item.distance,
                     "via": item.via, "verified": "✓" if item.verified else ""})
    return _localise(pd.DataFrame(rows, columns=["target", "kind", "relation", "distance", "via", "verified"]), tr)


def history_table(con: duckdb.DuckDBPyConnection, tip_id: str, tr: Translator) -> pd.DataFrame:
    rows = [{"when": f"{h['at']:%Y-%m-%d %H:%M}", "status": tr.maybe(f"tips.status_{h['status']}", h["status"]),
             "by": h["by"], "note": pii.mask_text(h["note"])} for h in tip_store.tip_history(con, tip_id)]
    return _localise(pd.DataFrame(rows, columns=["when", "status", "by", "note"]), tr)


def ring_tips_table(con: duckdb.DuckDBPyConnection, ring_id: str, tr: Translator) -> pd.DataFrame:
    """The tips linked to a ring, for the ring page (no free text: open the tip page for it)."""
    rows = [{"tip": t.tip_id, "received": f"{t.received_at:%Y-%m-%d}", "channel": t.channel,
             "status": tr.maybe(f"tips.status_{t.status}", t.status),
             "relation": tr.maybe(f"tips.relation_{item.relation}", item.relation), "distance": item.distance,
             "verified": "✓" if item.verified else ""}
            for t, item in tip_store.tips_of_ring(con, ring_id)]
    return _localise(pd.DataFrame(rows, columns=["tip", "received", "channel", "status", "relation", "distance",
                                                 "verified"]), tr)


def points_table(lines: Iterable[YearLine], tr: Translator) -> pd.DataFrame:
    """Credit-point entries with running totals and consequences (person ids are staff codes, not PII)."""
    rows = [{"entry": item.proposal.entry_id, "person": f"{tr.maybe(f'points.person_{item.proposal.person_type}', item.proposal.person_type)} "
                                                      f"{item.proposal.person_id}",
             "year": item.proposal.year, "rule": tr.maybe(f"points.rule_{item.proposal.rule}", item.proposal.rule),
             "responsibility": tr.maybe(f"points.degree_{item.proposal.responsibility}", item.proposal.responsibility),
             "points": item.proposal.points, "status": tr.maybe(f"points.status_{item.status}", item.status),
             "running_total": item.running_total, "consequence": tr.maybe(f"points.consequence_{item.consequence}", item.consequence),
             "evidence": evidence_cell([e["settlement_id"] for e in item.proposal.evidence], tr)} for item in lines]
    cols = ["entry", "person", "year", "rule", "responsibility", "points", "status", "running_total", "consequence",
            "evidence"]
    return _localise(pd.DataFrame(rows, columns=cols), tr)


EVIDENCE_SHOWN = 3
"""Settlement ids shown in a credit-point row; the full list is in the points registry and the referral."""


def evidence_cell(settlement_ids: list[str], tr: Translator) -> str:
    """The first few settlement ids and how many there are in all (a row must stay one row)."""
    shown = ", ".join(settlement_ids[:EVIDENCE_SHOWN])
    if len(settlement_ids) <= EVIDENCE_SHOWN:
        return shown
    return f"{shown} {tr('points.evidence_more', n=len(settlement_ids))}"


def _localise(df: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    return df.rename(columns={c: tr.maybe(f"tips.col_{c}", c) for c in df.columns})
