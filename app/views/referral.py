"""The "Export referral" button's work: check the right, pick a safe path, build.

``ringscope.app.export.build_referral`` checks the rights again and writes the
audit event itself; this wrapper refuses early without the ``export`` right
and names the file under ``<workspace>/exports/`` from a sanitised ring id,
so a hostile id cannot write outside that folder.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ringscope.app.auth import EXPORT, UNMASK, User
from ringscope.app.config import RingScopeConfig
from ringscope.app.export import build_referral
from ringscope.app.export.safe_names import safe_component
from ringscope.graph.store import Store


class ReferralDenied(Exception):
    """The user lacks the ``export`` right."""


def referral_path(workspace: Path, ring_id: str, now: datetime) -> Path:
    return Path(workspace) / "exports" / f"referral-{safe_component(ring_id)}-{now:%Y%m%d-%H%M%S}.zip"


def export_referral(cfg: RingScopeConfig, store: Store, ring_id: str, user: User | None, unmask: bool = False,
                    lang: tuple[str, ...] = ("zh", "en")) -> Path:
    """Build the referral package for ``ring_id`` under ``<workspace>/exports/`` and return its path."""
    if user is None or not user.can(EXPORT):
        raise ReferralDenied(ring_id)
    out = referral_path(cfg.workspace, ring_id, datetime.now())
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(build_referral(store, ring_id, out, user=user, config=cfg,
                               unmask=bool(unmask and user.can(UNMASK)), lang=lang))
