"""Who may read the workspace: private to its owner unless configured otherwise.

The workspace holds personal data in clear (the DuckDB catalogue, rejects
files with full rejected ID numbers, reports, exports, ``rings.json``), so by
default the folder is 0700 and every file 0600, whatever the caller's umask
(a cron job or a container often runs with 022 or even 000).  Two things do
it: the process umask is narrowed when a store opens the workspace, so every
file any command writes afterwards (DuckDB's own WAL and temp files
included) is born private; and the workspace folder and catalogue file are
chmod-ed on open, so a workspace made by an older version is closed too (a
0700 folder also shuts out every file inside it).  ``[workspace] file_mode``
and ``dir_mode`` in ``ringscope.toml`` widen this, e.g. to a group of
analysts (docs/configuration.md).
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

# Files that make a folder a RingScope workspace (graph.config.CATALOGUE_FILE, the config file).
WORKSPACE_MARKERS = ("ringscope.duckdb", "ringscope.toml")

def umask_for(file_mode: int, dir_mode: int) -> int:
    """The umask under which new files get at most ``file_mode`` and folders ``dir_mode``."""
    return 0o777 & ~(file_mode | dir_mode)


def open_workspace(workspace: Path, file_mode: int, dir_mode: int, files: tuple[Path, ...] = ()) -> None:
    """Narrow the umask, create the workspace if needed, and close it and ``files`` to others."""
    os.umask(umask_for(file_mode, dir_mode))
    created = not workspace.exists()
    workspace.mkdir(parents=True, exist_ok=True)
    if created or _is_workspace(workspace):
        restrict(workspace, dir_mode)
    for path in files:
        restrict(path, file_mode)


def _is_workspace(folder: Path) -> bool:
    """A RingScope workspace, not a shared folder someone pointed ``-w`` at (``/tmp``, a home):
    those are never chmod-ed, only what RingScope writes into them is private."""
    try:
        sticky = bool(folder.stat().st_mode & stat.S_ISVTX)
    except OSError:
        return False
    return not sticky and any((folder / name).exists() for name in WORKSPACE_MARKERS)


def restrict(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it exists and is ours (another user's file is left alone)."""
    try:
        if path.exists() and path.stat().st_uid == os.getuid():
            path.chmod(mode)
    except OSError:
        pass  # a read-only mount: nothing we may change, nothing we may leak by writing


def remove_scratch(scratch_dir: Path) -> None:
    """Scratch holds full transcoded copies of a drop's files: never kept past an ingest."""
    shutil.rmtree(scratch_dir, ignore_errors=True)


def catalogue_files(catalogue: Path) -> tuple[Path, ...]:
    """The DuckDB file and its write-ahead log."""
    return catalogue, catalogue.with_name(catalogue.name + ".wal")
