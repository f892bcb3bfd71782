"""The consoles every command prints through.

Rich falls back to 80 columns when output is not a terminal (cron, a pipe, a
log file), which wraps the ring tables into unreadable slivers; there the
width comes from ``COLUMNS`` or defaults to 160, wide enough for a ring table.
"""
from __future__ import annotations

import os
import sys

from rich.console import Console

PIPE_WIDTH = 160


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty():
        try:
            width = int(os.environ.get("COLUMNS", PIPE_WIDTH))
        except ValueError:
            width = PIPE_WIDTH
    # soft_wrap: a message stays one line whatever the width (a log line, a grep-able error);
    # tables still fit the width
    return Console(stderr=stderr, width=width, soft_wrap=True)
