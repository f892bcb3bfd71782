"""The Neo4j backend: a local server (home, install, server), the schema, the
incremental loader and the offline bulk import, and the store.

Everything here is behind ``graph.store.Store``: analytics and the app open a
store through ``graph.factory.open_store`` and never import this package,
except the CLI's ``ringscope neo4j`` commands, which manage the server.
"""
