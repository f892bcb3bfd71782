"""The one configuration object, read from environment and a TOML file.

Precedence: command-line option > environment > ``ringscope.toml`` (in the
workspace, or the file named by ``--config`` / ``RINGSCOPE_CONFIG``) >
defaults.  Secrets (Neo4j password, user password hashes) come from the
environment or the config file, never from code.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ringscope.graph.config import DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, DEFAULT_WORKSPACE, Neo4jConfig, StoreConfig


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting."""


@dataclass(frozen=True)
class RingScopeConfig:
    store: StoreConfig
    detection: dict[str, Any] = field(default_factory=dict)  # [detection] table, parsed by analytics
    app: dict[str, Any] = field(default_factory=dict)  # [app] table: users, language, ...
    source: Path | None = None
    spark: dict[str, Any] = field(default_factory=dict)  # [spark] table, parsed by analytics/spark/settings.py

    @property
    def workspace(self) -> Path:
        return self.store.workspace


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(
    workspace: Path | None = None,
    store: str | None = None,
    config_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> RingScopeConfig:
    env = dict(os.environ if env is None else env)
    ws = Path(workspace or env.get("RINGSCOPE_WORKSPACE") or DEFAULT_WORKSPACE)
    cfg_path = config_file or (Path(env["RINGSCOPE_CONFIG"]) if env.get("RINGSCOPE_CONFIG") else None)
    if cfg_path is None and (ws / "ringscope.toml").exists():
        cfg_path = ws / "ringscope.toml"
    data: dict[str, Any] = _read_toml(cfg_path) if cfg_path else {}

    neo = data.get("neo4j", {})
    neo4j = Neo4jConfig(
        uri=env.get("NEO4J_URI") or neo.get("uri") or Neo4jConfig.uri,
        user=env.get("NEO4J_USER") or neo.get("user") or Neo4jConfig.user,
        password=env.get("NEO4J_PASSWORD") or neo.get("password"),
        database=env.get("NEO4J_DATABASE") or neo.get("database") or Neo4jConfig.database,
    )
    kind = (store or env.get("RINGSCOPE_STORE") or data.get("store", {}).get("kind") or "duckdb").lower()
    if kind not in ("duckdb", "neo4j"):
        raise ConfigError(f"store must be 'duckdb' or 'neo4j', not {kind!r}")
    file_mode, dir_mode = _workspace_modes(data.get("workspace", {}))
    return RingScopeConfig(
        store=StoreConfig(workspace=ws, kind=kind, neo4j=neo4j, file_mode=file_mode, dir_mode=dir_mode),
        detection=dict(data.get("detection", {})),
        app=dict(data.get("app", {})),
        source=cfg_path,
        spark=dict(data.get("spark", {})),
    )


def _mode(table: dict[str, Any], key: str, default: int, widest: int, owner: int) -> int:
    """An octal permission string ("0640") from ``[workspace]``; the owner keeps ``owner`` bits."""
    raw = table.get(key)
    if raw is None:
        return default
    try:
        mode = int(str(raw), 8)
    except ValueError:
        raise ConfigError(f"[workspace] {key} must be an octal mode like \"{default:04o}\", not {raw!r}") from None
    if mode & ~widest or mode & owner != owner:
        raise ConfigError(f"[workspace] {key} = {raw!r}: must keep {owner:04o} for the owner and stay within "
                          f"{widest:04o}")
    return mode


def _workspace_modes(table: Any) -> tuple[int, int]:
    """``[workspace] file_mode`` / ``dir_mode``: who else may read the workspace (default: nobody)."""
    if not isinstance(table, dict):
        raise ConfigError("[workspace] must be a table")
    return (_mode(table, "file_mode", DEFAULT_FILE_MODE, 0o666, 0o600),
            _mode(table, "dir_mode", DEFAULT_DIR_MODE, 0o777, 0o700))
