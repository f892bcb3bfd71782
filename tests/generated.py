"""Generated drops shared by the whole test run: each (size, seed, settings) is built once.

Generating a drop is the slowest setup of the suite (a 20,000-person drop takes
tens of seconds), and several modules read the same one: the synth audits and
the variant checks both read 20,000 people of seed 31, for instance.  A drop is
built once per run, across pytest-xdist workers (a file lock; the run's shared
temporary folder), and handed out read-only: a test that writes next to a drop
must copy it first (``shutil.copytree``).  Nothing is shared between runs, so
a changed generator is always the one tested.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ringscope.ingest.synth import GenerationSummary, GeneratorSettings, generate_drop


@dataclass(frozen=True)
class GeneratedDrop:
    folder: Path
    summary: GenerationSummary


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder, the same for every xdist worker (never another run's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_drop(tmp_path_factory: pytest.TempPathFactory, patients: int, seed: int, *,
                settings: GeneratorSettings | None = None) -> GeneratedDrop:
    """The drop ``generate_drop(folder, patients, seed, settings=settings)`` writes, built once per run.

    Read-only: the same folder goes to every test that asks for these arguments.
    """
    key = repr((patients, seed, settings))
    name = f"drop-{patients}-s{seed}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    root = _run_folder(tmp_path_factory) / "shared-drops"
    root.mkdir(parents=True, exist_ok=True)
    folder, done = root / name, root / f"{name}.summary"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker building the same drop: wait for it
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build interrupted earlier in this run
            summary = generate_drop(folder, patients, seed, settings=settings)
            done.write_bytes(pickle.dumps(summary))
    return GeneratedDrop(folder, pickle.loads(done.read_bytes()))

