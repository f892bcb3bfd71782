"""The annexes: every row behind the summary, as CSV (UTF-8 with BOM) and XLSX.

CSV files carry a byte-order mark so that Excel on Chinese Windows opens
them as UTF-8 (without it Excel assumes GBK and the names break).  Money is
written as plain decimals with two places ("68.60"), exactly what the fund
loss was summed from; the CSV headers are the contract's column names (the
XLSX adds Chinese headers above them, ``workbook``).  Every cell that a spreadsheet would evaluate — one
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP
"CSV injection") — gets a leading apostrophe in the CSV, unless the whole
cell is a plain number such as ``-12.50`` (a number is never a formula, and
``-2+3+cmd|...`` is not a number).  In the XLSX every text is a string cell,
and a text that starts like a formula also carries Excel's "quote prefix",
so it stays text even when someone edits the cell; plain numbers, negative
ones included, are written as numbers.

The XLSX is reproducible: its document properties carry a fixed creation
time, and xlsxwriter stamps its zip entries with a constant date.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from ringscope.app.export import evidence_rows
from ringscope.app.export.case import CaseFile
from ringscope.app.export.drg_annex import COLUMNS as DRG_COLUMNS


@dataclass(frozen=True)
class Annex:
    name: str  # file stem and sheet name
    columns: tuple[str, ...]
    money: frozenset[str]
    rows: Callable[[CaseFile], Iterable[dict[str, Any]]]


MEMBER_COLUMNS = ("type", "id", "role", "name", "id_number", "gender", "birth_date", "region_code", "phone",
                  "address", "kind", "holder_id", "holder_name", "status", "facility_id", "specialty",
                  "registered_on", "agent_id", "n_settlements", "fund_paid", "n_claims", "claims_amount",
                  "loss_involved")


def _member_rows(case: CaseFile):
    for m in case.members:
        yield {**m["details"], "type": m["type"], "id": m["id"], "role": m["role"], "name": m["name"],
               "n_settlements": m["n_settlements"], "fund_paid": m["fund_paid"], "n_claims": m["n_claims"],
               "claims_amount": m["claims_amount"], "loss_involved": m["loss_involved"]}


def _chain_rows(case: CaseFile):
    for ch in case.evidence.trace_chains:
        for seq, o in enumerate(ch["occurrences"], 1):
            yield {"trace_code": ch["trace_code"], "drug_code": ch["drug_code"], "seq": seq,
                   **o, "in_ring": "yes" if o["in_ring"] else "no"}


def _fund_loss_rows(case: CaseFile):
    fl = case.fund_loss
    yield {"level": "total", "type": "", "id": "", "name": "", "count": fl.n_settlements + fl.n_claims,
           "amount": fl.total}
    yield {"level": "settlements", "type": "", "id": "", "name": "", "count": fl.n_settlements,
           "amount": fl.settlements_total}
    yield {"level": "claims", "type": "", "id": "", "name": "", "count": fl.n_claims, "amount": fl.claims_total}
    for g in fl.per_facility:
        yield {"level": "per_facility", "type": g["kind"], "id": g["id"], "name": g["name"] or "", "count": g["n"],
               "amount": g["amount"]}
    for m in fl.per_member:
        yield {"level": "per_member", "type": m["type"], "id": m["id"], "name": m["name"],
               "count": m["n_settlements"] + m["n_claims"], "amount": m["loss_involved"]}


ANNEXES: tuple[Annex, ...] = (
    Annex("members", MEMBER_COLUMNS, frozenset({"fund_paid", "claims_amount", "loss_involved"}), _member_rows),
    Annex("settlements", ("settlement_id", "settled_at", "kind", "card_id", "card_holder_id", "patient_id",
                          "patient_name", "facility_id", "facility_name", "facility_kind", "prescriber_id",
                          "device_id", "operator_id", "admitted_on", "discharged_on", "diagnosis_code", "drg_code",
                          "total_amount", "self_paid", "fund_paid"),
          frozenset({"total_amount", "self_paid", "fund_paid"}), lambda c: c.settlements),
    Annex("dispensings", ("settlement_id", "line_no", "settled_at", "facility_id", "card_id", "drug_code",
                          "drug_name", "quantity", "days_supply", "amount", "trace_code", "trace_code_settlements"),
          frozenset({"amount"}), lambda c: c.dispensings),
    Annex("claims", ("claim_id", "claimed_on", "patient_id", "patient_name", "employer_id", "employer_name",
                     "delivery_on", "salary_base", "amount"),
          frozenset({"salary_base", "amount"}), lambda c: c.claims),
    Annex("evidence", ("evidence_no", "source", "kind", "basis", "n_rows", "text", "text_zh"), frozenset(),
          lambda c: ({"evidence_no": i.no, "source": i.source, "kind": i.kind, "basis": i.basis, "n_rows": len(i.rows),
                      "text": i.text, "text_zh": i.text_zh} for i in c.evidence_items)),
    Annex("evidence_rows", evidence_rows.COLUMNS, frozenset({"amount"}), lambda c: evidence_rows.annex_rows(c.evidence_items)),
    Annex("trace_chains", ("trace_code", "drug_code", "seq", "settlement_id", "line_no", "settled_at",
                           "facility_id", "card_id", "patient_id", "fund_paid", "in_ring"),
          frozenset({"fund_paid"}), _chain_rows),
    Annex("fund_loss", ("level", "type", "id", "name", "count", "amount"), frozenset({"amount"}), _fund_loss_rows),
    Annex("drg_episodes", DRG_COLUMNS, frozenset({"difference", "patient_amount"}), lambda c: c.drg_lines),
    Annex("triage_history", ("changed_at", "changed_by", "from_status", "to_status", "assignee", "note"), frozenset(),
          lambda c: c.triage),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)\Z")


def is_plain_number(text: str) -> bool:
    """A decimal number and nothing else (what a spreadsheet reads as a number, never a formula)."""
    return bool(_PLAIN_NUMBER.match(text))


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` (OWASP's list of leading characters)."""
    return text.startswith(_FORMULA_START) and not is_plain_number(text)


def csv_cell(value: Any) -> str:
    """One CSV cell as a spreadsheet may safely open it (money with two places, formulas neutralised)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def write_csv(annex: Annex, case: CaseFile, out: Path) -> None:
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(annex.columns)
        for row in annex.rows(case):
            writer.writerow([csv_cell(row.get(c)) for c in annex.columns])


def write_xlsx(case: CaseFile, out: Path, title: str, annexes: Iterable[Annex] = ANNEXES) -> None:
    """Every annex as a sheet of one workbook (``workbook``: Chinese headers, typed cells, fitted widths)."""
    from ringscope.app.export.workbook import write_workbook

    write_workbook(out, title, ((a.name, a.columns, a.money, a.rows(case)) for a in annexes), _write_text)


def _write_text(ws: Any, row: int, col: int, text: str, as_text: Any, plain: Any = None) -> None:
    """A text cell: a negative plain number stays a number, a formula-like text is quote-prefixed."""
    if text.startswith("-") and is_plain_number(text):
        ws.write_number(row, col, float(text))
    elif is_formula_like(text):
        ws.write_string(row, col, text, as_text)
    else:
        ws.write_string(row, col, text, plain)


def write_annexes(case: CaseFile, folder: Path, title: str) -> list[Path]:
    """Every annex as CSV, and all of them as sheets of ``annexes.xlsx``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for annex in ANNEXES:
        path = folder / f"{annex.name}.csv"
        write_csv(annex, case, path)
        written.append(path)
    xlsx = folder / "annexes.xlsx"
    write_xlsx(case, xlsx, title)
    written.append(xlsx)
    return written
