"""The "Export referral" button's work: call the referral-package builder when it exists.

``ringscope.app.export.build_referral`` (the referral-package engineer's) checks
the rights again and writes the audit event itself; this wrapper only checks
the ``export`` right first, picks the output path and reports what it wrote.
"""
from __future__ import annotations

import inspect
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ringscope.app.auth import EXPORT, UNMASK, User
from ringscope.app.config import RingScopeConfig
from ringscope.graph.store import Store


class ReferralUnavailable(Exception):
    """No referral builder is installed in this version."""


class ReferralDenied(Exception):
    """The user lacks the ``export`` right."""


def builder() -> Callable[..., Any] | None:
    try:
        from ringscope.app.export import build_referral  # type: ignore[attr-defined]
    except ImportError:
        try:
            from ringscope.app.export.builder import build_referral
        except ImportError:
            return None
    return build_referral


def referral_available() -> bool:
    return builder() is not None


def export_referral(cfg: RingScopeConfig, store: Store, ring_id: str, user: User | None, unmask: bool = False,
                    lang: tuple[str, ...] = ("zh", "en")) -> Path:
    """Build the referral package for ``ring_id`` under ``<workspace>/exports/`` and return its path."""
    if user is None or not user.can(EXPORT):
        raise ReferralDenied(ring_id)
    build = builder()
    if build is None:
        raise ReferralUnavailable(ring_id)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(cfg.workspace) / "exports" / f"referral-{ring_id}-{stamp}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    accepted = set(inspect.signature(build).parameters)
    kwargs: dict[str, Any] = {"user": user, "config": cfg}
    if "unmask" in accepted:
        kwargs["unmask"] = bool(unmask and user.can(UNMASK))
    if "lang" in accepted:
        kwargs["lang"] = lang
    return Path(build(store, ring_id, out, **kwargs))
