"""The explorer served for browser tests: ``streamlit run`` exactly as ``ringscope explore`` starts it.

One place for the port, the start, the health wait and the clean stop, so every
browser test (explorer, links, tips, the hostile drop) serves the app alike.
"""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/setup-system installs it)")


@contextmanager
def serving_explorer(workspace: Path, folder: Path, wait_seconds: float = 120.0) -> Iterator[str]:
    """The explorer on ``workspace`` at a free port (its log in ``folder``); yields its base URL."""
    from ringscope.app.commands.explore import explorer_env, streamlit_command
    from ringscope.app.config import load_config

    port = free_port()
    log_path = folder / "streamlit.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(streamlit_command(port), env=explorer_env(load_config(workspace=workspace, env={})),
                            stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("streamlit did not come up: " + log_path.read_text())
                time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
