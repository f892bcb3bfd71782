"""Who may build a referral, and who may take personal data out unmasked.

Rights come from the explorer's user directory (``app.auth``): ``export``
to build a package, ``unmask`` to leave personal data in clear.  A
workspace with no users configured is a single-analyst setup: it may build
masked packages only, since nobody can be shown to hold ``unmask``.
"""
from __future__ import annotations

import getpass
from typing import Any

from ringscope.app import auth
from ringscope.app.errors import UserError


class ExportDenied(UserError):
    """The user lacks a right the export needs."""


def local_user(name: str | None) -> auth.User:
    """A user of a workspace without configured users: no rights beyond a masked export."""
    try:
        fallback = getpass.getuser()
    except (KeyError, OSError):
        fallback = "local"
    return auth.User(name=name or fallback, role="local", rights=frozenset())


def users_configured(config: Any) -> bool:
    return bool(auth.load_directory(config.app).names)


def as_user(user: Any) -> auth.User:
    if isinstance(user, auth.User):
        return user
    if hasattr(user, "name") and hasattr(user, "rights"):
        return auth.User(name=str(user.name), role=str(getattr(user, "role", "")), rights=frozenset(user.rights))
    return local_user(str(user) if user else None)


def check_rights(user: auth.User, unmask: bool, config: Any) -> None:
    """Raise :class:`ExportDenied` unless ``user`` may build this package."""
    configured = users_configured(config)
    if configured and not user.can(auth.EXPORT):
        raise ExportDenied(f"user {user.name!r} (role {user.role!r}) lacks the 'export' right; "
                           "ask an administrator for a role that has it")
    if unmask and not user.can(auth.UNMASK):
        if not configured:
            raise ExportDenied("--unmask needs a user with the 'unmask' right, and no users are configured: "
                               "define them in [app.users] of ringscope.toml (see docs/referral.md)")
        raise ExportDenied(f"user {user.name!r} (role {user.role!r}) lacks the 'unmask' right; "
                           "export without --unmask, or ask for a role that has it")
