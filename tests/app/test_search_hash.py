"""ID-number and phone search on the tip-offs' keyed hash (app.tips.secrets), masked or not."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from ringscope.app.tips.secrets import TipKey
from ringscope.app.views.search import query_hash, search_entities
from tests.app.explorer_workspace import build_workspace
from tests.drops import VALID_ID
from tests.stores import open_store


@pytest.fixture
def store(tmp_path):
    s = open_store("duckdb", build_workspace(tmp_path / "ws", "duckdb", tmp_path))
    yield s
    s.close()


def keys(nodes) -> list[str]:
    return [n.key for n in nodes]


def test_full_id_number_and_phone_find_the_holder_for_masked_and_unmasked(store):
    key = TipKey(Fernet.generate_key(), "test")
    for masked in (True, False):
        assert "Patient:P001" in keys(search_entities(store, VALID_ID.lower(), masked=masked, key=key))
        assert keys(search_entities(store, "+86 138-0000-0001", masked=masked, key=key))[:1] == ["Patient:P001"]
    wrong = VALID_ID[:-2] + ("15" if VALID_ID[-2:] != "15" else "16")
    assert search_entities(store, wrong, masked=True, key=key) == []
    assert search_entities(store, VALID_ID, labels=["Card"], masked=True, key=key) == []  # only the labels asked


def test_lookup_needs_the_key_and_the_audit_keeps_only_the_hash(store):
    assert search_entities(store, VALID_ID, masked=True, key=None) == []  # no clear-text equality behind the hash
    key = TipKey(Fernet.generate_key(), "test")
    digest = query_hash(VALID_ID, key)
    assert digest == key.lookup_hash("id_number", VALID_ID) and VALID_ID not in digest
    assert query_hash("张三", key) is None
