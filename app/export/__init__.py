"""Referral packages for public security: build (``build_referral``) and check (``verify_package``).

See docs/referral.md for what a package holds and how to check one.
"""
from ringscope.app.export.bag import PackageError, VerifyReport, verify_package
from ringscope.app.export.builder import build_referral

__all__ = ["build_referral", "verify_package", "VerifyReport", "PackageError"]
