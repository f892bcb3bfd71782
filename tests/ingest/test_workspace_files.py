"""The workspace is private by default, scratch never outlives an ingest, and a full disk
is one line naming the reason (issue 17, items 5 and 10)."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.drops import minimal_drop, write_table
from tests.export.case_drop import referral_drop, write_rings_json

CLI = [sys.executable, "-c", "from ringscope.app.cli import main; main()"]


def cli(*args: str, umask: int = 0) -> subprocess.CompletedProcess:
    """The real command, as a cron job with a careless umask would start it."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: os.umask(umask))


def modes(root: Path) -> dict[str, str]:
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def gb18030_drop(folder: Path, broken: bool = False) -> Path:
    """GB18030 patients (transcoded through scratch); P002's gender X is rejected, or its quote never closes."""
    minimal_drop(folder)
    gender = '"F' if broken else "X"
    text = f"patient_id,name,gender\nP001,张三,M\nP002,李四,{gender}\nP003,王五,F\n"
    (folder / "patients.csv").write_bytes(text.encode("gb18030"))
    return folder


def test_every_file_the_commands_write_is_private_under_umask_000(tmp_path):
    ws, out = tmp_path / "ws", tmp_path / "out"
    assert cli("ingest", str(gb18030_drop(tmp_path / "d1")), "-w", str(ws)).returncode == 0
    assert list((ws / "rejects").iterdir())  # the rejects CSV holds rejected values in full
    assert not (ws / "scratch").exists()  # the GB18030 file's transcoded copy is gone
    assert cli("ingest", str(referral_drop(tmp_path / "d2")), "-w", str(ws)).returncode == 0
    detect = cli("detect", "-w", str(ws))
    assert detect.returncode == 0, detect.stderr
    weekly = cli("weekly", str(tmp_path / "d2"), "--week", "2026-W10", "--format", "html", "--lang", "en",
                 "-w", str(ws))
    assert weekly.returncode == 0, weekly.stderr
    out.mkdir(mode=0o700)
    rings = write_rings_json(tmp_path / "rings.json")
    export = cli("export", "R-000001", "--rings", str(rings), "--out", str(out / "R1.zip"), "--lang", "en",
                 "-w", str(ws))
    assert export.returncode == 0, export.stderr
    found = modes(ws)
    assert {"ringscope.duckdb", "rings.json"} <= set(found), found
    assert any(name.endswith(".html") for name in found) and any(name.startswith("rejects/") for name in found)
    loose = {name: mode for name, mode in found.items()
             if mode != ("0o700" if (ws / name).is_dir() else "0o600")}
    assert loose == {}
    assert oct(stat.S_IMODE((out / "R1.zip").stat().st_mode)) == "0o600"


def test_an_existing_open_workspace_is_closed_and_modes_are_configurable(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir(mode=0o755)
    ws.chmod(0o755)
    (ws / "ringscope.toml").write_text('[workspace]\nfile_mode = "0640"\ndir_mode = "0750"\n', encoding="utf-8")
    assert cli("ingest", str(minimal_drop(tmp_path / "d")), "-w", str(ws)).returncode == 0
    assert oct(stat.S_IMODE(ws.stat().st_mode)) == "0o750"
    assert oct(stat.S_IMODE((ws / "ringscope.duckdb").stat().st_mode)) == "0o640"
    (ws / "ringscope.toml").write_text('[workspace]\nfile_mode = "0644"\ndir_mode = "0077"\n', encoding="utf-8")
    bad = cli("ingest", str(tmp_path / "d"), "-w", str(ws))
    assert bad.returncode == 1 and "[workspace] dir_mode" in bad.stderr


def test_scratch_is_removed_when_the_drop_is_refused(tmp_path):
    ws = tmp_path / "ws"
    refused = cli("ingest", str(gb18030_drop(tmp_path / "d", broken=True)), "-w", str(ws))
    assert refused.returncode == 2, refused.stderr
    assert "quote" in refused.stderr
    assert not (ws / "scratch").exists()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1) for a private tmpfs")
def test_disk_full_during_ingest_is_one_line_with_the_real_reason(tmp_path):
    """A real 2 MiB tmpfs, mounted in a private user+mount namespace, holds the workspace."""
    drop = minimal_drop(tmp_path / "d")
    write_table(drop, "patients", ["patient_id", "name", "address"],
                [[f"P{i:06d}", "名字" * 5, "很长的地址" * 20] for i in range(30_000)])
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (f"mount -t tmpfs -o size=2m tmpfs {mnt} || exit 99; "
              f"{' '.join(CLI[:2])} '{CLI[2]}' ingest {drop} -w {mnt}/ws")
    run = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                         capture_output=True, text=True, timeout=300)
    if run.returncode == 99:
        pytest.skip("this kernel does not allow a tmpfs in a user namespace")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"Error: cannot write to the workspace {mnt}/ws: No space left on device; nothing of the drop was "
        "stored: free space and run the ingest again"]


def test_ingest_and_weekly_print_the_skipped_file_warnings(tmp_path):
    drop = minimal_drop(tmp_path / "d")
    (drop / "drugs.csv").rename(drop / "[bold]Drugs.CSV")  # also: a file name is text, never console markup
    (drop / "dispensings.csv").unlink()
    warning = "[bold]Drugs.CSV: skipped: not a contract table name"
    ingest = cli("ingest", str(drop), "-w", str(tmp_path / "ws1"), umask=0o022)
    assert ingest.returncode == 0, ingest.stderr
    assert f"Warning: {warning}" in " ".join(ingest.stdout.split())
    weekly = cli("weekly", str(drop), "--week", "2026-W10", "--format", "html", "--lang", "en",
                 "-w", str(tmp_path / "ws2"), umask=0o022)
    assert weekly.returncode == 0, weekly.stderr
    assert f"warning: {warning}" in " ".join(weekly.stdout.split())


def test_a_shared_folder_given_as_workspace_is_never_chmod_ed(tmp_path):
    """``-w /tmp`` must not make /tmp private: only RingScope's own files and folders are closed."""
    from ringscope.graph.workspace_files import open_workspace

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "ringscope.duckdb").write_bytes(b"")
    open_workspace(shared, 0o600, 0o700, (shared / "ringscope.duckdb",))
    assert oct(stat.S_IMODE(shared.stat().st_mode)) == "0o1777"
    assert oct(stat.S_IMODE((shared / "ringscope.duckdb").stat().st_mode)) == "0o600"
