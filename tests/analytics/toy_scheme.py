"""A toy scheme, declared the way a real one is: one module (+ its messages in toy_scheme.toml).

``kickback_desk``: a facility whose settlements each pay the fund more than a
threshold is reported as a ring of the facility and its patients.  It is
deliberately simple; what the tests check is that declaring it here is
enough for detection, settings, data coverage and every output's wording to
know it (tests/analytics/test_scheme_registry.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ringscope.analytics.community import CommunityEngine
from ringscope.analytics.detectors.base import rows
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.schemes import Need, Scheme
from ringscope.analytics.settings import DetectionSettings

NAME = "kickback_desk"


@dataclass(frozen=True)
class KickbackDeskSettings:
    min_fund_paid: float = 500.0
    """A settlement paying the fund more than this counts towards the facility's ring."""
    min_settlements: int = 2
    """Settlements above ``min_fund_paid`` a facility needs before it is reported."""


def detect_kickback_desk(con: duckdb.DuckDBPyConnection, settings: DetectionSettings,
                         engine: CommunityEngine | None = None) -> list[Ring]:
    """Facilities with at least ``min_settlements`` costly settlements, with their patients."""
    cfg: KickbackDeskSettings = settings.kickback_desk
    found = rows(con, """
        SELECT facility_id::VARCHAR, list(DISTINCT patient_id::VARCHAR ORDER BY patient_id::VARCHAR),
               list(settlement_id::VARCHAR ORDER BY settlement_id::VARCHAR)
        FROM settlements WHERE fund_paid > ? GROUP BY facility_id HAVING count(*) >= ? ORDER BY 1""",
                 [cfg.min_fund_paid, cfg.min_settlements])
    return [Ring(scheme=NAME,
                 members=[Member("facility", fid, "hub")] + [Member("patient", p, "patient") for p in patients],
                 settlement_ids=sids,
                 evidence=[Evidence("costly_settlements", f"{len(sids)} costly settlements.",
                                    f"{len(sids)}笔高额结算。", float(len(sids)))],
                 features={"signal_strength": 0.5})
            for fid, patients, sids in found]


SCHEME = Scheme(
    name=NAME,
    settings=KickbackDeskSettings,
    detect=detect_kickback_desk,
    needs=(Need("settlements", "prescriber_id IS NOT NULL", "settlements.prescriber_id",
                "no settlement names its prescriber, so no desk can be tied to a doctor",
                "结算记录中没有开方医师，无法把窗口与医师关联"),),
    messages=Path(__file__).with_name("toy_scheme.toml"),
)
