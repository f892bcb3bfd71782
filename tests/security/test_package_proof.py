"""Items 5, 12, 13, 14: packages that prove themselves, a tamper-evident audit log, no zip bombs."""
from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from ringscope.app import audit
from ringscope.app.cli import app
from ringscope.app.export import PackageError, signing, verify_package
from ringscope.app.export.bag import zip_folder

runner = CliRunner()


def unpack(package: Path, into: Path) -> Path:
    with zipfile.ZipFile(package) as zf:
        zf.extractall(into)
    return next(into.iterdir())


def forge(package: Path, tmp: Path, resign_with: Ed25519PrivateKey | None = None) -> Path:
    """Change one annex row and recompute every manifest, Payload-Oxum and the tag manifest."""
    bag_dir = unpack(package, tmp / "forge")
    members = bag_dir / "data" / "annexes" / "members.csv"
    members.write_bytes(members.read_bytes().replace(b"P001", b"P999", 1))
    if resign_with is not None:
        (bag_dir / signing.SIGNATURE_FILE).unlink()
    bag = bagit.Bag(str(bag_dir))
    bag.save(processes=1, manifests=True)
    if resign_with is not None:
        signing.sign_bag(bag_dir, resign_with)
    out = tmp / "forged.zip"
    zip_folder(bag_dir, out, bag_dir.name)
    return out


def test_forged_row_with_recomputed_manifests_is_invalid(masked_zip, tmp_path):
    forged = forge(masked_zip, tmp_path)
    report = verify_package(forged)
    assert not report.ok and any("signature does not match" in p for p in report.problems)
    result = runner.invoke(app, ["verify", str(forged)])
    assert result.exit_code == 1 and "INVALID" in result.output


def test_resigned_forgery_fails_against_the_bureau_key(masked_zip, case, tmp_path):
    forged = forge(masked_zip, tmp_path, resign_with=Ed25519PrivateKey.generate())
    assert verify_package(forged).ok  # self-consistent: only the key tells
    key = base64.b64encode(case.public_key).decode()
    result = runner.invoke(app, ["verify", str(forged), "--public-key", key])
    assert result.exit_code == 1 and "not by the expected key" in result.output
    assert runner.invoke(app, ["verify", str(forged), "--workspace", str(case.workspace)]).exit_code == 1


def test_stripped_signature_fails_when_a_key_is_expected(masked_zip, case, tmp_path):
    bag_dir = unpack(masked_zip, tmp_path / "strip")
    (bag_dir / signing.SIGNATURE_FILE).unlink()
    out = tmp_path / "unsigned.zip"
    zip_folder(bag_dir, out, bag_dir.name)
    plain = runner.invoke(app, ["verify", str(out)])
    assert plain.exit_code == 0 and "NOT SIGNED" in plain.output
    pinned = runner.invoke(app, ["verify", str(out), "--workspace", str(case.workspace)])
    assert pinned.exit_code == 1 and "not signed" in pinned.output


def test_genuine_package_with_its_workspace(masked_zip, case):
    result = runner.invoke(app, ["verify", str(masked_zip), "--workspace", str(case.workspace)])
    assert result.exit_code == 0, result.output
    assert signing.fingerprint(case.public_key) in result.output and "AUDIT:" in result.output
    info = verify_package(masked_zip).info
    assert len(str(info["Audit-Log-Head"]).split()[1]) == 64


def test_keys_init_prints_the_public_key_and_refuses_to_replace(tmp_path):
    ws = tmp_path / "ws"
    first = runner.invoke(app, ["keys", "init", "--workspace", str(ws)])
    assert first.exit_code == 0, first.output
    raw = signing.workspace_public_key(ws)
    assert raw is not None, "keys init wrote no key"
    assert base64.b64encode(raw).decode() in first.output and signing.fingerprint(raw) in first.output
    assert (signing.key_paths(ws)[0].stat().st_mode & 0o777) == 0o600
    again = runner.invoke(app, ["keys", "init", "--workspace", str(ws)])
    assert again.exit_code != 0 and signing.workspace_public_key(ws) == raw


# -- item 12: the audit log ------------------------------------------------------------------------

def _log(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    for who in ("li", "wang", "zhao", "chen"):
        audit.record(ws, user=who, action="unmask", target="ring:R-1")
    return ws


def _audit_verify(ws: Path):
    return runner.invoke(app, ["audit", "verify", "--workspace", str(ws)])


def test_intact_log_verifies(tmp_path):
    ws = _log(tmp_path)
    result = _audit_verify(ws)
    assert result.exit_code == 0 and "INTACT: 4 records" in result.output


@pytest.mark.parametrize("tamper", ["delete", "rename", "drop_last"])
def test_tampered_log_is_broken(tmp_path, tamper):
    ws = _log(tmp_path)
    log = audit.audit_path(ws)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    if tamper == "delete":
        del lines[1]
    elif tamper == "rename":
        lines[2] = lines[2].replace('"zhao"', '"ghost"')
    else:
        lines.pop()
    log.write_text("".join(lines), encoding="utf-8")
    result = _audit_verify(ws)
    assert result.exit_code == 1 and "BROKEN" in result.output


def test_store_anchor_catches_a_rewritten_tail(tmp_path):
    ws = _log(tmp_path)
    assert _audit_verify(ws).exit_code == 0  # anchors record 4 in the store
    log = audit.audit_path(ws)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)[:3]
    log.write_text("".join(lines), encoding="utf-8")
    # the forger also fixes the head file
    from ringscope.app.audit_chain import HEAD_FILE, line_hash, write_head
    write_head(log.parent / HEAD_FILE, 3, line_hash(lines[-1].encode("utf-8")))
    result = _audit_verify(ws)
    assert result.exit_code == 1 and "store anchor" in result.output


# -- item 5 (export part) and 14: one-line errors, zip bombs ---------------------------------------

def test_export_refused_in_one_line_when_the_audit_log_cannot_be_written(case, masked_zip, tmp_path, monkeypatch):
    from ringscope.app.cli import main

    # masked_zip: the case has exported once, so its audit log exists (whichever test ran first)

    log = audit.audit_path(case.workspace)
    saved = log.read_bytes()
    log.unlink()
    log.mkdir()  # the log's place is taken: it cannot be appended to
    case.store.close()
    out = tmp_path / "never.zip"
    monkeypatch.setenv("RINGSCOPE_PASSWORD", "boss-pw")
    monkeypatch.setattr("sys.argv", ["ringscope", "export", "R-000001", "--out", str(out), "--user", "boss",
                                     "--lang", "en", "--workspace", str(case.workspace)])
    try:
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        log.rmdir()
        log.write_bytes(saved)
        case.reopen()
    assert exc.value.code == 1 and not out.exists()


def test_export_audit_failure_message_is_one_line(case, masked_zip, tmp_path, capfd, monkeypatch):
    test_export_refused_in_one_line_when_the_audit_log_cannot_be_written(case, masked_zip, tmp_path, monkeypatch)
    err = capfd.readouterr().err.strip()
    assert "the audit log" in err and "Traceback" not in err and len(err.splitlines()) == 1


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("entries", [
    {"referral-R/bagit.txt": b"x", "referral-R/data/x": b"1", "referral-R/data/x/y": b"2"},
    {"referral-R": b"I am the top folder", "referral-R/bagit.txt": b"x"},
], ids=["file-and-folder", "named-like-top-folder"])
def test_clashing_names_are_one_line_errors(tmp_path, entries):
    bad = _zip(tmp_path / "clash.zip", entries)
    with pytest.raises(PackageError, match="both as a file and as a folder"):
        verify_package(bad)
    result = runner.invoke(app, ["verify", str(bad)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_zip_bomb_refused_before_unpacking(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("referral-R/bagit.txt", b"x")
        with zf.open("referral-R/data/zeros.bin", "w", force_zip64=True) as fh:
            block = bytes(1 << 20)
            for _ in range(64):
                fh.write(block)
    assert bomb.stat().st_size < 1 << 20
    written: list[str] = []
    monkeypatch.setattr("ringscope.app.export.bag._unpack", lambda zf, info, target: written.append(info.filename))
    with pytest.raises(PackageError, match="zip bomb"):
        verify_package(bomb)
    assert written == []  # refused from the declared sizes, nothing unpacked


def test_entry_outgrowing_its_declared_size_is_cut_off(tmp_path, monkeypatch):
    import ringscope.app.export.bag as bag

    path = _zip(tmp_path / "big.zip", {"referral-R/bagit.txt": b"x", "referral-R/data/a.bin": bytes(3 << 20)})
    monkeypatch.setattr(bag, "MAX_ENTRY_BYTES", 2 << 20)
    monkeypatch.setattr(bag, "_check_sizes", lambda members: None)  # as if the zip lied about its sizes
    with pytest.raises(PackageError, match="zip bomb"):
        verify_package(path)
    assert io  # keep import used
