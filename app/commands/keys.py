"""``ringscope keys init|show``: the bureau's Ed25519 key that signs referral packages.

The private key stays in ``<workspace>/keys/`` (0600); the public key and its
fingerprint are printed so they can be handed to the receiving police unit
out of band, which is what makes a signature mean "the bureau made this".
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Optional

import typer

from ringscope.app.console import make_console
from ringscope.app.errors import UserError
from ringscope.app.export import signing
from ringscope.app.options import ConfigOpt, WorkspaceOpt, config_from

keys_app = typer.Typer(name="keys", help="The bureau key that signs referral packages.", no_args_is_help=True)
console = make_console()


def _show(raw_public: bytes, private_path: Path) -> None:
    console.print(f"Private key: {private_path} (keep it here; back it up offline)", highlight=False, markup=False)
    console.print(f"Public key:  {base64.b64encode(raw_public).decode('ascii')}", highlight=False, markup=False)
    console.print(f"Fingerprint: {signing.fingerprint(raw_public)}", highlight=False, markup=False)
    console.print("Hand the public key or fingerprint to the receiving unit out of band (letter, phone); "
                  "`ringscope verify PACKAGE --public-key KEY` then proves a package is the bureau's.",
                  highlight=False, markup=False)


@keys_app.command("init")
def init(
    force: bool = typer.Option(False, "--force", help="Replace an existing key (packages signed before stay "
                                                       "checkable only against the old public key)."),
    workspace: Optional[Path] = WorkspaceOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Create the bureau's Ed25519 signing key and print its public key and fingerprint."""
    cfg = config_from(workspace, None, config)
    try:
        raw = signing.init_key(cfg.workspace, force=force)
    except (signing.SigningError, OSError) as exc:
        raise UserError(str(exc)) from None
    _show(raw, signing.key_paths(cfg.workspace)[0])


@keys_app.command("show")
def show(workspace: Optional[Path] = WorkspaceOpt, config: Optional[Path] = ConfigOpt) -> None:
    """Print the bureau's public key and fingerprint (for out-of-band checking)."""
    cfg = config_from(workspace, None, config)
    try:
        raw = signing.workspace_public_key(cfg.workspace)
    except signing.SigningError as exc:
        raise UserError(str(exc)) from None
    if raw is None:
        raise UserError(f"no bureau key in {cfg.workspace}: run `ringscope keys init` first")
    _show(raw, signing.key_paths(cfg.workspace)[0])
