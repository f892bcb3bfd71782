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
16-byte salt, base64) at N=2^17, r=8, p=1 (OWASP Password Storage Cheat
Sheet); ``ringscope hash-password`` prints one, reading the password from a
prompt or standard input, never the command line.  Hashes weaker than
:data:`MIN_SCRYPT_N` or :data:`MIN_PBKDF2_ITERATIONS` (OWASP's 600,000 for
PBKDF2-HMAC-SHA256) are refused when the users are loaded, naming the user,
since a stolen config file would give their passwords up cheaply.
Comparison is constant-time.  Example::

    [app.roles]
    analyst = []
    investigator = ["unmask"]
    supervisor = ["unmask", "export"]

    [app.users.li_wei]
    role = "investigator"
    password_hash = "scrypt$131072$8$1$...$..."
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

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**17, 8, 1
MIN_SCRYPT_N, MIN_SCRYPT_R = 2**17, 8
MIN_PBKDF2_ITERATIONS = 600_000
_SCRYPT_MAXMEM = 512 * 1024 * 1024  # N=2^17, r=8 needs 128 MiB; hashlib's default cap is 32 MiB


class AuthConfigError(Exception):
    """The users/roles configuration cannot be used; the message names the entry."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32,
                            maxmem=_SCRYPT_MAXMEM)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (scrypt or ``pbkdf2_sha256$iterations$salt$hash``)."""
    try:
        scheme, *parts = stored.split("$")
        if scheme == "scrypt":
            n, r, p, salt, want = parts
            got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                 p=int(p), dklen=len(base64.b64decode(want)), maxmem=_SCRYPT_MAXMEM)
        elif scheme == "pbkdf2_sha256":
            iterations, salt, want = parts
            got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations),
                                      dklen=len(base64.b64decode(want)))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(want))


def weakness(stored: str) -> str | None:
    """Why a stored hash is too weak to accept, or ``None`` when it is strong enough (or unparseable)."""
    scheme, *parts = stored.split("$")
    try:
        if scheme == "scrypt" and len(parts) == 5:
            n, r = int(parts[0]), int(parts[1])
            if n < MIN_SCRYPT_N or r < MIN_SCRYPT_R:
                return f"scrypt N={n}, r={r} is below N={MIN_SCRYPT_N}, r={MIN_SCRYPT_R}"
        elif scheme == "pbkdf2_sha256" and len(parts) == 3:
            if int(parts[0]) < MIN_PBKDF2_ITERATIONS:
                return f"pbkdf2_sha256 with {int(parts[0]):,} iterations is below {MIN_PBKDF2_ITERATIONS:,}"
        else:
            return "not a scrypt$N$r$p$salt$hash or pbkdf2_sha256$iterations$salt$hash string"
    except ValueError:
        return "the hash's parameters are not numbers"
    return None


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to check unknown names against, so that they cost as much as known ones (made once)."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    return _DUMMY[0]


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
        stored = entry[1] if entry else _dummy_hash()
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
        weak = weakness(str(entry["password_hash"]))
        if weak:
            raise AuthConfigError(f"{where}: user {name!r} has a weak or unusable password_hash ({weak}); "
                                  "make a new one with `ringscope hash-password`")
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
