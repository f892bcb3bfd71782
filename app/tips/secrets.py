"""The tip key: encrypts tipsters' contacts at rest and keys the look-up hashes.

A tipster's contact (phone, WeChat id, name) is the most sensitive thing a
tip holds: the reward measures oblige the fund agency to keep the reporter
confidential.  It is stored only as a Fernet token (AES-128-CBC with
HMAC-SHA256, the ``cryptography`` package), so the workspace DuckDB file
never holds it in clear; only a user with the ``tipster_contact`` right gets
it decrypted, and each reading is audit-logged by the caller.

ID numbers and phones a tip names are kept only as a keyed hash
(HMAC-SHA256 under a key derived from the same secret) plus the usual mask:
the store can still be searched for the person (the patient's own ID number
is hashed the same way and compared), and a user without ``unmask`` can look
a number up without ever seeing the stored one.

The key comes from ``RINGSCOPE_TIP_KEY`` (a Fernet key, urlsafe base64) or
the file ``[app.tips] key_file`` (default ``<workspace>/keys/tip-contact.key``),
created with mode 0600 on first use.  Losing it makes stored contacts
unreadable and the stored hashes unmatchable: back it up apart from the
workspace (docs/tips.md).
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Mapping

from cryptography.fernet import Fernet, InvalidToken

from ringscope.app.errors import UserError

KEY_ENV = "RINGSCOPE_TIP_KEY"
_LOOKUP_CONTEXT = b"ringscope tip look-up hash v1"


class TipKeyError(UserError):
    """The tip key is missing, malformed or not the one the data was written with."""


class TipKey:
    """One secret, two uses: contact encryption and look-up hashing."""

    def __init__(self, key: bytes, where: str):
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise TipKeyError(f"{where}: not a valid tip key (a Fernet key: 32 bytes, urlsafe base64)") from None
        self._lookup_key = hmac.new(key, _LOOKUP_CONTEXT, hashlib.sha256).digest()
        self.where = where

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            raise TipKeyError(f"the tip key ({self.where}) does not open this contact: "
                              "it was stored under another key") from None

    def lookup_hash(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of a normalised ID number or phone, hex; the kind keeps the two apart."""
        return hmac.new(self._lookup_key, f"{kind}:{normalise(kind, value)}".encode("utf-8"),
                        hashlib.sha256).hexdigest()


def normalise(kind: str, value: str) -> str:
    """The form both sides are hashed in: ID numbers upper-case, phones digits only (no +86)."""
    value = str(value).strip()
    if kind == "id_number":
        return value.upper()
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def key_path(workspace: Path, key_file: str) -> Path:
    path = Path(key_file)
    return path if path.is_absolute() else Path(workspace) / path


def load_key(workspace: Path, key_file: str, env: Mapping[str, str] | None = None, create: bool = True) -> TipKey:
    """The key from the environment, else the key file (made, 0600, when ``create`` and absent)."""
    env = os.environ if env is None else env
    if env.get(KEY_ENV):
        return TipKey(env[KEY_ENV].strip().encode("ascii"), KEY_ENV)
    path = key_path(workspace, key_file)
    if not path.exists():
        if not create:
            raise TipKeyError(f"no tip key at {path} and {KEY_ENV} is not set")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key() + b"\n")
    return TipKey(path.read_bytes().strip(), str(path))
