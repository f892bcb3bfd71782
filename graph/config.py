"""Where the data lives: workspace, store kind and Neo4j connection.

Read once (by ``app.config``) from the environment and the TOML file, then
passed down; nothing below the app reads the environment itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKSPACE = Path("ringscope-workspace")
DEFAULT_FILE_MODE = 0o600  # workspace files: the owner only (graph.workspace_files)
DEFAULT_DIR_MODE = 0o700
CATALOGUE_FILE = "ringscope.duckdb"


@dataclass(frozen=True)
class Neo4jConfig:
    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str | None = None
    database: str = "neo4j"


@dataclass(frozen=True)
class StoreConfig:
    workspace: Path = DEFAULT_WORKSPACE
    kind: str = "duckdb"  # "duckdb" (embedded default) or "neo4j"
    neo4j: Neo4jConfig = Neo4jConfig()
    file_mode: int = DEFAULT_FILE_MODE  # [workspace] file_mode
    dir_mode: int = DEFAULT_DIR_MODE  # [workspace] dir_mode

    @property
    def catalogue_path(self) -> Path:
        """The workspace DuckDB file: the validated tables, always present."""
        return self.workspace / CATALOGUE_FILE

    @property
    def rejects_dir(self) -> Path:
        return self.workspace / "rejects"

    @property
    def scratch_dir(self) -> Path:
        return self.workspace / "scratch"
