"""Every physical line of a CSV file is stored, rejected, or the drop refused.

A CSV parser that meets a quote which never closes reads the rest of the
file as one value; it then rejects one record and the lines after it vanish
without a word (issue 17).  So lines are counted here, independently of the
parser, from the raw bytes, and compared with what staging accounted for:
the header, every staged record (plus the line breaks inside its quoted
values), every rejected record, and the blank lines the parser skips.  When
the two disagree the drop is refused, naming the line where the loss begins.
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ringscope.ingest.errors import IngestError

CHUNK = 1 << 24
_BLANK_NEXT = re.compile(rb"\n(?=\r?\n)")  # a line break followed by an empty line


def _blank_end(window: bytes, start: int) -> int:
    return start + (2 if window[start + 1] == 0x0D else 1)


def count_lines(path: Path) -> tuple[int, int]:
    """(physical lines, blank lines) of a file; a last line without a line break counts."""
    lines = blanks = 0
    tail = b""
    last = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            lines += chunk.count(b"\n")
            window = tail + chunk
            # each blank line is counted once, in the chunk holding the line break that ends it
            blanks += sum(1 for m in _BLANK_NEXT.finditer(window) if _blank_end(window, m.start()) >= len(tail))
            tail, last = window[-2:], chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return lines, blanks


def cell_line_breaks(con: duckdb.DuckDBPyConnection, read_csv_sql: str, params: list, n_columns: int) -> tuple[int, int]:
    """(line breaks inside quoted values, blank physical lines among them) over a file's good records.

    Only run when the quick count disagrees (multi-line values, or lost lines),
    since it reads the file a second time.
    """
    nl = " + ".join(f"coalesce(length(_c{i}) - length(replace(_c{i}, chr(10), '')), 0)" for i in range(n_columns))
    blank = " + ".join(
        f"coalesce(list_count(list_filter(string_split(_c{i}, chr(10))[2:-2], lambda x: x = '' OR x = chr(13))), 0)"
        for i in range(n_columns)
    )
    breaks, blanks = con.execute(
        f"SELECT coalesce(sum({nl}), 0), coalesce(sum({blank}), 0) FROM {read_csv_sql}", params).fetchall()[0]
    return int(breaks), int(blanks)


def refuse_lost_lines(file: str, physical: int, accounted: int, swallowed: tuple[int, str] | None) -> None:
    """Raise the refusal: where the loss starts when a rejected record swallowed lines, else the counts."""
    if swallowed is not None:
        line, column = swallowed
        raise IngestError(
            file,
            f"a quote opened here never closes properly, so the value runs on over the lines after it: "
            f"{max(physical - accounted, 1)} of the file's {physical} lines would be lost; "
            "fix the quote and send the file again (nothing was stored)",
            line=line, column=column or None,
        )
    raise IngestError(
        file,
        f"the file has {physical} lines but only {accounted} were read as header, records or blank lines; "
        "refusing rather than losing the rest (nothing was stored)",
    )
