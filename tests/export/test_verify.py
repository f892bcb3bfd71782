"""verify: passes on a fresh package, names every file changed, removed or added."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringscope.app.cli import app
from ringscope.app.export import PackageError, verify_package


def rewrite(src: Path, dst: Path, change=None, drop: str | None = None, add: tuple[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if drop and info.filename.endswith(drop):
                continue
            data = zin.read(info)
            if change and info.filename.endswith(change):
                data = data[:100] + bytes([data[100] ^ 0x01]) + data[101:]
            zout.writestr(info, data)
        if add:
            root = zin.infolist()[0].filename.split("/")[0]
            zout.writestr(f"{root}/{add[0]}", add[1])
    return dst


def test_fresh_package_is_valid(masked_zip):
    report = verify_package(masked_zip)
    assert report.ok, report.lines()
    assert report.info["Ring-Id"] == "R-000001"
    result = CliRunner().invoke(app, ["verify", str(masked_zip)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output


@pytest.mark.parametrize("target", ["data/annexes/settlements.csv", "data/summary/summary-zh.pdf", "bag-info.txt"])
def test_one_byte_changed_is_named(masked_zip, tmp_path, target):
    bad = rewrite(masked_zip, tmp_path / "bad.zip", change=target)
    report = verify_package(bad)
    assert not report.ok
    assert report.changed == [target]
    result = CliRunner().invoke(app, ["verify", str(bad)])
    assert result.exit_code == 1
    assert target in result.output


def test_file_removed_is_named(masked_zip, tmp_path):
    report = verify_package(rewrite(masked_zip, tmp_path / "bad.zip", drop="data/annexes/members.csv"))
    assert report.missing == ["data/annexes/members.csv"] and not report.ok


@pytest.mark.parametrize("name", ["data/annexes/extra.csv", "notes.txt"])
def test_file_added_is_named(masked_zip, tmp_path, name):
    report = verify_package(rewrite(masked_zip, tmp_path / "bad.zip", add=(name, b"P001,110101199003074514\n")))
    assert report.added == [name] and not report.ok


def test_unsafe_zip_is_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../etc/passwd", b"x")
    with pytest.raises(PackageError, match="unsafe path"):
        verify_package(evil)
    result = CliRunner().invoke(app, ["verify", str(evil)])
    assert result.exit_code == 1


def test_not_a_zip(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(PackageError, match="not a zip"):
        verify_package(junk)


def test_duplicate_entry_is_refused(masked_zip, tmp_path):
    bad = tmp_path / "dup.zip"
    with zipfile.ZipFile(masked_zip) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        first = zin.infolist()[-1]
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
            zout.writestr(first.filename, b"other content")
    with pytest.raises(PackageError, match="twice"):
        verify_package(bad)
