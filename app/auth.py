"""Configured users, roles and the rights that guard personal data.

Users come from the ``[app.users]`` table of the configuration file, or from
the TOML file named by ``RINGSCOPE_USERS_FILE`` (tables ``[users.NAME]`` and
optionally ``[roles]``), never from code.  Each user has a role and a
password hash; each role has or lacks the rights:

* ``unmask`` — see names, ID numbers, phones and addresses in clear;
* ``export`` — build a referral package;
* ``tipster_contact`` — read a tip-off's contact details (stored encrypted, ``app.tips``);
* ``confirm_points`` — confirm or reject proposed credit points (``app.points``).

Passwords are stored as ``scrypt$N$r$p$salt$hash`` (``hashlib.scrypt``, random
16-byte salt, base64); ``ringscope hash-password`` prints one.  Comparison is
constant-time.  Example::

    [app.roles]
    analyst = []
    investigator = ["unmask"]
    supervisor = ["unmask", "export"]

    [app.users.li_wei]
    role = "investigator"
    password_hash = "scrypt$16384$8$1$...$..."
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

UNMASK = "unmask"
EXPORT = "export"
TIPSTER_CONTACT = "tipster_contact"
CONFIRM_POINTS = "confirm_points"
RIGHTS: tuple[str, ...] = (UNMASK, EXPORT, TIPSTER_CONTACT, CONFIRM_POINTS)

DEFAULT_ROLES: dict[str, frozenset[str]] = {
    "analyst": frozenset(),
    "investigator": frozenset({UNMASK}),
    "supervisor": frozenset({UNMASK, EXPORT, TIPSTER_CONTACT, CONFIRM_POINTS}),
    "admin": frozenset({UNMASK, EXPORT, TIPSTER_CONTACT, CONFIRM_POINTS}),
}

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class AuthConfigError(Exception):
    """The users/roles configuration cannot be used; the message names the entry."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (scrypt or ``pbkdf2_sha256$iterations$salt$hash``)."""
    try:
        scheme, *parts = stored.split("$")
        if scheme == "scrypt":
            n, r, p, salt, want = parts
            got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                 p=int(p), dklen=len(base64.b64decode(want)))
        elif scheme == "pbkdf2_sha256":
            iterations, salt, want = parts
            got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations),
                                      dklen=len(base64.b64decode(want)))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(want))


@dataclass(frozen=True)
class User:
    name: str
    role: str
    rights: frozenset[str] = field(default_factory=frozenset)

    def can(self, right: str) -> bool:
        return right in self.rights


@dataclass(frozen=True)
class UserDirectory:
    roles: Mapping[str, frozenset[str]]
    _hashes: Mapping[str, tuple[str, str]]  # name -> (role, password_hash)

    @property
    def names(self) -> list[str]:
        return sorted(self._hashes)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when name and password match, else ``None`` (same cost either way)."""
        entry = self._hashes.get(name)
        stored = entry[1] if entry else hash_password("x", salt=b"\0" * 16)
        ok = verify_password(password or "", stored)
        if not entry or not ok:
            return None
        role = entry[0]
        return User(name=name, role=role, rights=frozenset(self.roles.get(role, frozenset())))


def _parse_roles(table: Mapping[str, Any], where: str) -> dict[str, frozenset[str]]:
    roles = dict(DEFAULT_ROLES)
    for role, rights in (table or {}).items():
        if isinstance(rights, dict):
            rights = rights.get("rights", [])
        unknown = set(rights) - set(RIGHTS)
        if unknown:
            raise AuthConfigError(f"{where}: role {role!r} names unknown rights {sorted(unknown)}; use {list(RIGHTS)}")
        roles[role] = frozenset(rights)
    return roles


def _parse_users(table: Mapping[str, Any], roles: Mapping[str, frozenset[str]], where: str) -> dict[str, tuple[str, str]]:
    users = {}
    for name, entry in (table or {}).items():
        if not isinstance(entry, dict) or "password_hash" not in entry:
            raise AuthConfigError(f"{where}: user {name!r} needs a password_hash (run `ringscope hash-password`)")
        role = entry.get("role", "analyst")
        if role not in roles:
            raise AuthConfigError(f"{where}: user {name!r} has unknown role {role!r}; known roles: {sorted(roles)}")
        users[str(name)] = (role, str(entry["password_hash"]))
    return users


def load_directory(app_config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> UserDirectory:
    """Users and roles from the ``[app]`` table, then ``RINGSCOPE_USERS_FILE`` (which wins on clashes)."""
    env = os.environ if env is None else env
    roles = _parse_roles(app_config.get("roles", {}), "[app.roles]")
    users = _parse_users(app_config.get("users", {}), roles, "[app.users]")
    users_file = env.get("RINGSCOPE_USERS_FILE")
    if users_file:
        path = Path(users_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AuthConfigError(f"RINGSCOPE_USERS_FILE={path}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise AuthConfigError(f"{path}: not valid TOML: {exc}") from None
        roles.update(_parse_roles(data.get("roles", {}), str(path)))
        users.update(_parse_users(data.get("users", {}), roles, str(path)))
    return UserDirectory(roles=roles, _hashes=users)
