"""The audit log's hash chain: how a deleted, changed or inserted line is noticed.

Each record carries ``seq`` (its line number, from 1) and ``prev`` (the
SHA-256 of the previous line's bytes; 64 zeros for the first).  Changing any
line changes its hash, which no longer matches the next line's ``prev``;
deleting a line leaves a gap in ``seq``.  Only the last line has no
successor to vouch for it, so its hash (the *head*) is also kept elsewhere:

* ``audit/audit.head`` (``seq hash``), rewritten with every record;
* every referral package's ``bag-info.txt`` (``Audit-Log-Head``), which
  leaves the building with the package;
* the store, table ``audit_anchor`` (written by ``ringscope audit verify``
  and by every triage change), which a user editing text files does not
  silently rewrite.

Someone who can write the log can still rewrite *all* of it and every copy
of the head; the chain makes that a deliberate forgery across several
places rather than a silent one-line edit, and any package or anchor
recorded before the forgery exposes it (docs/security.md).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
HEAD_FILE = "audit.head"
ANCHOR_DDL = "CREATE TABLE IF NOT EXISTS audit_anchor (seq BIGINT, head VARCHAR, anchored_at TIMESTAMPTZ)"


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def read_last_line(fd: int) -> tuple[int, bytes]:
    """The last record's ``seq`` and bytes (``(0, b"")`` for an empty log); reads backwards from the end."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return 0, b""
    block, tail = 1 << 16, b""
    pos = size
    while pos > 0:
        step = min(block, pos)
        pos -= step
        tail = os.pread(fd, step, pos) + tail
        if tail.rstrip(b"\n").count(b"\n") >= 1:
            break
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        seq = int(json.loads(last).get("seq", 0))
    except (ValueError, AttributeError):
        seq = 0
    if seq <= 0:  # a log written before the chain: count its lines once
        seq = _count_lines(fd)
    return seq, last


def _count_lines(fd: int) -> int:
    count, pos = 0, 0
    while chunk := os.pread(fd, 1 << 20, pos):
        count += chunk.count(b"\n")
        pos += len(chunk)
    return count


def write_head(path: Path, seq: int, head: str) -> None:
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"{seq} {head}\n")
    os.replace(partial, path)


def read_head(path: Path) -> tuple[int, str] | None:
    try:
        seq, head = path.read_text(encoding="ascii").split()
        return int(seq), head
    except (OSError, ValueError):
        return None


@dataclass
class ChainReport:
    records: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    heads: dict[int, str] = field(default_factory=dict)  # seq -> hash of that line

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(log: Path) -> ChainReport:
    """Walk the log and name every line whose ``seq`` or ``prev`` does not follow from the one before."""
    report = ChainReport()
    if not log.exists():
        return report
    prev_hash, expected_seq = GENESIS, 1
    with open(log, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            line = raw.rstrip(b"\n")
            event = _parse(line, number, report)
            if event is not None and "seq" in event:
                if event.get("seq") != expected_seq:
                    report.problems.append(f"line {number}: seq {event.get('seq')} where {expected_seq} was due "
                                           "(a line deleted or inserted before it)")
                if event.get("prev") != prev_hash:
                    report.problems.append(f"line {number}: does not follow from line {number - 1} "
                                           "(that line was changed, deleted or inserted)")
            seq = event["seq"] if event is not None and isinstance(event.get("seq"), int) else number
            prev_hash, expected_seq = line_hash(line), seq + 1
            report.heads[seq] = prev_hash
            report.records = seq
    report.head = prev_hash
    head = read_head(log.parent / HEAD_FILE)
    if head is not None and head != (report.records, report.head):
        report.problems.append(f"{HEAD_FILE} names record {head[0]} with hash {head[1][:16]}…, but the log ends at "
                               f"record {report.records} with {report.head[:16]}… (last lines removed or changed)")
    return report


def _parse(line: bytes, number: int, report: ChainReport) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except ValueError:
        report.problems.append(f"line {number}: not a JSON record")
        return None
    return event if isinstance(event, dict) else None


def check_anchor(report: ChainReport, seq: int, head: str, where: str) -> None:
    """A head recorded elsewhere (store, package) must still be the hash of that record."""
    if report.heads.get(seq) != head:
        report.problems.append(f"{where}: names record {seq} with hash {head[:16]}…, which the log "
                               f"{'no longer holds' if seq not in report.heads else 'holds with another hash'}")


def anchor(con: Any, seq: int, head: str) -> None:
    """Keep a head in the store (DuckDB catalogue) so that it outlives a rewrite of the text files."""
    con.execute(ANCHOR_DDL)
    con.execute("INSERT INTO audit_anchor VALUES (?, ?, now())", [seq, head])


def stored_anchors(con: Any) -> list[tuple[int, str]]:
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit_anchor'").fetchone()
    if not exists or not exists[0]:
        return []
    return [(int(s), str(h)) for s, h in con.execute("SELECT seq, head FROM audit_anchor ORDER BY seq").fetchall()]


def current_head(workspace: Path | str) -> tuple[int, str]:
    """``(seq, hash)`` of the log's last record, ``(0, GENESIS)`` when there is none."""
    log = Path(workspace) / "audit" / "audit.jsonl"
    if not log.exists():
        return 0, GENESIS
    fd = os.open(log, os.O_RDONLY)
    try:
        seq, last = read_last_line(fd)
    finally:
        os.close(fd)
    return (seq, line_hash(last)) if last else (0, GENESIS)
