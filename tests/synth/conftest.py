"""One small generated drop (and a weekly series) shared by the synth tests."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.generated import shared_drop

PATIENTS = 3_000
SEED = 11


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Drop:
    """Lazy reader of a drop's tables by name (``drop["settlements"]``)."""

    def __init__(self, folder: Path, summary=None):
        self.folder = folder
        self.summary = summary
        self._cache: dict[str, list[dict[str, str]]] = {}

    def truth(self, name: str) -> list[dict[str, str]]:
        return read_csv(self.folder / "truth" / f"{name}.csv")

    def __getitem__(self, name: str) -> list[dict[str, str]]:
        if name not in self._cache:
            self._cache[name] = read_csv(self.folder / f"{name}.csv")
        return self._cache[name]


@pytest.fixture(scope="session")
def drop(tmp_path_factory) -> Drop:
    shared = shared_drop(tmp_path_factory, PATIENTS, SEED)  # also one of test_coherence's drops
    return Drop(shared.folder, shared.summary)
