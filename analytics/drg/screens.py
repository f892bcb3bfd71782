"""Run the DRG screens on one connection: episodes, profiles, then each screen.

Like ``analytics.pipeline`` it opens nothing: the caller passes a connection holding the
contract tables.  ``drg_coverage`` says which inputs are missing, so a run that finds no
case can say whether the screens were blind.
"""
from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field

import duckdb

from ringscope.analytics.data_coverage import Gap
from ringscope.analytics.drg.case import DrgCase, number_cases
from ringscope.analytics.drg.cost_shifting import detect_cost_shifting
from ringscope.analytics.drg.coverage import drg_coverage_gaps
from ringscope.analytics.drg.episodes import build_episodes, build_group_profiles
from ringscope.analytics.drg.patient_shifting import detect_patient_shifting
from ringscope.analytics.drg.split_admission import detect_split_admissions
from ringscope.analytics.drg.up_coding import detect_up_coding
from ringscope.analytics.settings import DrgSettings

_TEMP = ("drg_episodes", "drg_group_profiles", "drg_split_links", "drg_split_chains", "drg_secondary",
         "drg_usual_procedures", "drg_upcoded", "drg_shift_candidates", "drg_shifted",
         "drg_patient_share", "drg_patient_purchases")


@dataclass
class DrgResult:
    cases: list[DrgCase]
    gaps: list[Gap] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def outside_rings(cases: list[DrgCase], ring_settlements: Collection[str]) -> list[DrgCase]:
    """The cases not already counted by a ring: a stay a ring's loss counts is no DRG case.

    A car shuttle's villager brought back a few days after a short stay reads like one stay
    split in two, yet the shuttle ring already counts every admission of its trips as loss
    (the car-shuttle detector judges buses, the split screen one patient's stay); the Rules
    count each transaction once.  A case with any settlement outside the rings stays.
    """
    counted = set(ring_settlements)
    return [case for case in cases if not counted.issuperset(case.settlement_ids)]


def run_drg_screens(con: duckdb.DuckDBPyConnection, settings: DrgSettings | None = None,
                    ring_settlements: Collection[str] = ()) -> DrgResult:
    """All DRG screens (cost shifting to the fund and to the patient are two), cases numbered by content and sorted by score then loss.

    ``ring_settlements``: the settlements of the rings detected in the same run, whose loss
    the rings already count (``outside_rings``)."""
    settings = settings or DrgSettings()
    gaps = drg_coverage_gaps(con)
    timings: dict[str, float] = {}
    if not settings.enabled:
        return DrgResult([], gaps, timings)
    t0 = time.perf_counter()
    build_episodes(con, settings)
    build_group_profiles(con)
    timings["drg_episodes"] = round(time.perf_counter() - t0, 3)
    cases: list[DrgCase] = []
    for name, screen in (("split_admission", detect_split_admissions), ("up_coding", detect_up_coding),
                         ("cost_shifting", detect_cost_shifting),
                         ("cost_shifting_to_patient", detect_patient_shifting)):
        t0 = time.perf_counter()
        cases.extend(screen(con, settings))
        timings[name] = round(time.perf_counter() - t0, 3)
    for table in _TEMP:
        con.execute(f"DROP TABLE IF EXISTS {table}")  # names from _TEMP only
    return DrgResult(number_cases(outside_rings(cases, ring_settlements)), gaps, timings)
