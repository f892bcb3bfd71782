"""Password hashes for test users, computed once per process.

``auth.hash_password`` is scrypt with a high work factor on purpose (about half a
second on a quiet core, several under load), and the explorer, tips and export
workspaces configure the same few users for every test.  A hash of a given
password is as good in every workspace (its salt need not differ between test
workspaces), so each is computed once; tests of hashing itself call
``auth.hash_password`` directly.
"""
from __future__ import annotations

from functools import cache

from ringscope.app.auth import hash_password


@cache
def password_hash(password: str) -> str:
    return hash_password(password)
