"""Neighbourhood and subgraph questions from two primitives, the same on every backend.

A backend supplies ``_adjacent(refs)`` (the relationships touching some
nodes) and ``_nodes(refs)`` (their captions); breadth-first order, the node
limit and the induced subgraph are decided here once, so that the embedded
store and Neo4j hold the same nodes when a limit cuts a neighbourhood
(the semantics ``graph.store`` promises).
"""
from __future__ import annotations

from typing import Iterable

from ringscope.graph.store import Edge, Node, NodeRef, Subgraph

AdjacentRow = tuple[str, str, str, str, str]  # src_label, src_id, type, dst_label, dst_id


class AdjacencyQueries:
    def _adjacent(self, refs: list[NodeRef]) -> list[AdjacentRow]:
        raise NotImplementedError

    def _nodes(self, refs: list[NodeRef]) -> list[Node]:
        raise NotImplementedError

    def _induced(self, refs: list[NodeRef], truncated: bool) -> Subgraph:
        held = set(refs)
        edges = set()
        for sl, si, t, dl, di in self._adjacent(refs):
            a, b = NodeRef(sl, si), NodeRef(dl, di)
            if a in held and b in held:
                edges.add(Edge(a.key, t, b.key))
        return Subgraph(nodes=self._nodes(refs), edges=sorted(edges), truncated=truncated).sorted()

    def neighbourhood(self, start: NodeRef, hops: int = 1, node_limit: int = 200) -> Subgraph:
        if self.get_node(start.label, start.id) is None:  # type: ignore[attr-defined]
            return Subgraph()
        held: list[NodeRef] = [start]
        seen = {start}
        frontier = [start]
        truncated = False
        for _ in range(max(0, hops)):
            if not frontier or len(held) >= node_limit:
                break
            new = set()
            for sl, si, _t, dl, di in self._adjacent(frontier):
                for ref in (NodeRef(sl, si), NodeRef(dl, di)):
                    if ref not in seen:
                        new.add(ref)
            ordered = sorted(new)
            room = node_limit - len(held)
            if len(ordered) > room:
                truncated = True
                ordered = ordered[:room]
            held.extend(ordered)
            seen.update(ordered)
            frontier = ordered
        return self._induced(held, truncated)

    def subgraph(self, refs: Iterable[NodeRef], expand_labels: Iterable[str] = (), node_limit: int = 5000) -> Subgraph:
        held = sorted(set(refs))
        truncated = False
        expand = set(expand_labels)
        if expand:
            extra = set()
            for sl, si, _t, dl, di in self._adjacent(held):
                for ref in (NodeRef(sl, si), NodeRef(dl, di)):
                    if ref.label in expand and ref not in held:
                        extra.add(ref)
            held = held + sorted(extra)
        if len(held) > node_limit:
            truncated = True
            held = held[:node_limit]
        return self._induced(held, truncated)
