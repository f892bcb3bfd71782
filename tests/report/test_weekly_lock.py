"""The workspace lock, week parsing and the weekly command's exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from ringscope.app.errors import LockHeld
from ringscope.app.weekly import LOCK_FILE, SHANGHAI, WorkspaceLock, current_week, parse_week, week_after, week_bounds
from tests.drops import minimal_drop


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from ringscope.app.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)


def test_lock_is_exclusive_and_released(tmp_path):
    with WorkspaceLock(tmp_path) as held:
        info = json.loads((tmp_path / LOCK_FILE).read_text())
        assert info["pid"] == os.getpid()
        with pytest.raises(LockHeld, match="another RingScope run"):
            WorkspaceLock(tmp_path).acquire()
        assert held.path.exists()
    assert not (tmp_path / LOCK_FILE).exists()
    WorkspaceLock(tmp_path).acquire().release()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}))
    with WorkspaceLock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_lock_file_naming_a_reused_pid_does_not_block(tmp_path):
    """The recorded pid now belongs to an unrelated live process, but nobody holds the flock (issue 17, item 16)."""
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": unrelated.pid, "host": os.uname().nodename}))
        with WorkspaceLock(tmp_path):
            assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    finally:
        unrelated.kill()
        unrelated.wait()


def test_a_live_holder_of_the_flock_is_respected(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from ringscope.app.weekly import WorkspaceLock; "
         f"lock = WorkspaceLock({str(tmp_path)!r}, command='weekly test').acquire(); print('held', flush=True); "
         "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None  # stdout=PIPE
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=f"pid {holder.pid} .*weekly test"):
            WorkspaceLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    with WorkspaceLock(tmp_path):  # the kernel dropped the dead holder's flock
        pass


def test_iso_weeks():
    assert parse_week("2026-w47") == "2026-W47"
    for bad in ("2026-47", "W47", "2026-W54", "2021-W53x"):
        with pytest.raises(ValueError):
            parse_week(bad)
    assert parse_week("2020-W53") == "2020-W53"
    assert current_week(datetime(2026, 11, 22, 23, 30, tzinfo=SHANGHAI)) == "2026-W47"
    # Sunday 17:00 UTC is already Monday in Shanghai
    assert current_week(datetime.fromisoformat("2026-11-22T17:00:00+00:00")) == "2026-W48"
    assert week_bounds("2026-W47")[0].isoformat() == "2026-11-16"
    assert week_after("2026-W52", 2) == "2027-W01" or week_after("2026-W52", 2) == "2026-W53"


def test_weekly_exit_codes(tmp_path):
    ws = tmp_path / "ws"
    bad_week = run_cli("weekly", str(tmp_path), "--week", "2026-47", "-w", str(ws))
    assert bad_week.returncode == 2, bad_week.stderr
    missing = run_cli("weekly", str(tmp_path / "nowhere"), "--week", "2026-W47", "-w", str(ws))
    assert missing.returncode == 2, missing.stderr
    assert "folder not found" in " ".join(missing.stderr.split())
    drop = minimal_drop(tmp_path / "drop")
    with WorkspaceLock(ws):
        locked = run_cli("weekly", str(drop), "--week", "2026-W47", "-w", str(ws))
    assert locked.returncode == 4, locked.stderr
    # the catalogue held open for writing by another process: store unavailable
    ws.mkdir(exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({str(ws / 'ringscope.duckdb')!r}); "
                               "print('open', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None  # stdout=PIPE
    try:
        assert holder.stdout.readline().strip() == "open"
        busy = run_cli("weekly", str(drop), "--week", "2026-W47", "-w", str(ws))
        assert busy.returncode == 3, busy.stderr
    finally:
        holder.kill()
        holder.wait()
    assert not (ws / LOCK_FILE).exists()  # released on failure too


def test_report_for_unrecorded_week_is_a_clear_error(tmp_path):
    result = run_cli("report", "--week", "2026-W01", "-w", str(tmp_path / "ws"))
    assert result.returncode == 1
    assert "no weekly run is recorded for 2026-W01" in result.stderr
