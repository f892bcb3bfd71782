"""Which exceptions the CLI turns into one line, and their exit codes.

Exit codes let a scheduler act: 2 bad input/usage, 3 store unavailable,
4 another run holds the lock, 1 anything else the user can fix.
"""
from __future__ import annotations

from ringscope.app.config import ConfigError
from ringscope.graph.store import StoreError, StoreUnavailable
from ringscope.ingest.errors import IngestError


class LockHeld(Exception):
    """Another run holds the workspace lock."""


class UserError(Exception):
    """A plain user-facing error raised by a command."""


USER_ERRORS: tuple[type[BaseException], ...] = (IngestError, StoreError, ConfigError, LockHeld, UserError)


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, IngestError):
        return 2
    if isinstance(exc, StoreUnavailable):
        return 3
    if isinstance(exc, LockHeld):
        return 4
    return 1
