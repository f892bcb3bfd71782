"""Reading tip-offs from a file: one JSON tip, a JSON list, or a CSV of many.

JSON: an object (or a list of objects, or ``{"tips": [...]}``) with
``received_at``, ``channel``, ``text``, ``entities`` (a list of
``{"type", "value"}``) and optionally ``contact`` and ``tip_ref`` (the
channel's own reference); other keys are kept as given.  CSV (UTF-8, with or
without BOM): columns ``received_at, channel, text`` and optionally
``contact, tip_ref`` and one column per entity type (patient, card, ...,
address), several values in one cell separated by ``;``.

Every tip of a file is checked before any is stored; the first problem is
reported as file, line, column and reason (``TipFileError``), and nothing
of that file is stored.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ringscope.ingest.errors import IngestError
from ringscope.ingest.rules import id_number_problem

CST = timezone(timedelta(hours=8))
ENTITY_TYPES: tuple[str, ...] = ("patient", "card", "facility", "prescriber", "employer", "id_number", "phone",
                                 "name", "address")
HASHED_TYPES = frozenset({"id_number", "phone"})  # stored only as a keyed hash and a mask
REQUIRED = ("received_at", "channel", "text")
OPTIONAL = ("contact", "tip_ref")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
MAX_TEXT = 20_000


class TipFileError(IngestError):
    """A tip file that cannot be stored; names file, line, column and reason."""


@dataclass(frozen=True)
class TipEntity:
    type: str
    value: str


@dataclass(frozen=True)
class TipInput:
    received_at: datetime
    channel: str
    text: str
    entities: tuple[TipEntity, ...]
    contact: str = ""
    tip_ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    line: int = 0  # where in the file the tip starts


def read_tip_file(path: Path) -> list[TipInput]:
    """Every tip of ``path`` (by its suffix: .json or .csv), or a :class:`TipFileError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TipFileError(str(path), "file not found") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TipFileError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        tips = _read_json(str(path), text)
    elif suffix == ".csv":
        tips = _read_csv(str(path), text)
    else:
        raise TipFileError(str(path), "a tip file is .json or .csv")
    if not tips:
        raise TipFileError(str(path), "no tip in the file")
    return tips


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _read_json(file: str, text: str) -> list[TipInput]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TipFileError(file, f"not valid JSON: {exc.msg}", exc.lineno, str(exc.colno)) from None
    items = doc.get("tips") if isinstance(doc, dict) and "tips" in doc else doc
    items = items if isinstance(items, list) else [items]
    starts = _object_starts(text)
    tips = []
    for i, item in enumerate(items):
        start = starts[i] if i < len(starts) else 0
        if not isinstance(item, dict):
            line, col = _line_col(text, start)
            raise TipFileError(file, f"tip {i + 1} is not a JSON object", line, str(col))
        tips.append(_tip_from_json(file, text, start, i + 1, item))
    return tips


def _object_starts(text: str) -> list[int]:
    """Offsets of the tip objects: the document itself, or each element of its list."""
    stripped = text.lstrip()
    base = len(text) - len(stripped)
    if stripped.startswith("{") and '"tips"' not in stripped[:200]:
        return [base]
    opening = text.find("[")
    decoder, starts, pos = json.JSONDecoder(), [], opening + 1
    while 0 < pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        starts.append(pos)
        _, pos = decoder.raw_decode(text, pos)
    return starts


def _key_position(text: str, start: int, key: str) -> tuple[int, int]:
    found = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, start)
    return _line_col(text, found.start() if found else start)


def _tip_from_json(file: str, text: str, start: int, n: int, item: dict[str, Any]) -> TipInput:
    def fail(key: str, reason: str) -> TipFileError:
        line, col = _key_position(text, start, key) if key in item else _line_col(text, start)
        return TipFileError(file, f"tip {n}: {reason}", line, f"{col} ({key})")

    missing = [k for k in REQUIRED + ("entities",) if k not in item]
    if missing:
        raise fail(missing[0], f"missing key {missing[0]!r}")
    entities_raw = item["entities"]
    if not isinstance(entities_raw, list):
        raise fail("entities", "'entities' must be a list of {\"type\", \"value\"} objects")
    entities = []
    for j, e in enumerate(entities_raw, 1):
        if not isinstance(e, dict) or "type" not in e or "value" not in e:
            raise fail("entities", f"entity {j} needs \"type\" and \"value\"")
        problem = entity_problem(str(e["type"]), e["value"])
        if problem:
            raise fail("entities", f"entity {j}: {problem}")
        entities.append(TipEntity(str(e["type"]), str(e["value"]).strip()))
    values = {k: item.get(k) for k in REQUIRED + OPTIONAL}
    for key in REQUIRED + OPTIONAL:
        problem = field_problem(key, values[key])
        if problem:
            raise fail(key, problem)
    extra = {k: v for k, v in item.items() if k not in REQUIRED + OPTIONAL + ("entities",)}
    return _tip(values, tuple(entities), extra, _line_col(text, start)[0])


def _read_csv(file: str, text: str) -> list[TipInput]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise TipFileError(file, "empty CSV (no header row)") from None
    except csv.Error as exc:
        raise TipFileError(file, f"not valid CSV: {exc}", 1) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TipFileError(file, f"missing column {missing[0]!r} (columns: {', '.join(REQUIRED)}, "
                                 f"optional {', '.join(OPTIONAL + ENTITY_TYPES)})", 1)
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL + ENTITY_TYPES and not c.startswith("x_")]
    if unknown:
        raise TipFileError(file, f"unknown column {unknown[0]!r} (extra columns start with x_)", 1, unknown[0])
    tips = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise TipFileError(file, f"{len(row)} cells where the header has {len(header)}", line)
            tips.append(_tip_from_row(file, line, dict(zip(header, row))))
    except csv.Error as exc:
        raise TipFileError(file, f"not valid CSV: {exc}", reader.line_num) from None
    return tips


def _tip_from_row(file: str, line: int, row: dict[str, str]) -> TipInput:
    values: dict[str, Any] = {k: (row.get(k) or "").strip() or None for k in REQUIRED + OPTIONAL}
    for key in REQUIRED + OPTIONAL:
        problem = field_problem(key, values[key])
        if problem:
            raise TipFileError(file, problem, line, key)
    entities = []
    for kind in ENTITY_TYPES:
        for value in (row.get(kind) or "").split(";"):
            if value.strip():
                problem = entity_problem(kind, value)
                if problem:
                    raise TipFileError(file, problem, line, kind)
                entities.append(TipEntity(kind, value.strip()))
    extra = {k: v for k, v in row.items() if k.startswith("x_") and v}
    return _tip(values, tuple(entities), extra, line)


def _tip(values: dict[str, Any], entities: tuple[TipEntity, ...], extra: dict[str, Any], line: int) -> TipInput:
    return TipInput(received_at=parse_received_at(str(values["received_at"])), channel=str(values["channel"]).strip(),
                    text=str(values["text"]).strip(), entities=entities, contact=str(values.get("contact") or "").strip(),
                    tip_ref=str(values.get("tip_ref") or "").strip(), extra=extra, line=line)


def parse_received_at(value: str) -> datetime:
    """ISO date-time; without an offset it is China Standard Time (data contract convention)."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CST)


def field_problem(key: str, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"{key} is empty" if key in REQUIRED else None
    if not isinstance(value, str):
        return f"{key} must be text, not {type(value).__name__}"
    if key == "received_at":
        try:
            when = parse_received_at(value)
        except ValueError:
            return f"received_at {value!r} is not a date-time (YYYY-MM-DDTHH:MM:SS, optional offset)"
        if when > datetime.now(CST) + timedelta(days=1):
            return f"received_at {value!r} is in the future"
    if key == "text" and len(value) > MAX_TEXT:
        return f"text is longer than {MAX_TEXT} characters"
    return None


def entity_problem(kind: str, value: Any) -> str | None:
    """Why a named entity cannot be used, or None."""
    if kind not in ENTITY_TYPES:
        return f"entity type {kind!r} is not one of {', '.join(ENTITY_TYPES)}"
    if not isinstance(value, (str, int)) or not str(value).strip():
        return f"{kind} value is empty"
    text = str(value).strip()
    if kind == "id_number":
        problem = id_number_problem(text)
        return f"id_number {text[:4]}…: {problem}" if problem else None
    if kind == "phone" and not _PHONE.match(text):
        return "phone must be digits (optionally +, spaces, dashes), 5 to 20 characters"
    return None
