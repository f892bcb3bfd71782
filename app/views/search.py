"""Entity search and link analysis: search results, neighbourhoods, shortest paths."""
from __future__ import annotations

import re
from typing import Any, Sequence

import pandas as pd

from ringscope.app import pii
from ringscope.app.i18n import Translator
from ringscope.app.ring_graph import prepare_graph, to_html
from ringscope.app.tips.matching import masked_value, match_hashed
from ringscope.app.tips.secrets import TipKey
from ringscope.graph.model import LABELS
from ringscope.graph.store import Node, NodeRef, Store, Subgraph

# What an investigator searches for (labels of the graph model).
SEARCHABLE = ("Patient", "Card", "Institution", "Pharmacy", "Prescriber", "Employer", "Device", "TraceCode",
              "Settlement", "Phone")


# Labels whose caption is a person's name, and labels whose id itself is personal data.
NAME_CAPTION_LABELS = frozenset({"Patient", "Prescriber"})
PERSONAL_ID_LABELS = frozenset(pii.PERSONAL_ID_LABELS)
_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


def search_entities(store: Store, text: str, labels: list[str] | None = None, limit: int = 50,
                    masked: bool = False, key: TipKey | None = None) -> list[Node]:
    """Entities matching ``text``; for a masked viewer, never by a personal value it cannot see.

    Masked, a name search finds nobody (it would confirm the name), and phones and addresses are
    found only by their full value (a prefix search would spell a masked phone out digit by digit).
    A full ID number or mobile finds the patient or employer holding it, for every viewer, matched on
    the keyed hash the tip-offs use (``key``, ``app.tips.secrets``): the typed number is hashed,
    candidates are narrowed by the characters a mask shows anyway, and the stored numbers are hashed
    the same way and compared — no stored number is compared in clear or returned, and the result
    reveals nothing the viewer did not type. The page audit-logs every search.
    """
    text = (text or "").strip()
    wanted = [lb for lb in (labels or SEARCHABLE) if lb in LABELS]
    if not text or not wanted:
        return []
    personal = _hashed_personal(store, text, wanted, key) if key is not None else []
    if not masked:
        return _unique(personal + store.search(text, labels=wanted, limit=limit))
    open_labels = [lb for lb in wanted if lb not in PERSONAL_ID_LABELS]
    found = [n for n in store.search(text, labels=open_labels, limit=limit)
             if _shown_match(n, text)] if open_labels else []  # an empty list means "every label" to the store
    return _unique(personal + found)


def _unique(nodes: list[Node]) -> list[Node]:
    seen: set[str] = set()
    return [n for n in nodes if not (n.key in seen or seen.add(n.key))]  # type: ignore[func-returns-value]


def _shown_match(node: Node, text: str) -> bool:
    """Whether a masked viewer may see why ``node`` matched: by its id, or by a caption that is not a name."""
    return node.id.startswith(text) or node.label not in NAME_CAPTION_LABELS


def personal_kind(text: str) -> tuple[str, str] | None:
    """``("id_number", value)`` or ``("phone", value)`` when ``text`` is a full ID number or mobile, else None."""
    squeezed = re.sub(r"[\s\-()]", "", text or "")
    if _ID_NUMBER.fullmatch(squeezed):
        return "id_number", squeezed.upper()
    mobile = _MOBILE.fullmatch(squeezed)
    return ("phone", mobile.group(1)) if mobile else None


def _hashed_personal(store: Store, text: str, wanted: list[str], key: TipKey) -> list[Node]:
    """Whoever holds the full ID number or phone ``text``, matched on its keyed hash (never a prefix)."""
    kind_value = personal_kind(text)
    if kind_value is None:
        return []
    kind, value = kind_value
    matches = match_hashed(store.relational().cursor(), kind, key.lookup_hash(kind, value),
                           masked_value(kind, value), key)
    found = [n for n in (store.get_node(m.label, m.id) for m in matches if m.label in wanted) if n is not None]
    if kind == "phone" and matches and "Phone" in wanted:  # the phone itself, once someone is known to hold it
        node = store.get_node("Phone", value)
        found += [node] if node else []
    return found


def lookup_key(cfg: Any) -> TipKey:
    """The tip-offs' key (``[app.tips] key_file`` or ``RINGSCOPE_TIP_KEY``): one keyed hash for tips and search."""
    from ringscope.app.tips.secrets import load_key
    from ringscope.app.tips.settings import TipSettings

    return load_key(cfg.workspace, TipSettings.from_config(cfg.app, cfg.workspace).key_file)


def query_hash(text: str, key: TipKey | None) -> str | None:
    """The keyed hash of a full ID number or phone query (the audit log keeps it, never the number)."""
    kind_value = personal_kind(text)
    return key.lookup_hash(*kind_value) if kind_value and key is not None else None


def audit_query(text: str) -> str:
    """The query as the audit log keeps it: personal values masked (the log is read by auditors)."""
    mobile = _MOBILE.fullmatch(re.sub(r"[\s\-()]", "", text))
    return pii.mask_phone(mobile.group(1)) if mobile else pii.mask_text(text)


def result_rows(nodes: list[Node], tr: Translator, mask: bool) -> pd.DataFrame:
    rows = []
    for n in nodes:
        shown_id = pii.mask_node_id(n.label, n.id) if mask else n.id
        caption = pii.mask_caption(n.label, n.caption) if mask else n.caption
        rows.append({tr("col.type"): tr.maybe(f"label.{n.label}", n.label), tr("col.id"): shown_id,
                     tr("col.name"): caption if caption != shown_id else ""})
    return pd.DataFrame(rows, columns=[tr("col.type"), tr("col.id"), tr("col.name")])


def option_label(n: Node, tr: Translator, mask: bool) -> str:
    shown_id = pii.mask_node_id(n.label, n.id) if mask else n.id
    caption = pii.mask_caption(n.label, n.caption) if mask else n.caption
    extra = f" · {caption}" if caption and caption != shown_id else ""
    return f"{tr.maybe(f'label.{n.label}', n.label)} {shown_id}{extra}"


def neighbourhood(store: Store, ref: NodeRef, hops: int, node_limit: int = 300) -> Subgraph:
    return store.neighbourhood(ref, hops=hops, node_limit=node_limit)


def graph_html(sub: Subgraph, lang: str, mask: bool, focus: Sequence[NodeRef] = ()) -> str:
    roles = {r.key: "focus" for r in focus}
    return to_html(prepare_graph(sub, roles, lang=lang, mask=mask), lang=lang, height="560px")


def path_steps(sub: Subgraph, a: NodeRef, tr: Translator, mask: bool) -> list[str]:
    """The path from ``a`` as readable steps: node —TYPE— node ..."""
    by_key = {n.key: n for n in sub.nodes}
    adj: dict[str, list[tuple[str, str]]] = {}
    for e in sub.edges:
        adj.setdefault(e.source, []).append((e.type, e.target))
        adj.setdefault(e.target, []).append((e.type, e.source))
    steps, seen, cur = [], {a.key}, a.key
    while True:
        n = by_key.get(cur)
        if n is not None:
            steps.append(f"{tr.maybe(f'label.{n.label}', n.label)} "
                         f"{pii.mask_node_id(n.label, n.id) if mask else n.id}")
        nxt = [(t, k) for t, k in adj.get(cur, []) if k not in seen]
        if not nxt:
            break
        t, cur = nxt[0]
        seen.add(cur)
        steps.append(f"—{t}→")
    return steps
