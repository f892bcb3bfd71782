"""Draw a ring (a store ``Subgraph``) as a self-contained interactive HTML page.

Used by the explorer's search and entity pages and, on request, for a ring's
full store graph (settlements, trace codes) on the ring page; a ring's default
picture and the referral's graph are the entity picture (``app.entity_view``).
It depends on nothing of Streamlit::

    html = render_ring_html(subgraph, roles={"Patient:P001": "seller"}, lang="zh")

* Colour by node label, size by role (ring members larger, organisers
  largest) plus degree centrality within the picture; a legend in the
  page's language.
* Personal data (patient and prescriber names, phones, addresses) is masked
  unless ``mask=False``; vis node ids are indexes, never the raw ids.
* Trace-code resale chains are drawn as red dashed paths from one
  settlement of a box to the next (``chains``: trace code -> settlement ids in time order).
* Fully offline: pyvis ``cdn_resources="in_line"`` with the two Bootstrap
  tags that still point at a CDN stripped (platform notes).
* Big pictures never freeze a page: above ``collapse_above`` nodes the graph
  is aggregated (settlements by the facility they were settled at, other
  nodes by label; ring facilities stay individual) and :func:`drill` gives
  one group's nodes with their neighbours.  Above ``physics_above`` nodes a
  layout is computed once (igraph Fruchterman-Reingold) and physics is off.
"""
from __future__ import annotations

import html as html_lib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from ringscope.app import pii
from ringscope.app.i18n import Translator
from ringscope.graph.store import Node, Subgraph

COLLAPSE_ABOVE = 1000  # nodes; above this a ring is drawn aggregated (vis-network stalls past a few thousand)
PHYSICS_ABOVE = 150  # nodes; above this a precomputed layout replaces live physics (~30 s to settle 500 nodes)
DRILL_LIMIT = 1000  # nodes shown when drilling into one group

LABEL_COLOURS: dict[str, str] = {
    "Patient": "#4e79a7", "Card": "#76b7b2", "Prescriber": "#b07aa1", "Institution": "#e15759",
    "Pharmacy": "#f28e2b", "Drug": "#9c755f", "TraceCode": "#edc948", "Settlement": "#bab0ac",
    "Employer": "#59a14f", "MaternityClaim": "#ff9da7", "Phone": "#17becf", "Address": "#8c564b",
    "Device": "#7f7f7f",
}
CHAIN_COLOUR = "#d62728"
LEADER_ROLES = frozenset({"organizer", "organiser", "leader", "broker", "agent", "driver", "recruiter", "prescriber"})


@dataclass
class GraphNode:
    key: str  # Node.key, or "group:..." for an aggregate
    label: str
    text: str  # what is written under the node (masked when asked)
    title: str  # hover text
    size: float
    colour: str
    role: str = ""
    count: int = 1  # nodes it stands for (aggregates)
    x: float | None = None
    y: float | None = None


@dataclass
class GraphEdge:
    source: str
    target: str
    type: str
    count: int = 1
    chain: bool = False


@dataclass
class GraphView:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    collapsed: bool = False
    groups: dict[str, list[str]] = field(default_factory=dict)  # group key -> node keys (collapsed only)
    physics: bool = True
    source_nodes: int = 0


def _label_name(tr: Translator, label: str) -> str:
    return tr.maybe(f"label.{label}", label)


def _shown(node: Node, mask: bool) -> tuple[str, str]:
    """(id, caption) as shown: masked where personal."""
    if not mask:
        return node.id, node.caption or node.id
    return pii.mask_node_id(node.label, node.id), pii.mask_caption(node.label, node.caption or node.id)


def _node_size(role: str, degree: int, max_degree: int) -> float:
    base = 12.0
    if role:
        base = 30.0 if role.lower() in LEADER_ROLES else 22.0
    return base + 18.0 * (degree / max_degree if max_degree else 0.0)


def _chain_edges(chains: Mapping[str, Sequence[str]], present: set[str]) -> list[GraphEdge]:
    out = []
    for chain in chains.values():
        keys = [f"Settlement:{sid}" for sid in chain]
        keys = [k for k in keys if k in present]
        for a, b in zip(keys, keys[1:]):
            out.append(GraphEdge(a, b, "RESOLD", chain=True))
    return out


def _full_view(sub: Subgraph, roles: Mapping[str, str], tr: Translator, mask: bool,
               chains: Mapping[str, Sequence[str]]) -> GraphView:
    degree: Counter[str] = Counter()
    for e in sub.edges:
        degree[e.source] += 1
        degree[e.target] += 1
    max_degree = max(degree.values(), default=0)
    nodes = []
    for n in sub.nodes:
        shown_id, caption = _shown(n, mask)
        role = roles.get(n.key, "")
        text = caption if caption and caption != shown_id else shown_id
        title_lines = [f"{_label_name(tr, n.label)}: {shown_id}"]
        if caption and caption != shown_id:
            title_lines.append(caption)
        if role:
            title_lines.append(f"{tr('graph.role')}: {tr.maybe('role.' + role, role)}")
        title_lines.append(f"{tr('graph.degree')}: {degree[n.key]}")
        nodes.append(GraphNode(n.key, n.label, text, "\n".join(title_lines),
                               _node_size(role, degree[n.key], max_degree),
                               LABEL_COLOURS.get(n.label, "#999999"), role))
    present = {n.key for n in sub.nodes}
    chain_edges = {(f"Settlement:{sid}", f"TraceCode:{code}") for code, sids in chains.items() if len(sids) > 1
                   for sid in sids}
    edges = []
    for e in sub.edges:
        on_chain = e.type == "DISPENSED" and (e.source, e.target) in chain_edges
        edges.append(GraphEdge(e.source, e.target, e.type, chain=on_chain))
    edges.extend(_chain_edges(chains, present))
    return GraphView(nodes, edges, collapsed=False, source_nodes=len(sub.nodes))


def group_of(node_key: str, label: str, settled_at: Mapping[str, str], keep: set[str]) -> str:
    if node_key in keep:
        return node_key
    if label == "Settlement" and node_key in settled_at:
        return f"group:Settlement@{settled_at[node_key]}"
    return f"group:{label}"


def collapse_groups(sub: Subgraph, roles: Mapping[str, str]) -> dict[str, list[str]]:
    """Group key -> node keys: settlements by facility, facilities kept, the rest by label."""
    labels = {n.key: n.label for n in sub.nodes}
    facilities = [k for k, label in labels.items() if label in ("Institution", "Pharmacy")]
    keep = set(facilities) if len(facilities) <= 200 else set()
    at = {e.source: e.target for e in sub.edges if e.type == "AT" and e.target in keep}
    groups: dict[str, list[str]] = defaultdict(list)
    for key, label in labels.items():
        groups[group_of(key, label, at, keep)].append(key)
    return dict(groups)


def _collapsed_view(sub: Subgraph, roles: Mapping[str, str], tr: Translator, mask: bool) -> GraphView:
    groups = collapse_groups(sub, roles)
    member_of = {k: g for g, keys in groups.items() for k in keys}
    by_key = {n.key: n for n in sub.nodes}
    sizes = {g: len(keys) for g, keys in groups.items()}
    biggest = max(sizes.values(), default=1)
    nodes = []
    for g, keys in sorted(groups.items()):
        if not g.startswith("group:"):
            n = by_key[g]
            shown_id, caption = _shown(n, mask)
            text = caption if caption != shown_id else shown_id
            nodes.append(GraphNode(g, n.label, text, f"{_label_name(tr, n.label)}: {shown_id}\n{caption}", 28.0,
                                   LABEL_COLOURS.get(n.label, "#999999"), roles.get(g, "")))
            continue
        label = g.split(":", 1)[1].split("@", 1)[0]
        ring_members = sum(1 for k in keys if k in roles)
        where = ""
        if "@" in g:
            fac = by_key.get(g.split("@", 1)[1])
            where = f" @ {(fac.caption or fac.id) if fac else g.split('@', 1)[1]}"
        text = tr("graph.group", label=_label_name(tr, label), count=len(keys)) + where
        title = text + (f"\n{tr('graph.group_members', count=ring_members)}" if ring_members else "")
        nodes.append(GraphNode(g, label, text, title, 14.0 + 36.0 * (len(keys) / biggest) ** 0.5,
                               LABEL_COLOURS.get(label, "#999999"), count=len(keys)))
    pair_counts: Counter[tuple[str, str, str]] = Counter()
    for e in sub.edges:
        a, b = member_of[e.source], member_of[e.target]
        if a != b:
            pair_counts[(a, b, e.type)] += 1
    edges = [GraphEdge(a, b, t, count=c) for (a, b, t), c in sorted(pair_counts.items())]
    return GraphView(nodes, edges, collapsed=True, groups=groups, source_nodes=len(sub.nodes))


def prepare_graph(sub: Subgraph, roles: Mapping[str, str] | None = None, lang: str = "zh", mask: bool = True,
                  chains: Mapping[str, Sequence[str]] | None = None, collapse_above: int = COLLAPSE_ABOVE,
                  physics_above: int = PHYSICS_ABOVE) -> GraphView:
    """The drawable view of a subgraph (full or collapsed), with a layout when it is big."""
    tr = Translator(lang)
    roles = dict(roles or {})
    chains = dict(chains or {})
    if len(sub.nodes) > collapse_above:
        view = _collapsed_view(sub, roles, tr, mask)
    else:
        view = _full_view(sub, roles, tr, mask, chains)
    view.physics = len(view.nodes) <= physics_above
    if not view.physics:
        _layout(view)
    return view


def _layout(view: GraphView) -> None:
    import igraph as ig

    index = {n.key: i for i, n in enumerate(view.nodes)}
    pairs = {(index[e.source], index[e.target]) for e in view.edges if e.source in index and e.target in index}
    g = ig.Graph(n=len(view.nodes), edges=sorted(pairs))
    coords = g.layout_fruchterman_reingold(niter=150, grid="grid" if len(view.nodes) > 300 else "nogrid")
    scale = 12.0 * max(1.0, len(view.nodes) ** 0.5)
    xs = [c[0] for c in coords] or [0.0]
    ys = [c[1] for c in coords] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    for n, (x, y) in zip(view.nodes, coords):
        n.x = (x - min(xs)) / span * scale * 10
        n.y = (y - min(ys)) / span * scale * 10


def drill(sub: Subgraph, group: str, roles: Mapping[str, str] | None = None, limit: int = DRILL_LIMIT) -> Subgraph:
    """The nodes of one collapsed group plus their direct neighbours, at most ``limit`` nodes."""
    groups = collapse_groups(sub, roles or {})
    inner = sorted(groups.get(group, [group] if group in sub.node_keys() else []))[:limit]
    keep = set(inner)
    for e in sub.edges:
        if len(keep) >= limit:
            break
        if e.source in keep and e.target not in keep:
            keep.add(e.target)
        elif e.target in keep and e.source not in keep:
            keep.add(e.source)
    nodes = [n for n in sub.nodes if n.key in keep]
    edges = [e for e in sub.edges if e.source in keep and e.target in keep]
    return Subgraph(nodes=nodes, edges=edges, truncated=len(groups.get(group, [])) > limit)


_CDN_TAG = re.compile(
    r"<link[^>]*href=\"https?://[^\"]*\"[^>]*/?>|<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", re.S)


def _legend_html(view: GraphView, tr: Translator) -> str:
    labels = sorted({n.label for n in view.nodes})
    items = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'background:{LABEL_COLOURS.get(label, "#999")};margin-right:6px"></span>{html_lib.escape(_label_name(tr, label))}</div>'
        for label in labels
    )
    if any(e.chain for e in view.edges):
        items += (f'<div><span style="display:inline-block;width:18px;border-top:3px dashed {CHAIN_COLOUR};'
                  f'margin-right:6px;vertical-align:middle"></span>{html_lib.escape(tr("graph.chain"))}</div>')
    items += f'<div style="margin-top:4px;color:#555">{html_lib.escape(tr("graph.size_hint"))}</div>'
    if view.collapsed:
        items += f'<div style="margin-top:4px;color:#a00">{html_lib.escape(tr("graph.collapsed_hint"))}</div>'
    return ('<div id="ringscope-legend" style="position:absolute;top:8px;right:8px;z-index:10;background:#fffe;'
            'border:1px solid #ccc;border-radius:4px;padding:6px 8px;font:12px sans-serif;max-width:220px">'
            f'<b>{html_lib.escape(tr("graph.legend"))}</b>{items}</div>')


def to_html(view: GraphView, lang: str = "zh", height: str = "640px") -> str:
    """A self-contained HTML page drawing ``view`` with vis-network (via pyvis)."""
    from pyvis.network import Network

    tr = Translator(lang)
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line")
    index = {n.key: i for i, n in enumerate(view.nodes)}
    # Nodes and edges are appended directly: pyvis' add_node/add_edge check duplicates by linear scans
    # (quadratic on big rings); our keys are unique by construction.
    for n in view.nodes:
        item = {"id": index[n.key], "label": n.text, "title": n.title, "color": n.colour, "size": round(n.size, 1),
                "shape": "dot", "font": {"size": 12}}
        if n.role:
            item["borderWidth"] = 3
            item["color"] = {"background": n.colour, "border": "#222222"}
        if n.x is not None and n.y is not None:
            item["x"], item["y"] = round(n.x, 1), round(n.y, 1)
        net.nodes.append(item)
        net.node_ids.append(index[n.key])
        net.node_map[index[n.key]] = item
    for e in view.edges:
        if e.source not in index or e.target not in index:
            continue
        item = {"from": index[e.source], "to": index[e.target], "title": e.type if e.count == 1 else f"{e.type} ×{e.count}",
                "arrows": "to", "color": "#bbbbbb"}
        if e.count > 1:
            item["width"] = min(12.0, 1.0 + e.count ** 0.5)
        if e.chain:
            item.update(color=CHAIN_COLOUR, width=3, dashes=e.type == "RESOLD")
        net.edges.append(item)
    options = {
        "physics": {"enabled": view.physics, "solver": "barnesHut",
                    "stabilization": {"enabled": True, "iterations": 200, "fit": True}},
        "interaction": {"hover": True, "navigationButtons": False, "tooltipDelay": 100},
        "edges": {"smooth": False},
        "layout": {"improvedLayout": len(view.nodes) <= 100},
    }
    net.set_options(json.dumps(options))
    page = net.generate_html(notebook=False)
    page = _CDN_TAG.sub("", page)
    page = page.replace('<div class="card" style="width: 100%">',
                        '<div class="card" style="width: 100%; position: relative">' + _legend_html(view, tr), 1)
    page = page.replace("<center>\n          <h1></h1>\n        </center>", "")
    return page


def render_ring_html(subgraph: Subgraph, roles: Mapping[str, str] | None = None, lang: str = "zh",
                     mask: bool = True, chains: Mapping[str, Sequence[str]] | None = None, height: str = "640px",
                     collapse_above: int = COLLAPSE_ABOVE) -> str:
    """Self-contained HTML of a ring's graph (see the module docstring).

    ``roles`` maps node keys (``"Patient:P001"``) to member roles; ``chains`` maps
    each resold trace code to the ids of the settlements that reimbursed it, in time order.
    """
    view = prepare_graph(subgraph, roles, lang=lang, mask=mask, chains=chains, collapse_above=collapse_above)
    return to_html(view, lang=lang, height=height)


def member_roles(members: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Node key -> role for ring members given as (entity type, id, role); facilities map to both labels."""
    from ringscope.graph.model import ENTITY_LABELS

    roles: dict[str, str] = {}
    for etype, eid, role in members:
        for label in ENTITY_LABELS.get(etype, ()):
            roles[f"{label}:{eid}"] = role or "member"
    return roles

