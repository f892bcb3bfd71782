"""One detection run: every scheme detector, then mixed rings, then fund loss, then scores.

The CLI, the benchmark and the app call :func:`run_detection`; it never
opens files or stores (the caller passes the connection), so the same run
works on an embedded store, a test connection or a drop loaded in memory.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from ringscope.analytics import schemes as registry
from ringscope.analytics.community import CommunityEngine
from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.mixed_rings import card_holders, merge_mixed_rings
from ringscope.analytics.ring import Ring
from ringscope.analytics.rings_json import sort_rings
from ringscope.analytics.scoring import Scorer, score_rings
from ringscope.analytics.settings import DetectionSettings


@dataclass
class DetectionResult:
    rings: list[Ring]
    timings: dict[str, float] = field(default_factory=dict)
    scorer: str = "rank"


def run_detection(
    con: duckdb.DuckDBPyConnection,
    settings: DetectionSettings | None = None,
    scorer: Scorer | None = None,
    engine: CommunityEngine | None = None,
    on_step: Callable[[str, str], None] | None = None,
) -> DetectionResult:
    """Run the configured detectors (each scheme's registry entry) and return scored rings, best first.

    ``on_step(name, phase)`` is called with phase ``start``/``done`` per step so
    the CLI can show progress.  Ring ids are left empty: ``graph.ring_book``
    assigns stable ones, :func:`provisional_ids` numbers them for one-off use.
    """
    settings = settings or DetectionSettings()
    rings: list[Ring] = []
    timings: dict[str, float] = {}
    for scheme in settings.schemes:
        if on_step:
            on_step(scheme, "start")
        t0 = time.perf_counter()
        rings.extend(registry.scheme(scheme).detect(con, settings, engine))
        timings[scheme] = round(time.perf_counter() - t0, 3)
        if on_step:
            on_step(scheme, "done")
    if settings.mixed.enabled:  # the same people in rings of several schemes: one ``mixed`` ring
        t0 = time.perf_counter()
        holders = card_holders(con, rings) if settings.mixed.cards_as_holders else {}
        rings = merge_mixed_rings(rings, settings.mixed, holders)
        timings["mixed"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    attach_fund_loss(con, rings)
    name = score_rings(rings, scorer)
    rings = [r for r in rings if r.score >= settings.scoring.min_score]
    timings["fund_loss_and_scoring"] = round(time.perf_counter() - t0, 3)
    return DetectionResult(rings=sort_rings(rings), timings=timings, scorer=name)


def provisional_ids(rings: list[Ring]) -> list[Ring]:
    """Number rings R-000001... in a content-determined order (no history)."""
    for i, ring in enumerate(sorted(rings, key=lambda r: (r.scheme, r.fingerprint)), start=1):
        ring.ring_id = f"R-{i:06d}"
    return sort_rings(rings)
