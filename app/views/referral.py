"""The "Export referral" buttons' work (a ring's, an institution's DRG cases'): check the right, pick a safe path, build.

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
from ringscope.app.export.institution import subject_id
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


def export_institution_referral(cfg: RingScopeConfig, store: Store, facility_id: str, user: User | None,
                                unmask: bool = False, lang: tuple[str, ...] = ("zh", "en")) -> Path:
    """Build the referral package of ``facility_id``'s DRG cases, as ``ringscope export --institution`` does.

    The same builder call as the command (``build_referral(..., institution=...)``): it checks the
    rights again, writes the audit event (target ``institution:<id>``) and refuses an institution
    with no DRG case by name.  The file is named after the subject (``DRG-<facility_id>``).
    """
    if user is None or not user.can(EXPORT):
        raise ReferralDenied(facility_id)
    out = referral_path(cfg.workspace, subject_id(facility_id), datetime.now())
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(build_referral(store, "", out, user=user, config=cfg, institution=facility_id,
                               unmask=bool(unmask and user.can(UNMASK)), lang=lang))
