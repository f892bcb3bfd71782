"""docs/cli.md is the CLI's own help, regenerated, never hand-edited (a stale reference is a bug)."""
from pathlib import Path

from ringscope.app.cli import app
from ringscope.app.cli_reference import render

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_current():
    assert REFERENCE.read_text(encoding="utf-8") == render(app), (
        "docs/cli.md is stale: regenerate it with "
        "`.venv/bin/python -m ringscope.app.cli_reference > docs/cli.md`")


def test_help_shows_choices_not_python_types():
    text = render(app)
    assert "<list[" not in text
    assert "--lang [zh|en]`: Summary language(s)" in text  # export
    assert "--format [html|pdf|html,pdf]`" in text and "--store [duckdb|neo4j]`" in text


def test_every_command_is_in_the_reference():
    text = render(app)
    for name in ("demo", "detect", "ingest", "weekly", "report", "export", "verify", "neo4j start"):
        assert f"## `ringscope {name}`" in text
