"""The CLI reference (``docs/cli.md``), written from the Typer app itself.

A hand-kept command list drifts the day someone adds an option; this module
walks the click command tree that Typer builds and prints every command, its
help, arguments and options (with choices and defaults), so the reference is
regenerated, never edited.  ``tests/cli/test_cli_reference.py`` fails when
``docs/cli.md`` differs from what this prints; regenerate with::

    .venv/bin/python -m ringscope.app.cli_reference > docs/cli.md
"""
from __future__ import annotations

import html
import re
import sys
from typing import Any

import typer

HEADER = """# RingScope command reference

Generated from the command-line app by `python -m ringscope.app.cli_reference`
(do not edit by hand; `tests/cli/test_cli_reference.py` checks it is current).
Every command answers `--help` with the same text.
"""


# Typer ships its own copy of click, so parameters are told apart by what they
# say of themselves (``param_type_name``), and described by the same help
# records ``--help`` prints, never by importing click's classes.
Command = Any


def _is_option(param: Any) -> bool:
    return param.param_type_name == "option"


def _option_lines(command: Command, ctx: Any) -> list[str]:
    lines = []
    for param in command.params:
        record = param.get_help_record(ctx) if _is_option(param) and not param.hidden else None
        if record:
            names, help_text = record
            lines.append(f"- `{names}`: {' '.join(help_text.split())}")
    return lines


def _argument_lines(command: Command, ctx: Any) -> list[str]:
    return [f"- `{param.name.upper()}` {_argument_type(param, ctx)}{'' if param.required else ' (optional)'}"
            for param in command.params if not _is_option(param)]


def _argument_type(param: Any, ctx: Any) -> str:
    """What an argument takes: its metavar when it names one (``DROP_DIR...`` for a repeatable one)."""
    if param.metavar:
        return param.metavar + ("..." if param.nargs == -1 else "")
    return str(param.display_type(ctx))


def _command_section(path: str, command: Command) -> list[str]:
    ctx = command.make_context(path, [], resilient_parsing=True)
    usage = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), " ".join(command.collect_usage_pieces(ctx)))
    lines = [f"## `{path}`", "", html.unescape(command.help or "").strip(), "", f"```\n{path} {usage}\n```"]
    arguments, options = _argument_lines(command, ctx), _option_lines(command, ctx)
    if arguments:
        lines += ["", "Arguments:", "", *arguments]
    if options:
        lines += ["", "Options:", "", *options]
    return lines + [""]


def _walk(path: str, command: Command) -> list[str]:
    if hasattr(command, "commands"):  # a group
        lines = [] if path == "ringscope" else _command_section(path, command)
        for name in sorted(command.commands):
            sub = command.commands[name]
            if not sub.hidden:
                lines += _walk(f"{path} {name}", sub)
        return lines
    return _command_section(path, command)


def render(app: typer.Typer) -> str:
    """Markdown for every command of ``app``, sorted by name so the order never depends on imports."""
    root = typer.main.get_command(app)
    return "\n".join([HEADER, *_walk("ringscope", root)]).rstrip() + "\n"


def main() -> None:
    from ringscope.app.cli import app

    sys.stdout.write(render(app))


if __name__ == "__main__":
    main()
