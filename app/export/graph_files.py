"""The ring graph as a PNG (for print) and as an interactive HTML page, in the reader's language.

The picture is the explorer's entity picture (``app.entity_picture``): the
members (colour by role, shape by entity type, labelled), the cards they used
and their holders, the facilities, devices, operators and prescribers they
share, maternity claims via employers and, dashed red, each resold box.
Settlements are folded into the lines (count, money, first/last day), so a
ring of thousands of settlements stays legible and the package shows what
the investigator saw on screen.

The PNG places labels greedily in order of importance (members first) and
leaves out a label that would overlap one already placed (the HTML and the
annexes still name every node), so nothing printed is unreadable; Chinese
labels use the embedded Noto Sans CJK font.  Positions come from one fixed-
seed layout, so the PNG is reproducible.  The HTML is pyvis with every
script inline and no CDN link, so it opens on an offline machine.
"""
from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from ringscope.app.entity_picture import EntityPicture, limit_nodes
from ringscope.app.entity_picture import build_picture as fold_picture
from ringscope.app.entity_view import (
    CONTEXT_COLOUR,
    MAX_NODES,
    RESOLD_COLOUR,
    colour_of,
    node_text,
    picture_html,
    role_name,
)
from ringscope.app.entity_view import layout as picture_layout
from ringscope.app.export.case import CaseFile
from ringscope.app.i18n import Translator

MPL_MARKERS = {"patient": "o", "card": "s", "facility": "D", "prescriber": "^", "operator": "*", "device": "v",
               "employer": "h", "phone": "p"}


def build_picture(case: CaseFile) -> EntityPicture:
    """The case's entity picture (names as the case holds them: masked unless the export is unmasked)."""
    names: dict[str, str] = {}
    for s in case.settlements:
        if s.get("patient_name"):
            names[f"patient:{s['patient_id']}"] = s["patient_name"]
        if s.get("facility_name"):
            names[f"facility:{s['facility_id']}"] = s["facility_name"]
    for c in case.claims:
        if c.get("employer_name"):
            names[f"employer:{c['employer_id']}"] = c["employer_name"]
    for m in case.members:
        if m.get("name"):
            names[f"{m['type']}:{m['id']}"] = m["name"]
    chains = {ch["trace_code"]: _unique([o["settlement_id"] for o in ch["occurrences"]])
              for ch in case.evidence.trace_chains}
    pic = fold_picture([(m["type"], m["id"], m["role"]) for m in case.members], case.settlements, case.claims,
                       chains, names)
    return limit_nodes(pic, MAX_NODES)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _cjk_font() -> str | None:
    for path in sorted(glob.glob("/usr/share/fonts/**/NotoSansCJK-Regular.ttc", recursive=True)):
        return path
    return None


def _overlaps(a: Any, b: Any) -> bool:
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


def place_labels(ax: Any, fig: Any, pic: EntityPicture, pos: dict, tr: Translator) -> list[Any]:
    """Write node labels without overlap: members first, then the busiest nodes; a label that would
    overlap a placed one (or a node marker) tries four spots around its node, else is left out."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    weight: dict[str, int] = {}
    for (a, _k, b), e in pic.edges.items():
        weight[a] = weight.get(a, 0) + e.count
        weight[b] = weight.get(b, 0) + e.count
    order = sorted(pic.nodes, key=lambda k: (not pic.nodes[k].member, -weight.get(k, 0), k))
    placed: list[Any] = []
    texts = []
    spots = (((0, -14), "center", "top"), ((0, 14), "center", "bottom"), ((14, 0), "left", "center"),
             ((-14, 0), "right", "center"))
    for key in order:
        for (dx, dy), ha, va in spots:
            t = ax.annotate(node_text(pic, key, tr, mask=False), pos[key], xytext=(dx, dy), textcoords="offset points",
                            ha=ha, va=va, fontsize=7 if pic.nodes[key].member else 6, zorder=4,
                            color="#111111" if pic.nodes[key].member else "#555555")
            box = t.get_window_extent(renderer).expanded(1.02, 1.05)
            if not any(_overlaps(box, other) for other in placed):
                placed.append(box)
                texts.append(t)
                break
            t.remove()
    return texts


def write_png(pic: EntityPicture, pos: dict, out: Path, title: str, lang: str = "zh") -> list[tuple[str, Any]]:
    """The picture as a PNG in ``lang``; returns each label written with its box (boxes never overlap)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    tr = Translator(lang)
    font = _cjk_font()
    family = ["DejaVu Sans"]
    if font:
        font_manager.fontManager.addfont(font)
        family = ["Noto Sans CJK SC", "DejaVu Sans"]
    with matplotlib.rc_context({"font.family": family, "path.simplify": True}):
        size = 11 if len(pic.nodes) <= 80 else 15
        fig, ax = plt.subplots(figsize=(size, size * 0.72), dpi=120)
        edges = [e for e in pic.edge_list() if e.source in pos and e.target in pos]
        plain = [e for e in edges if e.kind != "resold"]
        resold = [e for e in edges if e.kind == "resold"]
        ax.add_collection(LineCollection([(pos[e.source], pos[e.target]) for e in plain], colors="#b8c0c8",
                                         linewidths=[0.6 + min(e.count, 25) ** 0.5 * 0.5 for e in plain], zorder=1))
        if resold:
            ax.add_collection(LineCollection([(pos[e.source], pos[e.target]) for e in resold], colors=RESOLD_COLOUR,
                                             linestyles="dashed", linewidths=1.0, zorder=1))
        for key in sorted(pic.nodes):
            n = pic.nodes[key]
            ax.scatter([pos[key][0]], [pos[key][1]], s=170 if n.member else 45, marker=MPL_MARKERS.get(n.type, "o"),
                       color=colour_of(n.role, n.member), edgecolors="#222222" if n.member else "#8a949e",
                       linewidths=1.0, zorder=3)
        ax.autoscale_view()
        ax.margins(0.08)
        ax.set_axis_off()
        fig.canvas.draw()
        texts = place_labels(ax, fig, pic, pos, tr)
        handles = [Line2D([], [], marker="o", linestyle="", color=colour_of(r, True), label=role_name(r, tr))
                   for r in sorted({n.role for n in pic.nodes.values() if n.member})]
        handles.append(Line2D([], [], marker="o", linestyle="", color=CONTEXT_COLOUR, label=tr("picture.non_member")))
        handles += [Line2D([], [], marker=MPL_MARKERS.get(t, "o"), linestyle="", color="#666666",
                           label=tr(f"picture.type.{t}")) for t in sorted({n.type for n in pic.nodes.values()})]
        if resold:
            handles.append(Line2D([], [], color=RESOLD_COLOUR, linestyle="dashed", label=tr("picture.kind.resold")))
        # the legend sits outside the drawing, to its right
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title=tr("picture.legend"), title_fontsize=9)
        note = tr("picture.left_out", count=pic.left_out) if pic.left_out else ""
        ax.set_title(title + ("\n" + note if note else ""), fontsize=10)
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        labels = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
        fig.savefig(out, format="png", metadata={"Software": None}, bbox_inches="tight")
        plt.close(fig)
    return labels


def write_graph_files(case: CaseFile, folder: Path, title: str, lang: str = "zh") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pic = build_picture(case)
    pos = picture_layout(pic)
    png, html = folder / "ring-graph.png", folder / "ring-graph.html"
    write_png(pic, pos, png, title, lang)
    html.write_text(picture_html(pic, lang=lang, mask=False, height=800, title=title), encoding="utf-8")
    return [png, html]
