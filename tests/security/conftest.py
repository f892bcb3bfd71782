"""Shared fixtures for the security tests, reused from the export and explorer suites.

``case``/``masked_zip``: the referral case of tests/export (signed, users configured);
``explorer_ws``: the explorer workspace of tests/app (two rings, three users).
"""
from tests.app.conftest import explorer_template, explorer_ws  # noqa: F401  (pytest fixtures reused)
from tests.export.conftest import case, masked_zip  # noqa: F401
