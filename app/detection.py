"""The one detection path: settings, memory limit, engines, scorer and run record in one place.

``ringscope detect``, ``ringscope weekly``, ``ringscope demo`` and
``ringscope train`` all call :func:`run_detection`.  Before it existed the
weekly job had its own copy that silently ignored ``[detection]
memory_limit`` and ``engine`` (issue #20): whatever a user sets in
``[detection]`` now reaches every run because there is only one run.

Where the SQL runs is the *execution engine*: ``embedded`` (the store's own
DuckDB connection, the default) or ``spark`` (the contract tables read from
Parquet into a Spark session, see ``app/spark_engine.py`` and docs/scale.md).
The ring book and rings.json are written the same way for both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ringscope.app.errors import UserError

OnStep = Callable[[str, str], None]


@dataclass
class DetectionRun:
    """What one run produced: rings best first (ids from the book, or provisional), and its record."""

    rings: list[Any]
    run_id: str = ""
    scorer: str = "rank"
    settings_hash: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    gaps: list[Any] = field(default_factory=list)
    book_note: str = ""
    """Why the ring book was not updated (read-only catalogue), else empty."""
    drg_cases: list[Any] = field(default_factory=list)
    """DRG payment cases of the same run (institution cases beside the rings, docs/drg.md)."""
    drg_enabled: bool = False

    def rings_json_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"scorer": self.scorer, "settings_hash": self.settings_hash}
        if self.run_id:
            extra = {"run_id": self.run_id, **extra}
        extra["drg_cases"] = [case.to_json() for case in self.drg_cases]  # contract 1.1, section 3
        return extra


def detection_settings(cfg: Any) -> Any:
    """``[detection]`` parsed once, with the one error message every command shows."""
    from ringscope.analytics.settings import DetectionSettings, SettingsError

    try:
        return DetectionSettings.from_dict(cfg.detection)
    except SettingsError as exc:
        where = f" in {cfg.source}" if getattr(cfg, "source", None) else ""
        raise UserError(f"[detection] settings{where}: {exc}") from None


def chosen_scorer(cfg: Any, settings: Any) -> Any:
    """The rank scorer, or the trained one that ``[detection.scoring] model_path`` opts into."""
    from ringscope.analytics.scoring import RankScorer, ScorerError, load_scorer

    try:
        return load_scorer(cfg.workspace, settings.scoring.model_path) or RankScorer(settings.scoring.signal_weight)
    except ScorerError as exc:
        raise UserError(str(exc)) from None


def community_engine(store: Any, settings: Any, sql: Any = None) -> Any:
    """The community engine of this run: Spark's when the SQL runs on Spark, else ``[detection] engine``."""
    from ringscope.analytics.community_gds import engine_for_store

    make = getattr(sql, "community_engine", None)
    if make is not None:
        if settings.engine == "gds":
            raise UserError("[detection] engine: 'gds' runs inside Neo4j; with --engine spark the graph step runs on Spark")
        return make()
    try:
        return engine_for_store(store, settings.engine)
    except ValueError as exc:
        raise UserError(f"[detection] engine: {exc}") from None


def apply_memory_limit(con: Any, settings: Any) -> None:
    """``[detection] memory_limit`` on the embedded connection (DuckDB then spills to disk)."""
    if settings.memory_limit and hasattr(con, "execute"):
        con.execute(f"SET memory_limit = '{settings.memory_limit}'")  # validated by DetectionSettings


def run_detection(
    cfg: Any,
    store: Any,
    *,
    sql: Any = None,
    scorer: Any = None,
    book: bool = True,
    on_step: OnStep | None = None,
    settings: Any = None,
) -> DetectionRun:
    """Detect rings on ``store`` (or on ``sql``, another engine's tables) and record the run.

    ``sql`` is the connection the detectors run their SQL on: ``None`` means the
    store's own (``embedded``); a Spark adapter means the Spark engine.  The ring
    book is always the store's.  ``book=False`` numbers the rings provisionally
    and records nothing (``detect --no-book``, ``train``).
    """
    from ringscope.analytics.data_coverage import coverage_gaps
    from ringscope.analytics.pipeline import run_detection as detect_all
    from ringscope.analytics.ring_identity import assign_ids
    from ringscope.analytics.rings_json import sort_rings

    settings = settings or detection_settings(cfg)
    scorer = scorer or chosen_scorer(cfg, settings)
    started = datetime.now(timezone.utc)
    engine = community_engine(store, settings, sql)
    con = sql if sql is not None else store.relational()
    if sql is None:
        apply_memory_limit(con, settings)
    result = _detect_within_memory(detect_all, con, settings, sql is None,
                                   scorer=scorer, engine=engine, on_step=on_step)
    run = DetectionRun(rings=result.rings, scorer=result.scorer, settings_hash=settings.digest(),
                       timings=result.timings, gaps=coverage_gaps(con, settings.schemes))
    _drg_screens(run, con, settings)
    if not book:
        _provisional(run)
        return run
    try:
        from ringscope.graph import ring_book

        run.run_id = ring_book.record_run(store.relational(), result.rings, run.settings_hash, result.scorer, started,
                                          assign=assign_ids)
        run.rings = sort_rings(result.rings)  # ids are a tie-break
        if run.drg_enabled:
            from ringscope.graph.drg_book import record_drg_cases

            record_drg_cases(store.relational(), run.run_id, [case.to_json() for case in run.drg_cases])
    except Exception as exc:  # a read-only catalogue: the rings are still worth writing
        text = str(exc).lower()
        if "read-only" not in text and "read only" not in text:
            raise
        run.book_note = str(exc).splitlines()[0]
        _provisional(run)
    return run


def _detect_within_memory(detect_all: Callable[..., Any], con: Any, settings: Any, embedded: bool,
                          **kwargs: Any) -> Any:
    """Run the detectors; the embedded engine out of memory is one line that says what to do.

    DuckDB spills to disk up to ``[detection] memory_limit`` but some steps
    cannot; a drop that outgrows the limit is the case for ``--engine spark``
    (docs/scale.md), which is what the message says instead of a trace."""
    import duckdb

    try:
        return detect_all(con, settings, **kwargs)
    except duckdb.OutOfMemoryException as exc:
        if not embedded:
            raise
        first = str(exc).strip().splitlines()[0]
        limit = f"[detection] memory_limit = {settings.memory_limit!r}" if settings.memory_limit else "this machine's memory"
        raise UserError(f"the embedded engine ran out of memory within {limit} ({first}); raise the limit, "
                        "or run on Spark: ringscope detect --engine spark (docs/scale.md)") from None


def _drg_screens(run: DetectionRun, con: Any, settings: Any) -> None:
    """The DRG payment screens (issue 18) on the same tables, in the same run, on the same engine.

    ``con`` is the detectors' connection: the store's own, or the Spark adapter, which
    transpiles the screens' SQL as it does the detectors' (one copy of the SQL, docs/scale.md).
    """
    from ringscope.analytics.drg.screens import run_drg_screens

    drg = run_drg_screens(con, settings.drg, {sid for ring in run.rings for sid in ring.settlement_ids})
    run.drg_enabled = settings.drg.enabled
    run.drg_cases = drg.cases
    run.timings.update(drg.timings)
    if settings.drg.enabled:
        run.gaps.extend(drg.gaps)


def _provisional(run: DetectionRun) -> None:
    from ringscope.analytics.pipeline import provisional_ids

    run.rings = provisional_ids(run.rings)


class DropTables:
    """A drop loaded in memory (``analytics.contract_tables``), standing in for a store for ``train``:
    the truth must never be mixed into the workspace, yet training must detect exactly as ``detect`` does."""

    def __init__(self, drop_dir: Any) -> None:
        from ringscope.analytics.contract_tables import connect_drop

        self.con = connect_drop(drop_dir)

    def relational(self) -> Any:
        return self.con

    def close(self) -> None:
        self.con.close()


def drop_detector(cfg: Any, settings: Any) -> Callable[[Any], list[Any]]:
    """``detect(drop_dir) -> rings`` for training: the one run, rank scorer, nothing booked."""
    from ringscope.analytics.scoring import RankScorer

    def detect(drop_dir: Any) -> list[Any]:
        tables = DropTables(drop_dir)
        try:
            scorer = RankScorer(settings.scoring.signal_weight)
            return run_detection(cfg, tables, scorer=scorer, book=False, settings=settings).rings
        finally:
            tables.close()

    return detect
