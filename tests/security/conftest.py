"""Shared fixtures for the security tests: the referral case of tests/export (signed, users configured)."""
from tests.export.conftest import case, masked_zip  # noqa: F401  (pytest fixtures reused)
