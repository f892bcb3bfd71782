"""The entity picture, loaded from the catalogue and drawn for a reader.

Why a module of its own: the ring page, the referral package and the
benchmark all need the same picture, and it is built from a handful of
relational queries over the ring's own settlements (milliseconds even for a
5,000-settlement ring), not from the store's subgraph (seconds: every node
matched through the union view of all relationship types).

Drawing: shape by entity type, colour by role (members) or grey (linked
entities), line width by folded settlements; every member is labelled; the
legend is a bar above the drawing, never over it; positions are computed
once (igraph Fruchterman-Reingold, fixed seed) and physics is off, so the
page opens at once and the picture is the same every time.
"""
from __future__ import annotations

import html as html_lib
import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pandas as pd

from ringscope.app.entity_picture import EntityPicture, FoldedEdge, build_picture, display_name, limit_nodes
from ringscope.app.figures import yuan
from ringscope.app.i18n import Translator
from ringscope.app.ring_source import RingRecord

MAX_NODES = 400  # beyond this the least-used non-members are left out (the edge table still lists them)
SHAPES = {"patient": "dot", "card": "square", "facility": "diamond", "prescriber": "triangle", "operator": "star",
          "device": "triangleDown", "employer": "hexagon", "phone": "box"}
ROLE_COLOURS = {"organizer": "#d62728", "recruiter": "#d62728", "driver": "#e377c2", "seller": "#ff7f0e",
                "reseller": "#8c564b", "buyer": "#8c564b", "borrowed": "#17becf", "holder": "#2ca02c",
                "user": "#ff7f0e", "prescriber": "#9467bd", "pharmacy": "#8c564b", "institution": "#8c564b",
                "employer": "#bcbd22", "claimant": "#1f77b4", "member": "#1f77b4", "patient": "#1f77b4",
                "collector": "#ff9896", "hub": "#d62728", "device": "#7f7f7f", "shuttled": "#1f77b4",
                "shell_employer": "#bcbd22"}
ROLE_COLOUR_OF = ROLE_COLOURS | {"admitting": "#8c564b"}
MEMBER_COLOUR = "#1f77b4"
CONTEXT_COLOUR = "#c7ccd1"
RESOLD_COLOUR = "#d62728"

_SETTLEMENTS_SQL = """
SELECT s.settlement_id, s.settled_at, s.card_id, c.patient_id AS card_holder_id,
       coalesce(s.patient_id, c.patient_id) AS patient_id, s.facility_id, s.prescriber_id, s.device_id,
       s.operator_id, s.fund_paid::DOUBLE AS fund_paid
FROM settlements s LEFT JOIN cards c USING (card_id)
WHERE s.settlement_id IN (SELECT unnest(?::VARCHAR[]))
ORDER BY s.settled_at, s.settlement_id
"""
_CLAIMS_SQL = """
SELECT claim_id, claimed_on, patient_id, employer_id, amount::DOUBLE AS amount FROM maternity_claims
WHERE claim_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY claimed_on, claim_id
"""
_NAMES_SQL = """
SELECT 'patient:' || patient_id, name FROM patients WHERE patient_id IN (SELECT unnest(?::VARCHAR[]))
UNION ALL SELECT 'facility:' || facility_id, name FROM facilities WHERE facility_id IN (SELECT unnest(?::VARCHAR[]))
UNION ALL SELECT 'prescriber:' || prescriber_id, name FROM prescribers
          WHERE prescriber_id IN (SELECT unnest(?::VARCHAR[]))
UNION ALL SELECT 'employer:' || employer_id, name FROM employers WHERE employer_id IN (SELECT unnest(?::VARCHAR[]))
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.cursor().execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def ring_picture(con: duckdb.DuckDBPyConnection, ring: RingRecord,
                 chains: Mapping[str, Sequence[str]] | None = None) -> EntityPicture:
    """The ring's entity picture from the catalogue (see ``app.entity_picture`` for the folding)."""
    settlements = _rows(con, _SETTLEMENTS_SQL, [list(ring.settlement_ids)])
    claims = _rows(con, _CLAIMS_SQL, [list(ring.claim_ids)]) if ring.claim_ids else []
    wanted: dict[str, set[str]] = {"patient": set(), "facility": set(), "prescriber": set(), "employer": set()}
    for m in ring.members:
        if m.type in wanted:
            wanted[m.type].add(m.id)
    for s in settlements:
        wanted["patient"].update(v for v in (s["card_holder_id"], s["patient_id"]) if v)
        wanted["facility"].add(s["facility_id"])
        if s["prescriber_id"]:
            wanted["prescriber"].add(s["prescriber_id"])
    for c in claims:
        wanted["patient"].add(c["patient_id"])
        wanted["employer"].add(c["employer_id"])
    params = [sorted(wanted[t]) for t in ("patient", "facility", "prescriber", "employer")]
    names = {k: v for k, v in con.cursor().execute(_NAMES_SQL, params).fetchall() if v}
    members = [(m.type, m.id, m.role) for m in ring.members]
    return build_picture(members, settlements, claims, chains or {}, names)


def role_name(role: str, tr: Translator) -> str:
    """A role in the reader's language ("shell employer" and "shell_employer" are one role)."""
    return tr.maybe(f"role.{role.strip().lower().replace(' ', '_')}", role)


def node_text(pic: EntityPicture, key: str, tr: Translator, mask: bool) -> str:
    n = pic.nodes[key]
    text = display_name(n, mask)
    if n.member:
        text += "\n" + role_name(n.role, tr)
    return text


def colour_of(role: str, member: bool) -> str:
    return ROLE_COLOUR_OF.get(role.strip().lower().replace(" ", "_"), MEMBER_COLOUR) if member else CONTEXT_COLOUR


def layout(pic: EntityPicture, seed: int = 20261206) -> dict[str, tuple[float, float]]:
    """Fixed positions (same picture every time), scaled to about 90 px per node spacing."""
    import igraph as ig

    keys = sorted(pic.nodes)
    if not keys:
        return {}
    index = {k: i for i, k in enumerate(keys)}
    pairs = sorted({(index[a], index[b]) for a, _k, b in pic.edges if a in index and b in index and a != b})
    g = ig.Graph(n=len(keys), edges=pairs)
    random.seed(seed)
    # Kamada-Kawai spreads small pictures evenly (labels readable); FR is the fast choice for big ones.
    coords = g.layout_kamada_kawai() if len(keys) <= 250 else g.layout_fruchterman_reingold(niter=300)
    scale = 130.0 * max(1.0, len(keys) ** 0.5)
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    return {k: ((x - min(xs)) / span * scale, (y - min(ys)) / span * scale) for k, (x, y) in zip(keys, coords)}


def edge_label(e: FoldedEdge, tr: Translator) -> str:
    return tr("picture.edge_title", kind=tr(f"picture.kind.{e.kind}"), count=f"{e.count:,}", money=yuan(e.money),
              first=e.first or "—", last=e.last or "—")


def legend_html(pic: EntityPicture, tr: Translator) -> str:
    """The legend as a bar of its own, placed above the drawing (never over it)."""
    roles = sorted({n.role for n in pic.nodes.values() if n.member})
    types = sorted({n.type for n in pic.nodes.values()})
    role_items = "".join(
        f'<span class="rs-item"><span class="rs-dot" style="background:{colour_of(r, True)}"></span>'
        f'{html_lib.escape(role_name(r, tr))}</span>' for r in roles)
    role_items += (f'<span class="rs-item"><span class="rs-dot" style="background:{CONTEXT_COLOUR}"></span>'
                   f'{html_lib.escape(tr("picture.non_member"))}</span>')
    type_items = "".join(f'<span class="rs-item">{_shape_glyph(t)} {html_lib.escape(tr(f"picture.type.{t}"))}</span>'
                         for t in types)
    return ('<div id="ringscope-legend" style="font:13px sans-serif;padding:4px 8px;border-bottom:1px solid #ddd">'
            '<style>.rs-item{display:inline-block;margin:0 12px 2px 0;white-space:nowrap}'
            '.rs-dot{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:4px;'
            'vertical-align:-1px}</style>'
            f'<b>{html_lib.escape(tr("picture.legend_roles"))}：</b>{role_items}<br>'
            f'<b>{html_lib.escape(tr("picture.legend_types"))}：</b>{type_items}<br>'
            f'<span style="color:#555">{html_lib.escape(tr("picture.legend_width"))}</span></div>')


_GLYPHS = {"dot": "●", "square": "■", "diamond": "◆", "triangle": "▲", "star": "★", "triangleDown": "▼",
           "hexagon": "⬢", "box": "▭"}


def _shape_glyph(etype: str) -> str:
    return _GLYPHS.get(SHAPES.get(etype, "dot"), "●")


@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's CSS and JS as pyvis ships them, read once per process (inlined: works offline)."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "lib" / "vis-9.1.2"
    return (lib / "vis-network.css").read_text(encoding="utf-8"), (lib / "vis-network.min.js").read_text(encoding="utf-8")


def _json(value: Any) -> str:
    """JSON for a <script> block: no ``<``, ``>`` or ``&`` survives as such, so no text from the data
    (a name such as ``</script><script>…``) can close the block or read as markup; vis-network 9
    shows string titles and labels as text, and the escapes give it the same strings."""
    return (json.dumps(value, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def picture_html(pic: EntityPicture, lang: str = "zh", mask: bool = True, height: int = 620,
                 title: str = "") -> str:
    """A self-contained, offline HTML page of the picture (vis-network inline, legend above the drawing).

    Written directly rather than through pyvis' Jinja template: the page is the same, and building it
    costs a JSON dump instead of a template render of the 0.5 MB library (~0.3 s per ring page).
    """
    tr = Translator(lang)
    pic = limit_nodes(pic, MAX_NODES)
    pos = layout(pic)
    index = {k: i for i, k in enumerate(sorted(pic.nodes))}
    nodes = []
    for key, i in index.items():
        n = pic.nodes[key]
        x, y = pos.get(key, (0.0, 0.0))
        nodes.append({"id": i, "label": node_text(pic, key, tr, mask), "shape": SHAPES.get(n.type, "dot"),
                      "color": {"background": colour_of(n.role, n.member),
                                "border": "#222222" if n.member else "#8a949e"},
                      "size": 18 if n.member else 11, "borderWidth": 2 if n.member else 1, "x": round(x, 1),
                      "y": round(y, 1), "font": {"size": 13 if n.member else 10}, "physics": False,
                      "title": f"{tr(f'picture.type.{n.type}')}：{display_name(n, mask)}"})
    edges = []
    for e in pic.edge_list():
        if e.source not in index or e.target not in index:
            continue
        item: dict[str, Any] = {"from": index[e.source], "to": index[e.target], "title": edge_label(e, tr),
                                "arrows": "to", "width": min(10.0, 1.0 + e.count ** 0.5), "color": "#9aa5b1"}
        if e.count > 1:
            item["label"] = tr("picture.edge_count", count=f"{e.count:,}")
            item["font"] = {"size": 9, "color": "#555555", "strokeWidth": 2}
        if e.kind == "resold":
            item.update(color=RESOLD_COLOUR, dashes=True)
        edges.append(item)
    options = {"physics": {"enabled": False}, "edges": {"smooth": False},
               "interaction": {"hover": True, "tooltipDelay": 100}}
    css, js = _vis_assets()
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{html_lib.escape(title)}</title>'
            f"<style>{css}</style><script>{js}</script>"
            f"<style>body{{margin:0}}#mynetwork{{width:100%;height:{height}px;border:1px solid #ddd}}</style>"
            f'</head><body>{legend_html(pic, tr)}<div id="mynetwork"></div><script>\n'
            f"var nodes = new vis.DataSet({_json(nodes)});\nvar edges = new vis.DataSet({_json(edges)});\n"
            f"var network = new vis.Network(document.getElementById('mynetwork'), {{nodes: nodes, edges: edges}}, "
            f"{_json(options)});\n</script></body></html>")


def edge_table(pic: EntityPicture, tr: Translator, mask: bool) -> pd.DataFrame:
    """The folded links, heaviest first: what one click on a row expands."""
    rows = [{"source": _caption(pic, e.source, tr, mask), "kind": tr(f"picture.kind.{e.kind}"),
             "target": _caption(pic, e.target, tr, mask), "count": e.count, "money": round(e.money, 2),
             "first": e.first, "last": e.last} for e in pic.edge_list()]
    return pd.DataFrame(rows, columns=["source", "kind", "target", "count", "money", "first", "last"])


def _caption(pic: EntityPicture, key: str, tr: Translator, mask: bool) -> str:
    n = pic.nodes[key]
    return f"{tr(f'picture.type.{n.type}')} {display_name(n, mask)}"


def txn_count(pic: EntityPicture) -> int:
    return len({s for e in pic.edges.values() for s in e.settlements if e.kind != "resold"})
