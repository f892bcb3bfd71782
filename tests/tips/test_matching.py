"""A tip's entities matched against the store, one identifier kind at a time."""
from __future__ import annotations

import pytest

from ringscope.app.tips import store as tip_store
from ringscope.app.tips.matching import masked_value, match_entity
from ringscope.app.tips.service import add_tip_file
from tests.drops import VALID_ID
from tests.tips.conftest import ADDRESS, write_tip


@pytest.mark.parametrize("kind, value, expected", [
    ("patient", "P001", {"Patient:P001"}),
    ("card", "C002", {"Card:C002"}),
    ("facility", "F02", {"Institution:F02"}),
    ("facility", "仁和大药房", {"Pharmacy:F01"}),  # by name: tipsters know the pharmacy, not its code
    ("prescriber", "王医生", {"Prescriber:DR1"}),
    ("prescriber", "PH1", {"Prescriber:PH1"}),
    ("employer", "某某科技有限公司", {"Employer:E01"}),
    ("employer", "E01", {"Employer:E01"}),
    ("name", "李四", {"Patient:P002"}),
    ("name", "赵药师", {"Prescriber:PH1"}),
    ("address", ADDRESS, {"Patient:P001"}),
    ("address", "建国路88号", {"Employer:E01"}),  # a specific part of an address is enough
    ("patient", "P999", set()),
    ("name", "不存在", set()),
])
def test_each_plain_identifier_kind_matches_the_store(tip_env, kind, value, expected):
    _cfg, ctx, store = tip_env
    found = match_entity(store.relational(), kind, value, None, value, ctx.key)
    assert {m.key for m in found} == expected


@pytest.mark.parametrize("kind, value, expected", [
    ("id_number", VALID_ID, {"Patient:P001"}),
    ("id_number", VALID_ID.lower(), {"Patient:P001"}),
    ("phone", "13800000001", {"Patient:P001"}),
    ("phone", "+86 138-0000-0001", {"Patient:P001"}),  # the same number written differently
    ("phone", "13900000009", {"Patient:P005", "Patient:P006", "Patient:P007"}),
    ("phone", "01088889999", {"Employer:E01"}),
    ("phone", "13800000002", set()),
])
def test_id_number_and_phone_match_by_keyed_hash_only(tip_env, kind, value, expected):
    """The look-up gets only the hash and the mask; the clear value never reaches the matcher."""
    _cfg, ctx, store = tip_env
    found = match_entity(store.relational(), kind, None, ctx.key.lookup_hash(kind, value),
                         masked_value(kind, value), ctx.key)
    assert {m.key for m in found} == expected
    assert all(m.how == f"{kind} hash" for m in found)


def test_a_hash_under_another_key_matches_nothing(tip_env, tmp_path):
    from cryptography.fernet import Fernet

    from ringscope.app.tips.secrets import TipKey

    _cfg, ctx, store = tip_env
    other = TipKey(Fernet.generate_key(), "test")
    found = match_entity(store.relational(), "id_number", None, other.lookup_hash("id_number", VALID_ID),
                         masked_value("id_number", VALID_ID), ctx.key)
    assert found == []


def test_stored_tip_keeps_id_number_and_phone_only_as_hash_and_mask(tip_env, tmp_path):
    cfg, ctx, store = tip_env
    path = write_tip(tmp_path / "tip.json", [("id_number", VALID_ID), ("phone", "13800000001"), ("name", "李四")])
    [added] = add_tip_file(ctx, store, path, "li")
    entities = tip_store.tip_entities(store.relational(), added.tip_id)
    by_type = {e.type: e for e in entities}
    assert by_type["id_number"].value is None and by_type["phone"].value is None
    assert by_type["id_number"].value_masked == "1101************14"
    assert by_type["phone"].value_masked == "138****0001"
    assert by_type["id_number"].value_hash == ctx.key.lookup_hash("id_number", VALID_ID)
    assert [m["id"] for m in by_type["id_number"].matches] == ["P001"]
    assert [m["id"] for m in by_type["name"].matches] == ["P002"]
    rows = store.relational().execute("SELECT * FROM tip_entities").fetchall()
    assert VALID_ID not in repr(rows) and "13800000001" not in repr(rows)
