"""Case-mix drift (低码高编, issue 18 item 2): who codes more stays into upper groups than their peers.

A coder's or a doctor's habit shows in the mix, not in one record: an institution or a
prescriber whose episodes sit in the higher-weight groups of each ADRG more often than the
peers' episodes of the same ADRG (institutions of the same ``level`` in the same province)
is drifting.  The comparison is made ADRG by ADRG, so a unit that treats more of a complex
ADRG is not mistaken for one that codes its stays higher:

- ``expected`` = for each of the unit's episodes, the peers' upper-group share in that ADRG
  (the unit's own episodes excluded), summed;
- ``drift`` = (upper-group episodes - expected) / episodes;
- ``unexplained`` = the part of the drift the records do not support: at most the share of
  the unit's episodes that the up-coding screen found unsupported (a complication coded only
  at discharge, with no treatment for it).  A referral ward or a doctor who really treats
  severe complications drifts but explains it (ventilation, transfusion, a known comorbidity).

A unit is *drifting* when it has ``drift_min_episodes`` episodes in ADRGs with more than one
group and its unexplained drift is at least ``drift_margin``.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ringscope.analytics.settings import DrgSettings

UNITS = {"institution": "''", "prescriber": "e.prescriber_id"}
"""The units compared: an institution (key: facility), a prescriber (key: facility and prescriber)."""


@dataclass(frozen=True)
class Drift:
    """One unit's case mix against its peers'."""

    unit: str
    facility_id: str
    prescriber_id: str
    episodes: int
    upper_share: float
    peer_share: float
    unsupported_share: float
    drifting: bool

    @property
    def drift(self) -> float:
        return self.upper_share - self.peer_share

    @property
    def unexplained(self) -> float:
        return max(0.0, min(self.drift, self.unsupported_share))

    def evidence(self) -> dict[str, str]:
        """The evidence item an up-coding case carries for its institution or prescriber."""
        who = f"prescriber {self.prescriber_id}" if self.unit == "prescriber" else "institution"
        who_zh = f"医师 {self.prescriber_id}" if self.unit == "prescriber" else "该机构"
        flag, flag_zh = (" — drifting", "，偏移") if self.drifting else ("", "")
        return {
            "kind": f"{self.unit}_drift", "unit": self.unit, "facility_id": self.facility_id,
            "prescriber_id": self.prescriber_id, "episodes": str(self.episodes),
            "upper_share": f"{self.upper_share:.4f}", "peer_share": f"{self.peer_share:.4f}",
            "drift": f"{self.drift:.4f}", "unexplained": f"{self.unexplained:.4f}",
            "drifting": "true" if self.drifting else "false",
            "text": (f"{who} codes {self.upper_share:.0%} of {self.episodes} stays in upper groups where peers of "
                     f"the same level and province would code {self.peer_share:.0%}; unsupported by the record: "
                     f"{self.unexplained:.0%}{flag}"),
            "text_zh": (f"{who_zh} {self.episodes} 例住院中高编组占 {self.upper_share:.0%}，同级同省同 ADRG 预期为 "
                        f"{self.peer_share:.0%}；无病案依据的偏移 {self.unexplained:.0%}{flag_zh}"),
        }


def coding_drift(con: duckdb.DuckDBPyConnection, unit: str, settings: DrgSettings) -> dict[tuple[str, str], Drift]:
    """Every unit's drift, keyed by (facility_id, prescriber_id or ''); needs ``drg_upcoded``.

    Episodes without the unit's key (no ``prescriber_id``) are left out of that unit's table but
    still count among the peers of the others.
    """
    key = UNITS[unit]
    rows = con.execute(f"""
        WITH ranked AS (
            SELECT e.facility_id, coalesce({key}, '') AS prescriber_key, {key} IS NOT NULL AS keyed,
                   coalesce(e.facility_level, '') AS level, coalesce(e.province, '') AS province, p.adrg,
                   CASE WHEN p.level_rank > 1 THEN 1.0 ELSE 0.0 END AS upper,
                   CASE WHEN u.settlement_id IS NULL THEN 0.0 ELSE 1.0 END AS unsupported
            FROM drg_episodes e JOIN drg_group_profiles p ON p.drg_code = e.drg_code
            LEFT JOIN drg_upcoded u ON u.settlement_id = e.settlement_id
            WHERE p.groups_in_adrg > 1),
        cells AS (
            SELECT facility_id, prescriber_key, keyed, level, province, adrg, count(*) AS n, sum(upper) AS up,
                   sum(unsupported) AS unsupported
            FROM ranked GROUP BY ALL),
        peers AS (
            SELECT *, sum(up) OVER w - up AS peer_up, sum(n) OVER w - n AS peer_n
            FROM cells WINDOW w AS (PARTITION BY level, province, adrg))
        SELECT facility_id, prescriber_key, sum(n) AS episodes, sum(up) / sum(n) AS upper_share,
               sum(n * coalesce(peer_up / nullif(peer_n, 0), up / n)) / sum(n) AS peer_share,
               sum(unsupported) / sum(n) AS unsupported_share
        FROM peers WHERE keyed GROUP BY facility_id, prescriber_key
    """).fetchall()
    out = {}
    for facility, prescriber, n, upper, peer, unsupported in rows:
        drift = Drift(unit, facility, prescriber, int(n), float(upper), float(peer), float(unsupported), False)
        drifting = drift.episodes >= settings.drift_min_episodes and drift.unexplained >= settings.drift_margin
        out[(facility, prescriber)] = Drift(unit, facility, prescriber, int(n), float(upper), float(peer),
                                            float(unsupported), drifting)
    return out
