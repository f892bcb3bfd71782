"""``ringscope tip``: take in tip-offs, see what they touch, move them through their lifecycle.

add      store the tips of a JSON or CSV file; prints each tip id and the rings it links to
list     the stored tips: received, channel, status, links, reward estimate (text masked)
show     one tip: its text, entities and matches, links, history
verify / reward / reject   the lifecycle (received -> verified -> rewarded, or rejected), audited
relink   link a tip again after a new detection run
rerun    re-run the detectors on the neighbourhood of what a tip names (a focused run)
contact  the tipster's contact in clear (needs the 'tipster_contact' right; audited)
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ringscope.app.console import make_console
from ringscope.app.login import cli_user
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from
from ringscope.graph.factory import open_store

tip_app = typer.Typer(name="tip", help="Tip-offs: intake, links to rings, lifecycle and reward estimate.",
                      no_args_is_help=True)
console = make_console()
UserOpt = typer.Option(None, "--user", "-u", help="Who acts (audit log; password from RINGSCOPE_PASSWORD or prompt).")


def _context(workspace, store, config):
    from ringscope.app.tips.service import TipContext

    cfg = config_from(workspace, store, config)
    return cfg, TipContext.from_config(cfg)


def _links_text(links) -> str:
    if not links:
        return "no ring, no suspicious structure nearby"
    out = []
    for item in links:
        where = "" if item.distance == 0 else f" ({item.distance} hops)"
        label = {"ring": "ring", "drg_case": "DRG case", "shared_identifier": "shared identifier"}[item.target_kind]
        target = item.target_id if item.target_kind != "shared_identifier" else _mask_key(item.target_id)
        out.append(f"{'nearest ' if item.relation == 'nearest' else ''}{label} {target}{where}")
    return "; ".join(out)


def _mask_key(key: str) -> str:
    from ringscope.app import pii

    label, _, node_id = key.partition(":")
    return f"{label}:{pii.mask_node_id(label, node_id)}"


@tip_app.command("add")
def add(
    file: Path = typer.Option(..., "--file", "-f", help="A tip (JSON) or many tips (JSON list or CSV)."),
    user: Optional[str] = UserOpt,
    workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt, config: Optional[Path] = ConfigOpt,
) -> None:
    """Store the tips of FILE, match what they name against the store and link them to rings."""
    from ringscope.app.tips.service import add_tip_file

    cfg, ctx = _context(workspace, store, config)
    who = cli_user(cfg, user, via="cli:tip")
    with open_store(cfg.store) as st:
        added = add_tip_file(ctx, st, file, who.name)
    for a in added:
        if a.duplicate:
            console.print(f"{a.tip_id}: already stored (same channel, time and text); not added again.",
                          highlight=False)
        else:
            console.print(f"{a.tip_id}: {_links_text(a.links)}", highlight=False, markup=False)


@tip_app.command("list")
def list_tips(
    status: Optional[str] = typer.Option(None, "--status", metavar="[received|verified|rewarded|rejected]",
                                         help="Only tips in this status."),
    workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt, config: Optional[Path] = ConfigOpt,
) -> None:
    """The stored tips, oldest first, with their links and current reward estimate (text masked)."""
    from ringscope.app.ring_source import load_rings
    from ringscope.app.tips import store as tip_store
    from ringscope.app.tips.service import current_estimate, masked_text

    cfg, ctx = _context(workspace, store, config)
    table = Table(title="Tips", title_justify="left")
    for col in ("tip", "received", "channel", "status", "links", "reward estimate (CNY)", "text (masked)"):
        table.add_column(col, justify="right" if col.startswith("reward") else "left", no_wrap=col == "tip")
    with open_store(cfg.store, read_only=True) as st:
        con = st.relational()
        rings = load_rings(cfg.workspace, con, cfg.app)
        tips = tip_store.list_tips(con, status)
        for t in tips:
            est = current_estimate(ctx, con, t, rings)
            text = masked_text(con, t.tip_id, t.text)
            table.add_row(t.tip_id, f"{t.received_at:%Y-%m-%d %H:%M}", t.channel, t.status,
                          _links_text(tip_store.tip_links(con, t.tip_id)), f"{est.amount:,.2f}",
                          text[:60] + ("…" if len(text) > 60 else ""))
    console.print(table if tips else "No tips stored yet: `ringscope tip add --file TIP.json`.")


@tip_app.command("show")
def show(
    tip_id: str = typer.Argument(..., help="The tip, e.g. T-000001."),
    workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt, config: Optional[Path] = ConfigOpt,
) -> None:
    """One tip: masked text, what it names and what matched, links, reward rule, history."""
    from ringscope.app.tips import store as tip_store
    from ringscope.app.tips.service import current_estimate, masked_text

    cfg, ctx = _context(workspace, store, config)
    with open_store(cfg.store, read_only=True) as st:
        con = st.relational()
        t = tip_store.get_tip(con, tip_id)
        est = current_estimate(ctx, con, t)
        console.print(f"{t.tip_id} · {t.channel} · received {t.received_at:%Y-%m-%d %H:%M} · {t.status}"
                      f"{' · contact on file (encrypted)' if t.has_contact else ''}", highlight=False, markup=False)
        console.print(masked_text(con, t.tip_id, t.text), highlight=False, markup=False)
        for e in tip_store.tip_entities(con, tip_id):
            found = ", ".join(f"{m['label']}:{m['id']}" for m in e.matches) or "no match"
            console.print(f"  {e.type} {e.value_masked}: {found}", highlight=False, markup=False)
        console.print(f"Links: {_links_text(tip_store.tip_links(con, tip_id))}", highlight=False, markup=False)
        console.print(f"Reward estimate: {est.amount:,.2f} ({est.rule})", highlight=False, markup=False)
        for h in tip_store.tip_history(con, tip_id):
            console.print(f"  {h['at']:%Y-%m-%d %H:%M} {h['status']} by {h['by']} {h['note']}", highlight=False,
                          markup=False)


def _move(tip_id: str, status: str, user, note: str, rings: List[str], workspace, store, config) -> None:
    from ringscope.app.tips.service import set_status

    cfg, ctx = _context(workspace, store, config)
    who = cli_user(cfg, user, via="cli:tip")
    with open_store(cfg.store) as st:
        tip, est = set_status(ctx, st.relational(), tip_id, status, who.name, note, rings or None)
    console.print(f"{tip.tip_id} is now {tip.status}; reward estimate {est.amount:,.2f} CNY ({est.rule}).",
                  highlight=False, markup=False)


RingsOpt = typer.Option([], "--ring", metavar="RING_ID", help="A ring the tip led to (repeat; default: every ring it links to).")
NoteOpt = typer.Option("", "--note", help="Why (kept in the tip's history).")


@tip_app.command("verify")
def verify(tip_id: str = typer.Argument(...), ring: List[str] = RingsOpt, note: str = NoteOpt,
           user: Optional[str] = UserOpt, workspace: Optional[Path] = WorkspaceOpt,
           store: Optional[str] = StoreOpt, config: Optional[Path] = ConfigOpt) -> None:
    """Mark a tip verified and the rings it led to; prints the reward estimate."""
    _move(tip_id, "verified", user, note, ring, workspace, store, config)


@tip_app.command("reward")
def reward(tip_id: str = typer.Argument(...), note: str = NoteOpt, user: Optional[str] = UserOpt,
           workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
           config: Optional[Path] = ConfigOpt) -> None:
    """Record that a verified tip was rewarded (the estimate at that time is kept)."""
    _move(tip_id, "rewarded", user, note, [], workspace, store, config)


@tip_app.command("reject")
def reject(tip_id: str = typer.Argument(...), note: str = NoteOpt, user: Optional[str] = UserOpt,
           workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
           config: Optional[Path] = ConfigOpt) -> None:
    """Reject a tip (not verified); its estimate becomes zero."""
    _move(tip_id, "rejected", user, note, [], workspace, store, config)


@tip_app.command("relink")
def relink_cmd(tip_id: str = typer.Argument(...), user: Optional[str] = UserOpt,
               workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
               config: Optional[Path] = ConfigOpt) -> None:
    """Link a stored tip again against the latest rings (verified links are kept)."""
    from ringscope.app.tips.service import relink

    cfg, ctx = _context(workspace, store, config)
    who = cli_user(cfg, user, via="cli:tip")
    with open_store(cfg.store) as st:
        links = relink(ctx, st, tip_id, who.name)
    console.print(f"{tip_id}: {_links_text(links)}", highlight=False, markup=False)


@tip_app.command("rerun")
def rerun_cmd(tip_id: str = typer.Argument(...), user: Optional[str] = UserOpt,
              out: Optional[Path] = typer.Option(None, "--out", help="rings.json of the focused run "
                                                 "(default WORKSPACE/tips/TIP-rerun.json)."),
              workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
              config: Optional[Path] = ConfigOpt) -> None:
    """Run every detector on the neighbourhood of what the tip names; the ring book is not touched."""
    from ringscope.app.tips.rerun import focused_rerun

    cfg, ctx = _context(workspace, store, config)
    who = cli_user(cfg, user, via="cli:tip")
    with open_store(cfg.store, read_only=True) as st:
        result = focused_rerun(cfg, ctx, st, tip_id, who.name, out)
    console.print(f"{tip_id}: focused run on {result.settlements} settlements of {result.seeds} named entities' "
                  f"neighbourhood found {len(result.rings)} candidate ring(s); written to {result.path}.",
                  highlight=False, markup=False)
    for r in result.rings:
        console.print(f"  {r['ring_id']} {r['scheme']} score {r['score']:.2f}, {len(r['members'])} members, "
                      f"fund loss {float(r['fund_loss']):,.2f}", highlight=False, markup=False)


@tip_app.command("contact")
def contact(tip_id: str = typer.Argument(...), user: Optional[str] = UserOpt,
            workspace: Optional[Path] = WorkspaceOpt, store: Optional[str] = StoreOpt,
            config: Optional[Path] = ConfigOpt) -> None:
    """Print the tipster's contact (needs the 'tipster_contact' right; the reading is audit-logged)."""
    from ringscope.app.tips.service import read_contact

    cfg, ctx = _context(workspace, store, config)
    who = cli_user(cfg, user, via="cli:tip")
    with open_store(cfg.store, read_only=True) as st:
        text = read_contact(ctx, st.relational(), tip_id, who)
    console.print(text or "(no contact given)", highlight=False, markup=False)
