"""The ``ringscope`` command.

Commands live one concern per module in ``app/commands/``; each module
exposes ``register(app)`` or a ``typer.Typer`` command group.  Errors the user can act on (bad drop, store
down, bad config) are printed as one line with a non-zero exit code, never
as a traceback.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from ringscope.app import commands as commands_pkg
from ringscope.app.console import make_console
from ringscope.app.version import __version__

app = typer.Typer(
    name="ringscope",
    help="RingScope: find and document fraud rings against medical-insurance funds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = make_console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    """RingScope: find and document fraud rings against medical-insurance funds."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands_pkg.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
            continue
        for value in vars(module).values():  # a command group: a Typer of its own
            if isinstance(value, typer.Typer) and value is not app:
                app.add_typer(value)
                break


_register_commands()


def main() -> None:
    """Run the CLI; user errors become one line and an exit code a scheduler can act on."""
    from typer._click.exceptions import ClickException

    from ringscope.app.errors import USER_ERRORS, exit_code_for

    try:
        rc = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Aborted.", style="red")
        sys.exit(130)
    except USER_ERRORS as exc:
        err_console.print(f"Error: {exc}", style="red", highlight=False, markup=False, soft_wrap=True)
        sys.exit(exit_code_for(exc))
    except ClickException as exc:  # usage errors: bad option, missing argument
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
