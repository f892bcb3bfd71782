"""Items 6, 7, 11: free text masked with the store's own values; report --unmask and logins like export's."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from typer.testing import CliRunner

from ringscope.app import audit, auth, login, pii
from ringscope.app.cli import app
from ringscope.app.config import load_config
from ringscope.app.errors import UserError
from ringscope.app.free_text import mask_free_text
from tests.passwords import password_hash

runner = CliRunner()
ID = "532123199001011234"
PHONE = "18800412666"

ID_FORMS = [ID, f"ID{ID}", f"身份证{ID}", f"id:{ID}", "532123 19900101 1234", "5321 2319 9001 0112 34",
            "532123-19900101-1234", f"{ID[:17]}x"]
PHONE_FORMS = [PHONE, f"+86{PHONE}", f"+86 {PHONE}", "+86 188 0041 2666", "188 0041 2666", "188-0041-2666",
               f"0086{PHONE}", "(+86)188-0041-2666", f"tel:{PHONE}"]


@pytest.mark.parametrize("form", ID_FORMS)
def test_every_id_number_form_is_masked(form):
    out = pii.mask_text(f"约谈 {form} 后")
    digits = "".join(c for c in out if c.isdigit())
    assert "19900101" not in digits and "*" in out, out


@pytest.mark.parametrize("form", PHONE_FORMS)
def test_every_phone_form_is_masked(form):
    out = pii.mask_text(f"电话{form}。")
    assert "0041" not in out.replace(" ", "").replace("-", "") and "****" in out, out


def test_trace_codes_and_dates_are_left_alone():
    text = "追溯码 81234567890123456789，2026-03-01 结算 S001"
    assert pii.mask_text(text) == text


@pytest.fixture
def store_con():
    con = duckdb.connect()
    con.execute("CREATE TABLE patients (patient_id VARCHAR, name VARCHAR, id_number VARCHAR, phone VARCHAR)")
    con.execute("CREATE TABLE prescribers (prescriber_id VARCHAR, name VARCHAR)")
    con.execute("INSERT INTO patients VALUES ('P1', '欧阳娜娜', ?, ?)", [ID, PHONE])
    con.execute("INSERT INTO prescribers VALUES ('D1', '刘医生')")
    yield con
    con.close()


def test_store_known_name_id_and_phone_masked_in_any_spelling(store_con):
    note = "欧阳娜娜 由刘医生开方；证件 5.3.2.1.2.3.1.9.9.0.0.1.0.1.1.2.3.4，手机 1 8 8 0 0 4 1 2 6 6 6"
    out = mask_free_text(store_con, note)
    for secret in ("欧阳娜娜", "刘医生", "19900101"):
        assert secret not in out.replace(".", "").replace(" ", ""), out
    assert "0041" not in out.replace(" ", "")


def test_triage_note_masked_in_default_report(tmp_path):
    from ringscope.app.report.data import build_report_data
    from ringscope.app.report.render import write_report
    from ringscope.app.triage import ensure_triage_schema
    from tests.report.handmade import two_weeks

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    two_weeks(con)
    ensure_triage_schema(con)
    note = "约谈张三丰（ID110101 19900307 4514，+86 139 0000 1111）"
    con.execute("INSERT INTO ring_triage VALUES ('R-000001', 'confirmed', NULL, ?, 'li', ?)",
                [note, datetime(2026, 11, 18, 10, tzinfo=timezone(timedelta(hours=8)))])
    html = write_report(build_report_data(con, "2026-W47"), tmp_path / "out", formats=("html",), langs=("zh",))[0]
    text = html.read_text(encoding="utf-8")
    assert "约谈" in text
    for secret in ("张三丰", "19900307", "0000 1111", "13900001111"):
        assert secret not in text, secret
    con.close()


# -- item 11: passwords ------------------------------------------------------------------------------

def _pbkdf2(password: str, iterations: int) -> str:
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@pytest.mark.parametrize("stored", [_pbkdf2("pw", 1), "scrypt$16384$8$1$c2FsdA==$aGFzaA=="])
def test_weak_hashes_are_refused(stored):
    with pytest.raises(auth.AuthConfigError, match="weak"):
        auth.load_directory({"users": {"x": {"role": "analyst", "password_hash": stored}}}, env={})


def test_new_hashes_use_owasp_scrypt_cost():
    stored = auth.hash_password("long enough pw")
    assert stored.startswith("scrypt$131072$8$1$") and auth.verify_password("long enough pw", stored)


def test_hash_password_reads_stdin_never_an_option():
    assert runner.invoke(app, ["hash-password", "--password", "secret-pw"]).exit_code == 2
    result = runner.invoke(app, ["hash-password"], input="secret-pw\n")
    assert result.exit_code == 0 and auth.verify_password("secret-pw", result.output.strip())


USERS = '[app.users.li]\nrole = "investigator"\npassword_hash = "{li}"\n[app.users.an]\nrole = "analyst"\npassword_hash = "{an}"\n'


@pytest.fixture(scope="module")
def hashes():
    return {"li": password_hash("li-password"), "an": password_hash("an-password")}


@pytest.fixture
def users_ws(tmp_path, hashes):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "ringscope.toml").write_text(USERS.format(**hashes), encoding="utf-8")
    return ws


def test_failed_logins_are_audited_and_throttled(users_ws):
    cfg = load_config(workspace=users_ws, env={})
    directory = auth.load_directory(cfg.app, env={})
    for _ in range(login.MAX_FAILURES):
        with pytest.raises(login.LoginRefused, match="wrong password"):
            login.login(users_ws, directory, "li", "guess", via="test")
    with pytest.raises(login.LoginRefused, match="too many failed logins"):
        login.login(users_ws, directory, "li", "li-password", via="test")  # right password, still refused
    assert len(audit.read_events(users_ws, action=audit.LOGIN_FAILED, user="li")) == login.MAX_FAILURES
    assert audit.read_events(users_ws, action="login_throttled", user="li")
    later = datetime.now(audit.CST) + timedelta(seconds=login.BASE_DELAY_S + 1)
    assert login.seconds_locked(users_ws, "li", now=later) == 0


def test_failed_cli_login_is_audited(users_ws, monkeypatch):
    monkeypatch.setenv("RINGSCOPE_PASSWORD", "wrong")
    result = runner.invoke(app, ["report", "--unmask", "--user", "li", "--workspace", str(users_ws)])
    assert result.exit_code != 0
    assert audit.read_events(users_ws, action=audit.LOGIN_FAILED, user="li")


# -- item 7: report --unmask ---------------------------------------------------------------------------

def test_report_unmask_refused_without_configured_users(tmp_path):
    from ringscope.app.report.api import generate_report

    ws = tmp_path / "bare"
    with pytest.raises(UserError, match="unmasked report refused: no users are configured"):
        generate_report(load_config(workspace=ws, env={}), unmask=True, user="whoever")
    assert audit.read_events(ws, action="report_denied", user="whoever")


def test_report_unmask_refused_for_a_name_nobody_checked(users_ws):
    from ringscope.app.report.api import generate_report

    with pytest.raises(UserError, match="unmasked report refused"):
        generate_report(load_config(workspace=users_ws, env={}), unmask=True, user="li")  # a bare name
    assert audit.read_events(users_ws, action="report_denied")


@pytest.mark.parametrize("user,password,refused", [("an", "an-password", "lacks the 'unmask' right"),
                                                    ("li", "li-password", None)])
def test_report_unmask_via_cli_checks_password_and_role(users_ws, monkeypatch, user, password, refused):
    monkeypatch.setenv("RINGSCOPE_PASSWORD", password)
    result = runner.invoke(app, ["report", "--unmask", "--user", user, "--workspace", str(users_ws)])
    assert result.exit_code != 0  # no weekly run recorded in this workspace
    message = str(result.exception)
    if refused:
        assert refused in message and audit.read_events(users_ws, action="report_denied", user=user)
    else:
        assert "no weekly run is recorded" in message  # past the rights check
        assert audit.read_events(users_ws, action=audit.LOGIN, user=user)
