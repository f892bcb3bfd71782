"""The weekly run: ingest a drop, detect, keep the ring history, write the report.

``ringscope weekly DROP_DIR [--week 2026-W47]`` is what a scheduler (cron,
a systemd timer; docs/scheduling.md) starts once a week.  It is built to be
left alone:

* **One at a time.**  A :class:`WorkspaceLock` (an ``flock`` on a file in the
  workspace, held while the run lives) makes a second run exit with code 4
  instead of interleaving with the first.  The kernel drops the ``flock``
  when its holder dies, so a file left behind by a killed run never blocks,
  even when its recorded pid now belongs to another process.
* **Safe to re-run.**  A drop already loaded (same fingerprint) is not loaded
  again; the week's detection run and history replace the earlier ones of the
  same week; the report is stamped with the data's own latest time, not the
  clock, so the same week twice gives the same files.
* **Exit codes a scheduler can act on**: 0 done, 2 bad input (drop refused,
  bad week), 3 store unavailable, 4 another run holds the lock, 1 other.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import socket
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from ringscope.analytics.ring_evolution import DISSOLVED, EvolutionSettings, RingSnapshot, classify
from ringscope.app.errors import LockHeld
from ringscope.ingest.errors import IngestError

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
LOCK_FILE = "ringscope.lock"

Step = Callable[[str], None]


class BadInput(IngestError):
    """A bad option of a scheduled run (e.g. ``--week``); exit code 2 like a refused drop."""


# --- weeks -----------------------------------------------------------------

def parse_week(text: str) -> str:
    """Check and normalise an ISO week ``YYYY-Www``; raises ``ValueError`` with the fix."""
    m = WEEK_RE.match((text or "").strip().upper())
    if not m:
        raise ValueError(f"{text!r} is not an ISO week: write it like 2026-W47")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{text!r}: {year} has no ISO week {week}") from None
    return f"{year:04d}-W{week:02d}"


def current_week(now: datetime | None = None) -> str:
    """The ISO week of ``now`` (default: today) in Asia/Shanghai."""
    y, w, _ = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).isocalendar()
    return f"{y:04d}-W{w:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week."""
    y, w = (int(x) for x in parse_week(week).split("-W"))
    monday = date.fromisocalendar(y, w, 1)
    return monday, monday + timedelta(days=6)


def week_after(week: str, n: int = 1) -> str:
    monday, _ = week_bounds(week)
    return current_week(datetime.combine(monday + timedelta(weeks=n), datetime.min.time(), SHANGHAI))


# --- the lock ----------------------------------------------------------------

class WorkspaceLock:
    """An exclusive lock on a workspace for the length of one run.

    The lock is the kernel's ``flock`` on ``ringscope.lock``, nothing else: the
    kernel drops it the moment its holder exits, however it dies, so a lock
    left by a killed run never blocks the next one.  The pid, host and command
    written into the file only explain a refusal; they are never used to
    decide it (a recorded pid may long since belong to an unrelated process).
    The holder removes the file on release; a run that locked a file removed
    under it (its inode no longer at the path) simply tries again.
    """

    def __init__(self, workspace: Path, command: str = "weekly"):
        self.path = Path(workspace) / LOCK_FILE
        self.command = command
        self._fd: int | None = None

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def _still_at_path(self, fd: int) -> bool:
        try:
            here, there = os.fstat(fd), os.stat(self.path)
        except FileNotFoundError:
            return False
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)

    def acquire(self) -> "WorkspaceLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(10):
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                info = self.holder()
                raise LockHeld(
                    f"another RingScope run holds the workspace lock {self.path} "
                    f"(pid {info.get('pid', '?')} on {info.get('host', '?')}, {info.get('command', '?')} "
                    f"since {info.get('started_at', '?')}); wait for it to finish"
                ) from None
            if not self._still_at_path(fd):  # released and removed between our open and flock
                os.close(fd)
                continue
            record = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                      "started_at": datetime.now(SHANGHAI).isoformat(timespec="seconds")}
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(record).encode())
            os.fsync(fd)
            self._fd = fd
            return self
        raise LockHeld(f"could not take the workspace lock {self.path}: it keeps being replaced")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self) -> "WorkspaceLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# --- from detected rings to the week's history --------------------------------

@dataclass
class WeeklyOutcome:
    week: str
    previous_week: str | None
    drop_id: str | None
    ingested: bool
    rings: int
    status_counts: dict[str, int]
    files: list[Path] = field(default_factory=list)
    run_id: str | None = None


def history_rows(rings: Sequence, previous: dict[str, tuple[str, frozenset[str], Decimal]],
                 settings: EvolutionSettings | None = None):
    """Classify this week's rings against last week's and build the history rows.

    ``rings`` are ``analytics.ring.Ring`` records with their ids; ``previous`` is
    :func:`graph.ring_history.week_members` of the previous week.
    """
    from ringscope.graph.ring_history import LineageRow, WeekRing

    prev = [RingSnapshot(rid, scheme, keys, loss) for rid, (scheme, keys, loss) in sorted(previous.items())]
    cur = [RingSnapshot(r.ring_id, r.scheme, frozenset(r.member_keys()), r.fund_loss) for r in rings]
    evolution = classify(prev, cur, settings)
    by_id = {r.ring_id: r for r in rings}
    rows = []
    for ch in evolution.changes:
        if ch.status == DISSOLVED:
            rows.append(WeekRing(
                ring_id=ch.ring_id, scheme=ch.scheme, status=DISSOLVED, present=False, parents=ch.parents,
                member_count=ch.members_before, members_removed=ch.members_removed,
                fund_loss=ch.fund_loss_before, fund_loss_before=ch.fund_loss_before,
            ))
            continue
        ring = by_id[ch.ring_id]
        rows.append(WeekRing(
            ring_id=ring.ring_id, scheme=ring.scheme, status=ch.status, score=float(ring.score), parents=ch.parents,
            members=[(m.type, m.id, m.role) for m in ring.members], member_count=len(ring.members),
            members_added=ch.members_added, members_removed=ch.members_removed,
            settlements=len(ring.settlement_ids), claims=len(ring.claim_ids or []),
            fund_loss=ring.fund_loss, fund_loss_before=ch.fund_loss_before,
            evidence=[e.to_json() if hasattr(e, "to_json") else dict(e) for e in ring.evidence],
        ))
    lineage = [LineageRow(k.current_id, k.previous_id, k.shared, k.overlap) for k in evolution.links]
    return rows, lineage, evolution


# --- the run -------------------------------------------------------------------

def data_as_of(con) -> datetime | None:
    """The latest settlement or maternity claim time in the store: the week's stable stamp."""
    row = con.execute(
        "SELECT greatest(coalesce((SELECT max(CAST(settled_at AS TIMESTAMP)) FROM settlements), TIMESTAMP '1900-01-01'), "
        "coalesce((SELECT max(CAST(claimed_on AS TIMESTAMP)) FROM maternity_claims), TIMESTAMP '1900-01-01'))"
    ).fetchall()
    value = row[0][0] if row else None
    return None if value is None or value.year == 1900 else value


def _already_loaded(con, drop_dir: Path, mapping) -> tuple[str, str | None]:
    """(fingerprint, drop_id of an earlier successful load of the same files, if any)."""
    from ringscope.graph.catalogue import fingerprint_drop
    from ringscope.ingest.stage import locate_files

    fp = fingerprint_drop(locate_files(drop_dir, mapping))
    row = con.execute(
        "SELECT drop_id FROM ingest_drops WHERE fingerprint = ? AND status = 'loaded' ORDER BY drop_id LIMIT 1", [fp]
    ).fetchall()
    return fp, (row[0][0] if row else None)


def detect_and_book(cfg, store, on_step: Callable[[str, str], None] | None = None):
    """The one detection run (``app.detection``) recorded in the ring book; returns (rings, run_id)."""
    from ringscope.app.detection import run_detection

    run = run_detection(cfg, store, on_step=on_step)
    return run.rings, run.run_id


def _evolution_settings(cfg) -> EvolutionSettings:
    """``[detection.evolution]``: how this week's rings are matched with last week's."""
    from ringscope.app.detection import detection_settings

    return detection_settings(cfg).evolution


def triage_window_end(con, week: str, fingerprint: str) -> datetime | None:
    """When the week's triage window closes: the record time to keep, or None for "now".

    A report lists the decisions taken between the previous week's run and
    this week's.  A re-run of the same drop keeps the original time, so an
    unchanged re-run is byte-identical, unless investigators decided since:
    then the window moves to the re-run and the report shows them.  Once a
    later week is recorded the window stays put, so windows never overlap.
    """
    existing = con.execute("SELECT drop_fingerprint, recorded_at FROM history_weeks WHERE week = ?",
                           [week]).fetchall()
    if not existing or existing[0][0] != fingerprint:
        return None
    recorded_at = existing[0][1]
    later = con.execute("SELECT count(*) FROM history_weeks WHERE week > ?", [week]).fetchall()[0][0]
    decided_since = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ring_triage_log'").fetchall()[0][0] and \
        con.execute("SELECT count(*) FROM ring_triage_log WHERE updated_at > ?", [recorded_at]).fetchall()[0][0]
    return None if decided_since and not later else recorded_at


def report_dir(cfg, week: str) -> Path:
    return Path(cfg.workspace) / "reports" / week


def _refresh_credit_points(cfg, con) -> None:
    """Proposals follow the confirmed rings of this run, so the report counts this week's (docs/credit-points.md)."""
    from ringscope.app.points.service import refresh
    from ringscope.app.points.settings import PointSettings

    refresh(con, cfg.workspace, cfg.app, PointSettings.from_config(cfg.app, cfg.workspace), "weekly")


def run_weekly(
    cfg,
    drop_dir: Path,
    week: str,
    out_dir: Path | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    langs: Sequence[str] = ("zh", "en"),
    mapping_file: Path | None = None,
    explorer_url: str | None = None,
    step: Step | None = None,
) -> WeeklyOutcome:
    """Ingest ``drop_dir``, detect, record the week's history and write its report.

    Holds the workspace lock throughout; raises ``LockHeld`` when another run
    has it, ``IngestError`` for a refused drop, ``StoreUnavailable`` when the
    store cannot be opened.
    """
    from ringscope.app.report.data import DEFAULT_EXPLORER_URL, build_report_data
    from ringscope.app.report.render import write_report
    from ringscope.graph.factory import open_store
    from ringscope.graph.ring_history import WeekRun, previous_week, record_week, week_members
    from ringscope.ingest.mapping import load_mapping

    say = step or (lambda _msg: None)
    week = parse_week(week)
    mapping = load_mapping(mapping_file)
    with WorkspaceLock(cfg.workspace, command=f"weekly {week}"):
        with open_store(cfg.store) as store:
            con = store.relational()
            fingerprint, drop_id = _already_loaded(con, Path(drop_dir), mapping)
            ingested = False
            if drop_id is None:
                say(f"ingest {drop_dir}")
                report = store.ingest_drop(Path(drop_dir), mapping)
                drop_id, ingested = report.drop_id, True
                for warning in report.warnings:
                    say(f"warning: {warning}")
            else:
                say(f"drop already loaded as {drop_id}; not loading it again")
            if store.prepare_paths():  # after a new drop: the explorer's first path question stays fast
                say("path index built")
            say("detect")
            rings, run_id = detect_and_book(cfg, store)
            say("history")
            prev = previous_week(con, week)
            previous = week_members(con, prev) if prev else {}
            rows, lineage, evolution = history_rows(rings, previous, _evolution_settings(cfg))
            recorded_at = triage_window_end(con, week, fingerprint)
            record_week(con, WeekRun(week=week, run_id=run_id, drop_id=drop_id, drop_fingerprint=fingerprint,
                                     previous_week=prev, data_as_of=data_as_of(con)),
                        rows, lineage, recorded_at=recorded_at)
            say("credit points")
            _refresh_credit_points(cfg, con)
            say("report")
            url = explorer_url or cfg.app.get("explorer_url") or DEFAULT_EXPLORER_URL
            data = build_report_data(con, week, explorer_url=url)
            files = write_report(data, out_dir or report_dir(cfg, week), formats, langs)
    return WeeklyOutcome(week=week, previous_week=prev, drop_id=drop_id, ingested=ingested, rings=len(rings),
                         status_counts=evolution.counts(), files=files, run_id=run_id)
