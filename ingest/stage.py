"""Stage a drop's files into DuckDB temp tables of text, with line numbers.

Every cell is read as text (``all_varchar``) so that nothing is guessed or
silently coerced: IDs keep their leading zeros, and each value is validated
by the contract's rules afterwards.  Records that are not even CSV (wrong
number of fields, broken quoting) are caught by DuckDB's reject store and
reported with their line.

Line numbers count CSV records with the header as line 1; they equal the
physical line unless an earlier quoted field spans several lines.
"""
from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ringscope.ingest.contract import TABLES, TableSpec
from ringscope.ingest.encoding import detect_encoding, to_utf8
from ringscope.ingest.errors import IngestError
from ringscope.ingest.lines import cell_line_breaks, count_lines, refuse_lost_lines
from ringscope.ingest.mapping import HeaderMapping
from ringscope.ingest.validate_sql import as_text, q

# The widest contract table has 16 columns; a source may add extras, but a
# header of thousands of columns is a broken export, and reading it would take
# minutes and gigabytes before failing.  Refused on the header alone.
MAX_HEADER_COLUMNS = 1000
# Addresses may hold a line break or two; a value over this many lines is a runaway quote.
MAX_VALUE_LINES = 20


@dataclass
class StagedTable:
    spec: TableSpec
    file: str  # the file's name as the user knows it
    path: Path
    encoding: str
    columns: tuple[str, ...]  # contract columns present in the file
    extras: tuple[str, ...]  # non-contract headers, kept in _extra
    rows: int = 0
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, reason)
    rejects_applied: int = 0  # rejects already removed from the typed table

    @property
    def stage_table(self) -> str:
        return f"stg_{self.spec.name}"


def locate_files(drop_dir: Path, mapping: HeaderMapping) -> dict[str, Path]:
    """The contract tables present in a drop folder (absent tables are fine)."""
    if not drop_dir.is_dir():
        raise IngestError(str(drop_dir), "drop folder not found")
    found: dict[str, Path] = {}
    for name in TABLES:
        custom = mapping.for_table(name).file
        candidates = [drop_dir / custom] if custom else [drop_dir / f"{name}.csv", drop_dir / f"{name}.parquet"]
        present = [p for p in candidates if p.is_file()]
        if custom and not present:
            raise IngestError(custom, f"the mapping names this file for {name}, but it is not in the drop")
        if len(present) > 1:
            raise IngestError(present[0].name, f"both {name}.csv and {name}.parquet are present; keep one")
        if present:
            found[name] = present[0]
    if not found:
        raise IngestError(str(drop_dir), "no contract table files (e.g. settlements.csv) in this folder")
    return found


TABLE_SUFFIXES = (".csv", ".parquet")


def skipped_files(drop_dir: Path, used: dict[str, Path]) -> list[str]:
    """One warning per entry of the drop folder that is not loaded and may have been meant to be.

    A table file named a little wrong (``settlement.csv``, ``Cards.CSV``) or a
    symbolic link that loops or dangles would otherwise be skipped without a
    word, and a weekly run would quietly load less than was sent.
    """
    taken = {p.name for p in used.values()}
    warnings = []
    for entry in sorted(drop_dir.iterdir(), key=lambda p: p.name):
        if entry.name in taken:
            continue
        if entry.is_symlink() and not entry.exists():
            warnings.append(f"{entry.name}: skipped: a symbolic link that loops or points nowhere")
        elif entry.is_file() and entry.suffix.lower() in TABLE_SUFFIXES:
            close = difflib.get_close_matches(entry.stem.lower(), list(TABLES), n=1, cutoff=0.8)
            if close:
                warnings.append(f"{entry.name}: skipped: looks like the {close[0]} table; "
                                f"name it {close[0]}{entry.suffix.lower()}")
            else:
                warnings.append(f"{entry.name}: skipped: not a contract table name ({', '.join(TABLES)})")
    return warnings


def _refuse_wide(name: str, n: int) -> None:
    if n > MAX_HEADER_COLUMNS:
        raise IngestError(name, f"the header has {n} columns, more than the {MAX_HEADER_COLUMNS} RingScope reads; "
                                "is this the right file, exported with the right delimiter?", line=1)


def _header(con: duckdb.DuckDBPyConnection, path: Path, parquet: bool, name: str) -> tuple[list[str], list[str]]:
    """The file's column names and, for Parquet, their types (CSV: all text)."""
    if parquet:
        # the schema's leaf count first: reading a 300k-column schema fully is what takes minutes
        _refuse_wide(name, con.execute("SELECT count(*) - 1 FROM parquet_schema(?)", [str(path)]).fetchall()[0][0])
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        return [d[0] for d in described], [str(d[1]) for d in described]
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            names = next(csv.reader(fh))
        except StopIteration:
            raise IngestError(name, "the file is empty: a header row is required", line=1) from None
        except csv.Error as exc:
            raise IngestError(name, f"the header row is not valid CSV: {exc}", line=1) from None
    _refuse_wide(name, len(names))
    return names, ["VARCHAR"] * len(names)


def stage_file(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    path: Path,
    mapping: HeaderMapping,
    scratch_dir: Path,
) -> StagedTable:
    """Load one file into ``stg_<table>``: ``_line``, contract columns, ``_extra``."""
    parquet = path.suffix.lower() == ".parquet"
    encoding = "parquet" if parquet else detect_encoding(path)
    readable = path if parquet else to_utf8(path, encoding, scratch_dir)
    try:
        headers, types = _header(con, readable, parquet, path.name)
    except duckdb.Error as exc:
        raise IngestError(path.name, f"cannot be read as {'Parquet' if parquet else 'CSV'}: {str(exc).splitlines()[0]}") from None

    rename = mapping.for_table(spec.name).columns
    # Source headers never enter SQL text: column i is read under the safe name
    # _c{i} (CSV: the `columns` parameter; Parquet: positional #i), and extra
    # headers reach json_object only as bound parameters.
    mapped: dict[str, int] = {}  # contract name -> position in the file
    extras: list[tuple[int, str]] = []
    for i, h in enumerate(headers):
        target = rename.get(h, h.strip().lstrip("\ufeff"))
        if target in spec.column_names:
            if target in mapped:
                raise IngestError(path.name, f"column {target} appears twice in the header", line=1, column=target)
            mapped[target] = i
        else:
            extras.append((i, h))
    missing = [c for c in spec.required if c not in mapped]
    if missing:
        raise IngestError(
            path.name, f"required column(s) missing from the header: {', '.join(missing)}", line=1, column=missing[0]
        )

    ref = (lambda i: f"#{i + 1}") if parquet else (lambda i: f"_c{i}")
    select = [f"{as_text(ref(i), types[i])} AS {q(dst)}" for dst, i in mapped.items()]
    params: list = []
    if extras:
        pairs = ", ".join(f"?, {as_text(ref(i), types[i])}" for i, _h in extras)
        params = [h for _i, h in extras]
        select.append(f"CAST(json_object({pairs}) AS VARCHAR) AS _extra")
    else:
        select.append("CAST(NULL AS VARCHAR) AS _extra")
    cols = ", ".join(select)
    staged = StagedTable(spec, path.name, path, encoding, tuple(mapped), tuple(h for _i, h in extras))
    target = q(staged.stage_table)
    con.execute(f"DROP TABLE IF EXISTS {target}")
    if parquet:
        # Positional references count the projected columns, so project the file's own first.
        con.execute(
            f"CREATE TEMP TABLE {target} AS SELECT _row + 1 AS _line, {cols} "
            "FROM (SELECT *, file_row_number AS _row FROM read_parquet(?, file_row_number = true))",
            [*params, str(readable)],
        )
    else:
        _stage_csv(con, staged, readable, cols, headers, params)
    staged.rows = con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    return staged


def _stage_csv(
    con: duckdb.DuckDBPyConnection, staged: StagedTable, readable: Path, cols: str, headers: list[str], params: list
) -> None:
    target = q(staged.stage_table)
    con.execute("DROP TABLE IF EXISTS _csv_rejects; DROP TABLE IF EXISTS _csv_scans")
    columns = {f"_c{i}": "VARCHAR" for i in range(len(headers))}
    # The window keeps file order (insertion order is preserved), giving record numbers.
    con.execute(
        f"CREATE TEMP TABLE {target} AS SELECT row_number() OVER () + 1 AS _line, {cols} "
        f"FROM {_read_csv_sql(_KEEP_REJECTS)}",
        [*params, str(readable), columns],
    )
    bad = con.execute(
        "SELECT line, coalesce(column_name, ''), error_type, error_message, csv_line FROM _csv_rejects ORDER BY line"
    ).fetchall()
    seen: set[int] = set()
    swallowed: tuple[int, str] | None = None
    for line, column, etype, message, text in bad:
        if line in seen:
            continue
        seen.add(line)
        if column.startswith("_c") and column[2:].isdigit() and int(column[2:]) < len(headers):
            column = headers[int(column[2:])]  # back to the file's own header
        staged.malformed.append((int(line), column, f"malformed CSV record ({etype.lower()}): {message}"))
        # a rejected record over several lines takes them with it (DuckDB's text may start with blank lines)
        if "\n" in (text or "").strip("\r\n") and swallowed is None:
            swallowed = (int(line), column)
    staged.rows = con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    _account_for_every_line(con, staged, readable, headers, swallowed)
    if not seen:
        return
    # Records DuckDB skipped shift later line numbers: line = record + 1 + skipped-before.
    con.execute("CREATE OR REPLACE TEMP TABLE _skips(k BIGINT, rec_from BIGINT)")
    con.executemany("INSERT INTO _skips VALUES (?, ?)", [[k + 1, ln - (k + 1)] for k, ln in enumerate(sorted(seen))])
    con.execute("INSERT INTO _skips VALUES (0, 0)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT r._line + s.k AS _line, r.* EXCLUDE (_line) "
        f"FROM {target} r ASOF JOIN _skips s ON r._line - 1 >= s.rec_from"
    )


_KEEP_REJECTS = "store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans'"


def _read_csv_sql(extra: str = "") -> str:
    """The one way a drop's CSV is read: every cell text, nothing guessed (parameters: path, columns)."""
    return ("read_csv(?, columns = ?, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"max_line_size = 10000000{', ' + extra if extra else ''})")


def _account_for_every_line(
    con: duckdb.DuckDBPyConnection, staged: StagedTable, readable: Path, headers: list[str],
    swallowed: tuple[int, str] | None,
) -> None:
    """Refuse the drop unless every physical line is the header, a record (stored or
    rejected), a line break inside a quoted value, or a blank line."""
    physical, blanks = count_lines(readable)
    accounted = 1 + sum(h.count("\n") for h in headers) + staged.rows + len(staged.malformed) + blanks
    if accounted != physical and swallowed is None:
        # multi-line quoted values: count their line breaks (a second read, only for such files)
        breaks, blank_inside = cell_line_breaks(
            con, _read_csv_sql("ignore_errors = true"), [str(readable), {f"_c{i}": "VARCHAR" for i in range(len(headers))}],
            len(headers),
        )
        accounted += breaks - blank_inside
        _refuse_runaway_value(con, staged)
    if accounted != physical or swallowed is not None:
        refuse_lost_lines(staged.file, physical, accounted, swallowed)


def _refuse_runaway_value(con: duckdb.DuckDBPyConnection, staged: StagedTable) -> None:
    """A quote that closes hundreds of lines later turns those records into one value
    that is "stored" yet lost; no contract column holds more than a few lines."""
    spans = [f"{{'col': '{c}', 'n': length({q(c)}) - length(replace({q(c)}, chr(10), ''))}}" for c in staged.columns]
    if not spans:
        return
    found = con.execute(
        f"SELECT _line, u.col, u.n FROM (SELECT _line, unnest([{', '.join(spans)}]) AS u FROM {q(staged.stage_table)}) "
        "WHERE u.n >= ? ORDER BY _line LIMIT 1", [MAX_VALUE_LINES]).fetchall()
    if found:
        line, column, breaks = found[0]
        raise IngestError(staged.file, f"a quoted value runs over {breaks + 1} lines (at most {MAX_VALUE_LINES} are "
                                       "accepted): a quote probably closes far later than it should; fix it and "
                                       "send the file again (nothing was stored)", line=int(line), column=column)
