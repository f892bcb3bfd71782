"""The referral case: one ingested drop and packages built once per session (fixtures for every folder, tests/conftest.py)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ringscope.app import auth
from ringscope.app.config import load_config
from ringscope.app.export import build_referral, signing
from ringscope.graph.duckdb_store import DuckDBStore
from ringscope.ingest.mapping import HeaderMapping
from tests.export.case_drop import referral_drop, write_rings_json
from tests.passwords import password_hash

CST = timezone(timedelta(hours=8))
WEIRD_ID = "../../etc/x\x07中文 R/1"

USERS_TOML = """
[app.roles]
clerk = ["export"]

[app.users.boss]
role = "supervisor"
password_hash = "{boss}"

[app.users.analyst]
role = "analyst"
password_hash = "{analyst}"

[app.users.clerk]
role = "clerk"
password_hash = "{clerk}"
"""


class Case:
    """A workspace with the hand-built drop, its rings.json and configured users."""

    def __init__(self, root: Path):
        self.root = root
        self.workspace = root / "ws"
        self.workspace.mkdir(parents=True)
        (self.workspace / "ringscope.toml").write_text(USERS_TOML.format(
            boss=password_hash("boss-pw"), analyst=password_hash("analyst-pw"),
            clerk=password_hash("clerk-pw")), encoding="utf-8")
        self.config = load_config(workspace=self.workspace, env={})
        self.public_key = signing.init_key(self.workspace)  # packages are signed, as in a bureau
        self.store = DuckDBStore(self.config.store)
        self.store.ingest_drop(referral_drop(root / "drop"), HeaderMapping())
        write_rings_json(self.workspace / "rings.json", ("R-000001", WEIRD_ID))
        directory = auth.load_directory(self.config.app)
        self.boss = directory.authenticate("boss", "boss-pw")
        self.analyst = directory.authenticate("analyst", "analyst-pw")
        self.clerk = directory.authenticate("clerk", "clerk-pw")

    def reopen(self) -> None:
        self.store = DuckDBStore(self.config.store)

    def export(self, name: str, ring_id: str = "R-000001", *, user=None, unmask: bool = False,
               at: datetime | None = None, lang=("zh", "en")) -> Path:
        return build_referral(self.store, ring_id, self.root / name, user=user or self.boss, unmask=unmask,
                              lang=lang, config=self.config, export_time=at)


@pytest.fixture(scope="session")
def case(tmp_path_factory) -> Iterator[Case]:
    c = Case(tmp_path_factory.mktemp("referral"))
    yield c
    c.store.close()


@pytest.fixture(scope="session")
def masked_zip(case: Case) -> Path:
    return case.export("masked.zip", at=datetime(2026, 3, 25, 9, 30, tzinfo=CST))


@pytest.fixture(scope="session")
def masked_zip_later(case: Case) -> Path:
    return case.export("masked-later.zip", at=datetime(2026, 3, 27, 17, 5, 11, tzinfo=CST))


@pytest.fixture(scope="session")
def unmasked_zip(case: Case) -> Path:
    return case.export("unmasked.zip", unmask=True, lang=("zh",))
