"""The ring graph as a PNG (for print) and as an interactive HTML page.

The picture is the ring as an investigator draws it on a whiteboard: the
members (coloured, with their role), the cards they used (drawn as their
holders when the ring is big), where the cards were used (edge label: number of the ring's settlements), devices shared by
several cards, prescribers and employers, and, dashed red, each resold box: from whoever had it
reimbursed to the facility where it was reimbursed again.  Settlements themselves are
counted on the edges, not drawn, so a ring of thousands of settlements
stays legible.

One layout (networkx ``spring_layout`` with a fixed seed, after sorting the
nodes) serves both files, so the PNG and the HTML show the same picture and
both are reproducible; the HTML has physics switched off and fixed positions,
so it opens at once even for big rings (platform notes: a 500-node physics
layout takes ~30 s to settle).  The HTML is pyvis with every script inline
and no CDN link, so it opens on an offline machine.
"""
from __future__ import annotations

import glob
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ringscope.app.export.case import CaseFile

# Beyond this many nodes, cards are drawn as their holders, then the least-used non-members are
# left out (the annexes list everything); networkx's dense spring layout stays under a second.
MAX_NODES = 400
COLOURS = {"patient": "#e4572e", "card": "#f3a712", "facility": "#2e86ab", "prescriber": "#6a4c93",
           "employer": "#4f772d", "device": "#8d99ae"}
LAYOUT_SEED = 20261124
RESOLD_COLOUR = "#d62828"  # trace-code resale: a box reimbursed again


@dataclass
class RingPicture:
    nodes: dict[str, dict] = field(default_factory=dict)  # key -> {type, id, role, member}
    edges: Counter = field(default_factory=Counter)  # (key_a, type, key_b) -> count
    left_out: int = 0


def build_picture(case: CaseFile) -> RingPicture:
    """The ring's picture; when cards and members exceed ``MAX_NODES``, each card is drawn as its holder."""
    pic = RingPicture()
    roles = {(m["type"], m["id"]): m["role"] for m in case.members}

    def node(t: str, i: str) -> str:
        key = f"{t}:{i}"
        if key not in pic.nodes:
            pic.nodes[key] = {"type": t, "id": i, "role": roles.get((t, i), ""), "member": (t, i) in roles}
        return key

    for m in case.members:
        node(m["type"], m["id"])
    cards = {s["card_id"] for s in case.settlements}
    collapse = len(cards) + len(pic.nodes) > MAX_NODES
    card_members = {m["id"] for m in case.members if m["type"] == "card"}
    shared_devices = {d["id"] for d in case.evidence.shared_devices} | {m["id"] for m in case.members if m["type"] == "device"}
    for s in case.settlements:
        if collapse and s["card_holder_id"] and s["card_id"] not in card_members:
            actor = node("patient", s["card_holder_id"])  # the card drawn as its holder
        else:
            actor = node("card", s["card_id"])
            if s["card_holder_id"]:
                pic.edges[(node("patient", s["card_holder_id"]), "HOLDS", actor)] += 0
        if s["patient_id"] and s["patient_id"] != s["card_holder_id"]:
            pic.edges[(actor, "TREATED", node("patient", s["patient_id"]))] += 1
        pic.edges[(actor, "USED_AT", node("facility", s["facility_id"]))] += 1
        if s["device_id"] in shared_devices:
            pic.edges[(actor, "VIA_DEVICE", node("device", s["device_id"]))] += 1
        if s["prescriber_id"]:
            pic.edges[(node("prescriber", s["prescriber_id"]), "PRESCRIBED_AT", node("facility", s["facility_id"]))] += 1
    for c in case.claims:
        pic.edges[(node("patient", c["patient_id"]), "CLAIMED_VIA", node("employer", c["employer_id"]))] += 1
    # resale chains: from whoever had a box reimbursed to where it was reimbursed next
    for ch in case.evidence.trace_chains:
        occ = ch["occurrences"]
        for prev, nxt in zip(occ, occ[1:]):
            candidates = ([f"patient:{prev['patient_id']}"] if collapse else []) + [f"card:{prev['card_id']}"]
            source = next((k for k in candidates if k in pic.nodes), None)
            target = f"facility:{nxt['facility_id']}"
            if source and target in pic.nodes:
                pic.edges[(source, "BOX_RESOLD", target)] += 1
    if len(pic.nodes) > MAX_NODES:
        weight: Counter = Counter()
        for (a, _t, b), n in pic.edges.items():
            weight[a] += n + 1
            weight[b] += n + 1
        # members, facilities, devices, prescribers and employers stay; non-member patients and cards may go
        optional = sorted((k for k, v in pic.nodes.items() if not v["member"] and v["type"] in ("patient", "card")),
                          key=lambda k: (-weight[k], k))
        keep_optional = set(optional[: max(0, MAX_NODES - (len(pic.nodes) - len(optional)))])
        dropped = {k for k in optional if k not in keep_optional}
        pic.left_out = len(dropped)
        pic.nodes = {k: v for k, v in pic.nodes.items() if k not in dropped}
        pic.edges = Counter({e: n for e, n in pic.edges.items() if e[0] not in dropped and e[2] not in dropped})
    return pic


def layout(pic: RingPicture) -> dict[str, tuple[float, float]]:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(sorted(pic.nodes))
    g.add_edges_from(sorted((a, b) for a, _t, b in pic.edges))
    if g.number_of_nodes() == 0:
        return {}
    pos = nx.spring_layout(g, seed=LAYOUT_SEED, iterations=60 if g.number_of_nodes() < 300 else 30)
    return {k: (round(float(x), 4), round(float(y), 4)) for k, (x, y) in pos.items()}


def _label(v: dict) -> str:
    return f"{v['id']}\n{v['role']}" if v["role"] else v["id"]


def _cjk_font() -> str | None:
    for path in sorted(glob.glob("/usr/share/fonts/**/NotoSansCJK-Regular.ttc", recursive=True)):
        return path
    return None


def write_png(pic: RingPicture, pos: dict, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.collections import LineCollection

    font = _cjk_font()
    family = ["DejaVu Sans"]
    if font:
        font_manager.fontManager.addfont(font)
        family = ["Noto Sans CJK SC", "DejaVu Sans"]
    with matplotlib.rc_context({"font.family": family, "path.simplify": True}):
        n = len(pic.nodes)
        small = n <= 80
        size = 10 if small else 14
        fig, ax = plt.subplots(figsize=(size, size * 0.75), dpi=110)
        edges = [(a, b, c) for (a, t, b), c in sorted(pic.edges.items()) if a in pos and b in pos and t != "BOX_RESOLD"]
        resold = [(a, b, c) for (a, t, b), c in sorted(pic.edges.items()) if a in pos and b in pos and t == "BOX_RESOLD"]
        ax.add_collection(LineCollection([(pos[a], pos[b]) for a, b, _c in edges], colors="#bbbbbb",
                                         linewidths=[0.6 + min(c, 20) * 0.1 for _a, _b, c in edges], zorder=1))
        if resold:
            ax.add_collection(LineCollection([(pos[a], pos[b]) for a, b, _c in resold], colors=RESOLD_COLOUR,
                                             linestyles="dashed", linewidths=0.8, zorder=1, label="box resold"))
        if small:
            for a, b, c in edges:
                if c > 1:
                    (x1, y1), (x2, y2) = pos[a], pos[b]
                    ax.text((x1 + x2) / 2, (y1 + y2) / 2, str(c), fontsize=6, color="#666666", zorder=2)
        keys = sorted(pic.nodes)
        for etype, colour in COLOURS.items():
            for member in (False, True):
                group = [k for k in keys if pic.nodes[k]["type"] == etype and pic.nodes[k]["member"] == member]
                if group:
                    ax.scatter([pos[k][0] for k in group], [pos[k][1] for k in group], s=160 if member else 40,
                               color=colour, edgecolors="black" if member else "none", linewidths=1.2, zorder=3,
                               label=etype if member or not any(pic.nodes[k]["member"] and pic.nodes[k]["type"] == etype
                                                                for k in keys) else None)
        labelled = [k for k in keys if small or pic.nodes[k]["type"] in ("facility", "prescriber", "employer")
                    or (pic.nodes[k]["member"] and pic.nodes[k]["type"] != "patient")]
        for k in labelled[:120]:
            x, y = pos[k]
            ax.text(x, y - 0.035, _label(pic.nodes[k]), fontsize=6.5 if small else 5, ha="center", va="top", zorder=4)
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        ax.set_title(title + (f" ({pic.left_out} non-member nodes left out)" if pic.left_out else ""), fontsize=10)
        ax.autoscale_view()
        ax.set_axis_off()
        fig.tight_layout()
        fig.savefig(out, format="png", metadata={"Software": None})
        plt.close(fig)


_BOOTSTRAP = re.compile(r'\s*<(link|script)[^>]*bootstrap[^>]*>(\s*</script>)?', re.IGNORECASE)


def write_html(pic: RingPicture, pos: dict, out: Path, title: str) -> None:
    from pyvis.network import Network

    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line", heading="")
    for key in sorted(pic.nodes):
        v = pic.nodes[key]
        x, y = pos.get(key, (0.0, 0.0))
        net.add_node(key, label=_label(v), title=f"{v['type']} {v['id']} {v['role']}".strip(),
                     color=COLOURS.get(v["type"], "#999999"), size=18 if v["member"] else 9,
                     borderWidth=3 if v["member"] else 1, x=x * 900, y=y * 900, physics=False)
    for (a, t, b), count in sorted(pic.edges.items()):
        extra = {"color": RESOLD_COLOUR, "dashes": True} if t == "BOX_RESOLD" else {}
        net.add_edge(a, b, title=f"{t} ×{max(count, 1)}", value=max(count, 1), label=str(count) if count > 1 else "",
                     **extra)
    net.set_options(json.dumps({"physics": {"enabled": False}, "interaction": {"hover": True},
                                "edges": {"color": {"color": "#bbbbbb"}, "smooth": False}}))
    html = net.generate_html(name=str(out), local=False)
    html = _BOOTSTRAP.sub("", html)
    html = html.replace("<head>", f"<head>\n<title>{_escape(title)}</title>", 1)
    out.write_text(html, encoding="utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_graph_files(case: CaseFile, folder: Path, title: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pic = build_picture(case)
    pos = layout(pic)
    png, html = folder / "ring-graph.png", folder / "ring-graph.html"
    write_png(pic, pos, png, title)
    write_html(pic, pos, html, title)
    return [png, html]
