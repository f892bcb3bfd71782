"""Where a ring operates: one rule for the explorer, the weekly report and the referral.

A bureau supervises the medical institutions and pharmacies in its area, so
a ring belongs where the fund paid out: the region of the facilities at
which its settlements were made, weighted by settlement count.  Rings
without settlements (maternity claims through an employer) fall back to the
places among their members (facilities, employers, prescribers' practices),
and only then to where their people live.  Within the chosen level the
province with most rows wins, then the region code with most rows inside
it, then the smaller code, so the answer never depends on row order.
"""
from __future__ import annotations

import re

import duckdb

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [table]).fetchall()[0][0])


def _sources(con: duckdb.DuckDBPyConnection, paid: str, members: str) -> list[str]:
    """SELECTs of (ring_id, prio, region_code): paid-at facilities, member places, member people."""
    have = {t: _exists(con, t) for t in ("settlements", "facilities", "employers", "prescribers", "patients", "cards")}
    parts = []
    if have["settlements"] and have["facilities"]:
        parts.append(f"SELECT t.ring_id, 0 AS prio, f.region_code FROM {paid} t JOIN settlements s "
                     "ON s.settlement_id = t.settlement_id JOIN facilities f ON f.facility_id = s.facility_id")
    if have["facilities"]:
        parts.append(f"SELECT m.ring_id, 1, f.region_code FROM {members} m JOIN facilities f "
                     "ON m.member_type = 'facility' AND f.facility_id = m.member_id")
    if have["employers"]:
        parts.append(f"SELECT m.ring_id, 1, e.region_code FROM {members} m JOIN employers e "
                     "ON m.member_type = 'employer' AND e.employer_id = m.member_id")
    if have["prescribers"] and have["facilities"]:
        parts.append(f"SELECT m.ring_id, 1, f.region_code FROM {members} m JOIN prescribers p "
                     "ON m.member_type = 'prescriber' AND p.prescriber_id = m.member_id "
                     "JOIN facilities f ON f.facility_id = p.facility_id")
    if have["patients"]:
        parts.append(f"SELECT m.ring_id, 2, p.region_code FROM {members} m JOIN patients p "
                     "ON m.member_type = 'patient' AND p.patient_id = m.member_id")
        if have["cards"]:
            parts.append(f"SELECT m.ring_id, 2, p.region_code FROM {members} m JOIN cards c "
                         "ON m.member_type = 'card' AND c.card_id = m.member_id "
                         "JOIN patients p ON p.patient_id = c.patient_id")
    return parts


def ring_regions(con: duckdb.DuckDBPyConnection, paid: str, members: str) -> dict[str, str]:
    """``ring_id -> region_code`` for every ring in the two relations.

    ``paid`` names a relation of ``(ring_id, settlement_id)``, ``members`` one
    of ``(ring_id, member_type, member_id)`` (tables, views or registered
    frames; names from code, never from users).
    """
    if not (_NAME.match(paid) and _NAME.match(members)):
        raise ValueError(f"relation names must be identifiers: {paid!r}, {members!r}")
    parts = _sources(con, paid, members)
    if not parts:
        return {}
    sql = (
        f"WITH codes AS ({' UNION ALL '.join(parts)}), "
        "counted AS (SELECT ring_id, prio, region_code, count(*) AS n FROM codes "
        "  WHERE region_code IS NOT NULL AND length(region_code) >= 2 GROUP BY ALL), "
        "level AS (SELECT *, min(prio) OVER (PARTITION BY ring_id) AS best, "
        "  sum(n) OVER (PARTITION BY ring_id, prio, substr(region_code, 1, 2)) AS in_province FROM counted), "
        "ranked AS (SELECT ring_id, region_code, row_number() OVER (PARTITION BY ring_id "
        "  ORDER BY in_province DESC, substr(region_code, 1, 2), n DESC, region_code) AS k "
        "  FROM level WHERE prio = best) "
        "SELECT ring_id, region_code FROM ranked WHERE k = 1"
    )
    return dict(con.execute(sql).fetchall())
