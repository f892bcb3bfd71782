"""The commands: ``ringscope export`` with configured users, ``ringscope verify``."""
from __future__ import annotations

from typer.testing import CliRunner

from ringscope.app import audit
from ringscope.app.cli import app


def test_export_command_with_password_and_rights(case, tmp_path, monkeypatch):
    runner = CliRunner()
    out = tmp_path / "cli.zip"
    monkeypatch.setenv("RINGSCOPE_PASSWORD", "clerk-pw")
    case.store.close()  # the command opens the workspace itself (read-only)
    try:
        result = runner.invoke(app, ["export", "R-000001", "--out", str(out), "--user", "clerk", "--lang", "en",
                                     "--workspace", str(case.workspace)])
        assert result.exit_code == 0, result.output
        assert "masked" in result.output and out.exists()
        assert runner.invoke(app, ["verify", str(out)]).exit_code == 0

        denied = runner.invoke(app, ["export", "R-000001", "--out", str(tmp_path / "x.zip"), "--user", "clerk",
                                     "--unmask", "--workspace", str(case.workspace)])
        assert denied.exit_code != 0 and not (tmp_path / "x.zip").exists()

        monkeypatch.setenv("RINGSCOPE_PASSWORD", "wrong")
        wrong = runner.invoke(app, ["export", "R-000001", "--out", str(tmp_path / "y.zip"), "--user", "clerk",
                                    "--workspace", str(case.workspace)])
        assert wrong.exit_code != 0 and not (tmp_path / "y.zip").exists()
    finally:
        case.reopen()
    assert any(e["user"] == "clerk" for e in audit.read_events(case.workspace, action="export"))
