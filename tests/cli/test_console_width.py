"""Ring tables stay readable when output goes to a pipe or a log file (cron, CI)."""
from __future__ import annotations

import io

from ringscope.app import console as console_mod


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_piped_output_is_wide_enough_for_a_ring_table(monkeypatch):
    monkeypatch.setattr(console_mod.sys, "stdout", _Pipe())
    monkeypatch.delenv("COLUMNS", raising=False)
    assert console_mod.make_console().width == console_mod.PIPE_WIDTH


def test_columns_sets_the_piped_width_and_junk_falls_back(monkeypatch):
    monkeypatch.setattr(console_mod.sys, "stderr", _Pipe())
    monkeypatch.setenv("COLUMNS", "120")
    assert console_mod.make_console(stderr=True).width == 120
    monkeypatch.setenv("COLUMNS", "wide")
    assert console_mod.make_console(stderr=True).width == console_mod.PIPE_WIDTH
