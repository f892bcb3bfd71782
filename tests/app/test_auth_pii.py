"""Passwords, roles and rights; masks of names, ID numbers, phones, addresses."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringscope.app import auth, pii


def test_password_hash_is_salted_and_verifies():
    a, b = auth.hash_password("s3cret"), auth.hash_password("s3cret")
    assert a != b and a.startswith("scrypt$")
    assert auth.verify_password("s3cret", a) and not auth.verify_password("wrong", a)
    assert not auth.verify_password("s3cret", "md5$nonsense")


def test_directory_from_config_and_users_file(tmp_path):
    users_file = tmp_path / "users.toml"
    users_file.write_text(
        f'[roles]\nauditor = ["export"]\n[users.zhao]\nrole = "auditor"\npassword_hash = "{auth.hash_password("pw2")}"\n',
        encoding="utf-8")
    app_cfg = {"users": {"li": {"role": "investigator", "password_hash": auth.hash_password("pw1")},
                         "an": {"role": "analyst", "password_hash": auth.hash_password("pw3")}}}
    d = auth.load_directory(app_cfg, env={"RINGSCOPE_USERS_FILE": str(users_file)})
    assert d.names == ["an", "li", "zhao"]
    li = d.authenticate("li", "pw1")
    assert li and li.can("unmask") and not li.can("export")
    zhao, an = d.authenticate("zhao", "pw2"), d.authenticate("an", "pw3")
    assert zhao is not None and zhao.rights == frozenset({"export"})
    assert an is not None and not an.can("unmask")
    assert d.authenticate("li", "bad") is None and d.authenticate("nobody", "pw1") is None


@pytest.mark.parametrize("cfg,msg", [
    ({"users": {"x": {"role": "investigator"}}}, "password_hash"),
    ({"users": {"x": {"role": "boss", "password_hash": "scrypt$"}}}, "unknown role"),
    ({"roles": {"r": ["delete"]}}, "unknown rights"),
])
def test_bad_user_config_names_the_entry(cfg, msg):
    with pytest.raises(auth.AuthConfigError, match=msg):
        auth.load_directory(cfg, env={})


def test_masks():
    assert pii.mask_name("张三丰") == "张**" and pii.mask_name("李四") == "李*"
    assert pii.mask_id_number("110101199003074514") == "1101************14"
    assert pii.mask_phone("13800000001") == "138****0001"
    assert "117" not in pii.mask_address("罗家岗村117号")
    text = "卡 110101199003074514 与 13800000001 由 张三 使用"
    masked = pii.mask_text(text, names=["张三"])
    assert "110101199003074514" not in masked and "13800000001" not in masked and "张三" not in masked
    assert pii.find_unmasked_id_numbers(masked) == []


@given(st.from_regex(r"\d{17}[0-9X]", fullmatch=True))
def test_any_id_number_in_text_is_masked(idn):
    assert idn not in pii.mask_text(f"证件号{idn}。")
    assert pii.find_unmasked_id_numbers(pii.mask_text(f"证件号{idn}。")) == []


def test_referral_path_stays_in_the_exports_folder(tmp_path):
    from datetime import datetime

    from ringscope.app.views.referral import referral_path

    path = referral_path(tmp_path, "../../etc/x", datetime(2026, 11, 24, 12, 0, 0))
    assert path.parent == tmp_path / "exports"
    assert ".." not in path.name and "/" not in path.name
