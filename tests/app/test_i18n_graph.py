"""Message catalogue completeness; the ring graph is offline, masked, collapsed when big."""
from __future__ import annotations

import re
from pathlib import Path

from ringscope.app import i18n
from ringscope.app.ring_graph import drill, prepare_graph, render_ring_html
from ringscope.graph.store import Edge, Node, Subgraph


def unescape(html: str) -> str:
    """Node data is JSON with \\uXXXX escapes; read it as text."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


APP = Path(__file__).resolve().parents[2] / "app"


def test_every_key_exists_in_both_languages():
    assert i18n.missing_keys() == {}
    assert i18n.t("nav.overview") == "总览" and i18n.t("nav.overview", "en") == "Overview"


def test_every_key_used_by_the_explorer_is_in_the_catalogue():
    used = set()
    for path in list((APP / "explorer").rglob("*.py")) + list((APP / "views").rglob("*.py")) + [APP / "ring_graph.py"]:
        used |= set(re.findall(r"\btr\(\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text(encoding="utf-8")))
    missing = {k for k in used if k not in i18n.catalogue("zh")}
    assert used and missing == set()


def ring_like(n_patients: int) -> Subgraph:
    nodes = [Node("Pharmacy", "F01", "仁和大药房"), Node("TraceCode", "T1", "T1")]
    edges = []
    for i in range(n_patients):
        nodes += [Node("Patient", f"P{i:05d}", "张三丰"), Node("Settlement", f"S{i:05d}", f"S{i:05d}")]
        edges += [Edge(f"Settlement:S{i:05d}", "TREATED", f"Patient:P{i:05d}"),
                  Edge(f"Settlement:S{i:05d}", "AT", "Pharmacy:F01")]
    edges += [Edge("Settlement:S00000", "DISPENSED", "TraceCode:T1"), Edge("Settlement:S00001", "DISPENSED", "TraceCode:T1")]
    return Subgraph(nodes=nodes, edges=edges)


def test_small_ring_html_is_offline_masked_and_draws_the_resale_chain():
    html = unescape(render_ring_html(ring_like(3), {"Patient:P00000": "seller"}, lang="zh",
                                     chains={"T1": ["S00000", "S00001"]}))
    assert not re.search(r"<(script|link)[^>]*(src|href)=\"https?://", html)
    assert "张三丰" not in html and "张**" in html
    assert '"dashes": true' in html and "追溯码倒卖路径" in html
    assert unescape(render_ring_html(ring_like(3), mask=False)).count("张三丰") >= 3


def test_big_ring_is_collapsed_with_drill_in():
    sub = ring_like(700)  # 1,402 nodes
    view = prepare_graph(sub, {}, collapse_above=1000)
    assert view.collapsed and len(view.nodes) < 10 and view.physics is not None
    groups = {n.key: n.count for n in view.nodes}
    assert groups["group:Patient"] == 700 and groups["group:Settlement@Pharmacy:F01"] == 700
    inner = drill(sub, "group:Patient", limit=100)
    assert len(inner.nodes) == 100 and inner.truncated
    assert not prepare_graph(inner, {}).collapsed
