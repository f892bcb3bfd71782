"""Entity search and link analysis: search results, neighbourhoods, shortest paths."""
from __future__ import annotations

import pandas as pd

from ringscope.app import pii
from ringscope.app.i18n import Translator
from ringscope.app.ring_graph import prepare_graph, to_html
from ringscope.graph.model import LABELS
from ringscope.graph.store import Node, NodeRef, Store, Subgraph

# What an investigator searches for (labels of the graph model).
SEARCHABLE = ("Patient", "Card", "Institution", "Pharmacy", "Prescriber", "Employer", "Device", "TraceCode",
              "Settlement", "Phone")


def search_entities(store: Store, text: str, labels: list[str] | None = None, limit: int = 50) -> list[Node]:
    text = (text or "").strip()
    if not text:
        return []
    return store.search(text, labels=[l for l in (labels or SEARCHABLE) if l in LABELS], limit=limit)


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


def graph_html(sub: Subgraph, lang: str, mask: bool, focus: list[NodeRef] = ()) -> str:
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
