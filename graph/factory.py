"""Open the store the configuration names; callers never import a backend."""
from __future__ import annotations

from ringscope.graph.config import StoreConfig
from ringscope.graph.store import Store


def open_store(config: StoreConfig, read_only: bool = False) -> Store:
    if config.kind == "neo4j":
        from ringscope.graph.neo4j.store import Neo4jStore

        return Neo4jStore(config)
    from ringscope.graph.duckdb_store import DuckDBStore

    return DuckDBStore(config, read_only=read_only)
