"""One interface over the embedded (DuckDB) and the Neo4j store.

Analytics and the app talk to a :class:`Store` and never learn which backend
answers, the way splink's ``DatabaseAPI`` hides its engines.  Both backends
present the same graph model (``graph.model``): the same labels, ids and
relationship types, so that the same question gets the same answer.

Semantics both backends keep (the parity tests check them):

* ``neighbourhood``: breadth-first from the start node; at each hop the new
  nodes are taken in ``(label, id)`` order until ``node_limit`` nodes are
  held; the result is the induced subgraph on the held nodes, with
  ``truncated`` set when nodes were left out.
* ``shortest_path``: an unweighted shortest path, ignoring direction; among
  several shortest paths any one may be returned (the length is the same).
* ``subgraph``: the induced subgraph on the given nodes plus, when
  ``expand`` is set, their direct neighbours of the labels asked for.
* ``relational()``: a DuckDB connection on which the contract's tables are
  queryable by their contract names; the set-based steps of detection run
  there (and can move to Spark SQL unchanged).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import duckdb

if TYPE_CHECKING:  # the catalogue imports this module's types
    from ringscope.graph.catalogue import DropReport, Progress
    from ringscope.ingest.mapping import HeaderMapping


Relational = duckdb.DuckDBPyConnection
"""What :meth:`Store.relational` hands out: the contract tables on a DuckDB
connection, whichever backend answers graph questions.  Detection's set-based
steps are DuckDB SQL (transpiled for the Spark engine), so this face of the
seam is DuckDB by design; callers type against this name, not a backend."""


class StoreError(Exception):
    """A store failure the user can act on; the CLI prints it as one line."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (server down, wrong URI, wrong password)."""


class Labelled:
    """Anything that names one graph node by label and id (a reference, a node, a tip's match).

    Their reference and their ``Label:id`` key are built here only, so a subgraph's
    node keys, its edges' ends and a matched tip always agree.  A plain mixin, not a
    dataclass: each subclass declares ``label`` and ``id`` as its own fields.
    """

    label: str
    id: str

    @property
    def ref(self) -> NodeRef:
        return NodeRef(self.label, self.id)

    @property
    def key(self) -> str:
        return f"{self.label}:{self.id}"


@dataclass(frozen=True, order=True)
class NodeRef(Labelled):
    label: str
    id: str


@dataclass
class Node(Labelled):
    label: str
    id: str
    caption: str = ""
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class Edge:
    source: str  # Node.key
    type: str
    target: str  # Node.key


@dataclass
class Subgraph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False

    def node_keys(self) -> set[str]:
        return {n.key for n in self.nodes}

    def sorted(self) -> "Subgraph":
        """Canonical order, so that two backends' answers compare equal."""
        return Subgraph(
            nodes=sorted(self.nodes, key=lambda n: (n.label, n.id)),
            edges=sorted(set(self.edges)),
            truncated=self.truncated,
        )


@dataclass(frozen=True)
class InDatabaseGraph:
    """A store's graph database, for algorithms that run inside it (Neo4j GDS).

    Handed out through :meth:`Store.graph_database` so that nothing outside the
    backend has to know which attributes a store keeps.
    """

    driver: Any  # a neo4j.Driver
    database: str


class Store(ABC):
    """What analytics and the app may ask of a store."""

    kind: str = "abstract"

    # --- lifecycle -------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- ingest ------------------------------------------------------------
    @abstractmethod
    def ingest_drop(self, drop_dir: Path, mapping: HeaderMapping, progress: Progress | None = None) -> DropReport:
        """Validate and store one drop; a rejected drop is recorded and raises ``IngestError``."""

    # --- graph questions -------------------------------------------------
    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type (keys ``label`` and ``:TYPE``)."""

    @abstractmethod
    def get_node(self, label: str, node_id: str) -> Node | None: ...

    @abstractmethod
    def search(self, text: str, labels: Iterable[str] | None = None, limit: int = 25) -> list[Node]:
        """Nodes whose id starts with ``text`` or whose name contains it, in ``(label, id)`` order."""

    @abstractmethod
    def neighbourhood(self, start: NodeRef, hops: int = 1, node_limit: int = 200) -> Subgraph: ...

    @abstractmethod
    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 8) -> Subgraph | None: ...

    def prepare_paths(self) -> bool:
        """Build whatever makes the first shortest-path question fast, now rather than on that question.

        Called at the end of ``ringscope ingest`` and of the weekly job.  Returns True when something was
        built; a store that needs nothing (Neo4j answers paths from its own indexes) does nothing.
        """
        return False

    @abstractmethod
    def subgraph(
        self, refs: Iterable[NodeRef], expand_labels: Iterable[str] = (), node_limit: int = 5000
    ) -> Subgraph: ...

    def graph_database(self) -> InDatabaseGraph | None:
        """The graph database in-database algorithms run on, or None (the embedded store has none)."""
        return None

    # --- tables for analytics ---------------------------------------------
    @abstractmethod
    def relational(self) -> Relational:
        """A connection on which the contract tables are queryable by name."""
