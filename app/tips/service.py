"""What the CLI and the explorer do with tips, each step audit-logged.

Adding a file: read and check every tip (``intake``), hash and mask ID
numbers and phones, encrypt contacts, match the named entities against the
store (``matching``), link them to rings and DRG cases (``linking``), then
store them in one transaction (``store``) and write one audit event per tip.
Status changes recompute the reward estimate (``reward``) from the rings the
tip led to that investigators confirmed (``app.triage``).  Reading a contact
needs the ``tipster_contact`` right and is logged before it is returned.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import duckdb

from ringscope.app import audit, pii
from ringscope.app.auth import TIPSTER_CONTACT, User
from ringscope.app.ring_source import RingSet, load_rings
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.intake import HASHED_TYPES, TipInput, read_tip_file
from ringscope.app.tips.linking import Link, drg_case_index, drg_case_losses, link_tip, ring_index
from ringscope.app.tips.matching import Match, masked_value, match_entity
from ringscope.app.tips.reward import RewardEstimate, estimate_reward
from ringscope.app.tips.secrets import TipKey, load_key
from ringscope.app.tips.settings import TipSettings
from ringscope.app.triage import all_triage
from ringscope.graph.store import Store

TIP_ADD, TIP_STATUS, TIP_CONTACT, TIP_RELINK = "tip_add", "tip_status", "tip_contact", "tip_relink"


@dataclass(frozen=True)
class Added:
    tip_id: str
    links: list[Link]
    duplicate: bool = False


@dataclass(frozen=True)
class TipContext:
    """The configuration pieces every tip operation needs."""
    workspace: Path
    app_config: dict[str, Any]
    settings: TipSettings
    key: TipKey

    @classmethod
    def from_config(cls, cfg: Any) -> "TipContext":
        settings = TipSettings.from_config(cfg.app, cfg.workspace)
        return cls(Path(cfg.workspace), dict(cfg.app), settings, load_key(cfg.workspace, settings.key_file))


def fingerprint(tip: TipInput) -> str:
    """Same channel, time, reference and text = the same tip filed twice."""
    basis = "\x1f".join([tip.received_at.isoformat(), tip.channel, tip.tip_ref, tip.text])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _entity_rows(con: duckdb.DuckDBPyConnection, tip: TipInput, key: TipKey) -> tuple[list[tip_store.EntityRow], list[Match]]:
    rows, all_matches = [], []
    for seq, e in enumerate(tip.entities, 1):
        if e.type in HASHED_TYPES:
            value, value_hash, masked = None, key.lookup_hash(e.type, e.value), masked_value(e.type, e.value)
        else:
            value, value_hash = e.value, None
            masked = pii.mask_name(e.value) if e.type == "name" else \
                pii.mask_address(e.value) if e.type == "address" else e.value
        found = match_entity(con, e.type, value, value_hash, masked, key)
        all_matches += found
        rows.append(tip_store.EntityRow(seq, e.type, value, value_hash, masked,
                                        tuple({"label": m.label, "id": m.id, "how": m.how} for m in found)))
    return rows, all_matches


def _link_rows(links: Sequence[Link]) -> list[tip_store.LinkRow]:
    return [tip_store.LinkRow(item.target_kind, item.target_id, item.relation, item.distance, item.via) for item in links]


def add_tip_file(ctx: TipContext, store: Store, path: Path, user: str) -> list[Added]:
    """Store every tip of ``path`` (none when any is malformed); tips filed before are reported, not doubled."""
    tips = read_tip_file(path)
    con = store.relational()
    known = tip_store.find_fingerprints(con, [fingerprint(t) for t in tips])
    rings = load_rings(ctx.workspace, con, ctx.app_config)
    index, cases = ring_index(rings.rings), drg_case_index(ctx.workspace, ctx.app_config)
    prepared, added = [], []
    for tip in tips:
        fp = fingerprint(tip)
        if fp in known:
            added.append(Added(known[fp], [], duplicate=True))
            continue
        entities, matches = _entity_rows(con.cursor(), tip, ctx.key)
        links = link_tip(store, matches, index, cases, ctx.settings)
        token = ctx.key.encrypt(tip.contact) if tip.contact else None
        prepared.append((tip_store.NewTip(fp, tip.received_at, tip.channel, tip.tip_ref, tip.text, token,
                                          tip.extra, entities, _link_rows(links)), links))
    ids = tip_store.store_tips(con, [p[0] for p in prepared], user, str(path)) if prepared else []
    for tip_id, (_new, links) in zip(ids, prepared):
        audit.record(ctx.workspace, user=user, action=TIP_ADD, target=f"tip:{tip_id}",
                     details={"file": str(path), "rings": [item.target_id for item in links if item.target_kind == "ring"]})
        added.append(Added(tip_id, links))
    return sorted(added, key=lambda a: a.tip_id)


def relink(ctx: TipContext, store: Store, tip_id: str, user: str) -> list[Link]:
    """Link a stored tip again (after a new detection run); verified links are kept."""
    con = store.relational()
    matches = [Match(m["label"], m["id"], m["how"]) for e in tip_store.tip_entities(con, tip_id) for m in
               (e.matches if not e.confirmed else [m for m in e.matches if f"{m['label']}:{m['id']}" in e.confirmed])]
    rings = load_rings(ctx.workspace, con, ctx.app_config)
    links = link_tip(store, matches, ring_index(rings.rings), drg_case_index(ctx.workspace, ctx.app_config), ctx.settings)
    tip_store.replace_links(con, tip_id, _link_rows(links), user)
    audit.record(ctx.workspace, user=user, action=TIP_RELINK, target=f"tip:{tip_id}",
                 details={"links": [f"{item.target_kind}:{item.target_id}" for item in links]})
    return links


def confirmed_losses(con: duckdb.DuckDBPyConnection, rings: RingSet, ring_ids: Sequence[str],
                     case_losses: dict[str, Decimal] | None = None) -> list[tuple[str, Decimal]]:
    """Fund loss of those rings (or DRG cases) of ``ring_ids`` that investigators confirmed (triage ``confirmed``)."""
    triage = all_triage(con.cursor(), list(ring_ids))
    out = []
    for rid in ring_ids:
        ring, case_loss = rings.get(rid), (case_losses or {}).get(rid)
        if triage[rid].status != "confirmed":
            continue
        if ring is not None:
            out.append((rid, ring.reported_fund_loss if ring.reported_fund_loss is not None
                        else Decimal(str(ring.fund_loss))))
        elif case_loss is not None:
            out.append((rid, case_loss))
    return out


def current_estimate(ctx: TipContext, con: duckdb.DuckDBPyConnection, tip: tip_store.TipRecord,
                     rings: RingSet | None = None) -> RewardEstimate:
    """The estimate now: verified links whose rings are confirmed, under the configured table."""
    rings = rings if rings is not None else load_rings(ctx.workspace, con, ctx.app_config)
    verified = [item.target_id for item in tip_store.tip_links(con, tip.tip_id)
                if item.verified and item.target_kind in ("ring", "drg_case")]
    cases = drg_case_losses(ctx.workspace, ctx.app_config)
    return estimate_reward(tip.status, confirmed_losses(con, rings, verified, cases), ctx.settings)


def set_status(ctx: TipContext, con: duckdb.DuckDBPyConnection, tip_id: str, status: str, user: str,
               note: str = "", rings_led_to: Sequence[str] | None = None) -> tuple[tip_store.TipRecord, RewardEstimate]:
    """verify / reward / reject a tip; verifying marks the rings it led to (default: those it is linked to)."""
    links = tip_store.tip_links(con, tip_id)
    linked = [item.target_id for item in links if item.target_kind in ("ring", "drg_case") and item.relation != "nearest"]
    chosen: list[str] = []
    if status == "verified":
        chosen = list(rings_led_to) if rings_led_to else linked
        unknown = sorted(set(chosen) - {item.target_id for item in links})
        if unknown:
            raise tip_store.TipError(f"tip {tip_id} is not linked to {', '.join(unknown)}; "
                                     f"linked: {', '.join(linked) or 'none'}")
    tip = tip_store.get_tip(con, tip_id)
    ring_set = load_rings(ctx.workspace, con, ctx.app_config)
    already = [item.target_id for item in links if item.verified and item.target_kind in ("ring", "drg_case")]
    counted = confirmed_losses(con, ring_set, sorted(set(already) | set(chosen)),
                               drg_case_losses(ctx.workspace, ctx.app_config))
    estimate = estimate_reward(status, counted, ctx.settings)
    updated = tip_store.change_status(con, tip.tip_id, status, user, note, chosen,
                                      (estimate.amount, estimate.rule, estimate.rule_zh))
    audit.record(ctx.workspace, user=user, action=TIP_STATUS, target=f"tip:{tip_id}",
                 details={"from": tip.status, "to": status, "rings": chosen, "reward_estimate": str(estimate.amount)})
    return updated, estimate


def read_contact(ctx: TipContext, con: duckdb.DuckDBPyConnection, tip_id: str, user: User | None) -> str:
    """The tipster's contact in clear, for a user with the ``tipster_contact`` right; logged first."""
    if user is None or not user.can(TIPSTER_CONTACT):
        who = user.name if user else "anonymous"
        audit.record(ctx.workspace, user=who, action="tip_contact_denied", target=f"tip:{tip_id}")
        raise tip_store.TipError(f"reading a tipster's contact needs the '{TIPSTER_CONTACT}' right")
    token = tip_store.contact_token(con, tip_id)
    if token is None:
        return ""
    audit.record(ctx.workspace, user=user.name, action=TIP_CONTACT, target=f"tip:{tip_id}", role=user.role)
    return ctx.key.decrypt(token)


def confirm_matches(ctx: TipContext, con: duckdb.DuckDBPyConnection, tip_id: str, seq: int, keys: Sequence[str],
                    user: str) -> None:
    """Keep the investigator's choice among an entity's matches; audit-logged like every write."""
    tip_store.confirm_matches(con, tip_id, seq, keys, user)
    audit.record(ctx.workspace, user=user, action="tip_matches", target=f"tip:{tip_id}",
                 details={"entity": seq, "confirmed": sorted(keys)})


def masked_text(con: duckdb.DuckDBPyConnection, tip_id: str, text: str) -> str:
    """The tip's free text with ID numbers, phones and every name it or its matches carry masked."""
    names = set()
    for e in tip_store.tip_entities(con, tip_id):
        if e.type == "name" and e.value:
            names.add(e.value)
        for m in e.matches:
            if m["label"] in ("Patient", "Prescriber"):
                table, key = ("patients", "patient_id") if m["label"] == "Patient" else ("prescribers", "prescriber_id")
                row = con.execute(f"SELECT name FROM {table} WHERE {key} = ?", [m["id"]]).fetchone()
                if row and row[0]:
                    names.add(str(row[0]))
    masked = pii.mask_text(text, names)
    for address in sorted((e.value for e in tip_store.tip_entities(con, tip_id) if e.type == "address" and e.value),
                          key=len, reverse=True):
        masked = masked.replace(address, pii.mask_address(address))
    return masked
