"""The DRG case book: each detection run's DRG payment cases, next to the ring book.

DRG findings are cases of one institution, not rings (contract 1.1, ``drg_cases``), so they
get their own two plain tables in the workspace DuckDB file; the explorer, the weekly report
and the referral package read the latest run from here, beside the rings of the same run.

``drg_book_cases``
    ``run_id``, ``case_id``, ``violation``, ``facility_id``, ``patient_id``, ``score``,
    ``fund_loss`` (DECIMAL(18,2)), ``evidence`` (JSON list of ``kind``/``text``/``text_zh``).
``drg_book_lines``
    ``run_id``, ``case_id``, ``settlement_id``, ``loss`` (DECIMAL(18,2)), ``paid_group``,
    ``expected_group``, ``note``: the Detailed Rules' transaction-by-transaction loss;
    ``patient_amount`` (DECIMAL(18,2)): what the line shifted to the patient (not a fund loss).

Cases arrive as the contract's JSON dicts (``DrgCase.to_json()``), so this module needs
nothing from ``analytics``.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import duckdb

TABLES = ("drg_book_cases", "drg_book_lines")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS drg_book_cases (run_id VARCHAR, case_id VARCHAR, violation VARCHAR, "
                "facility_id VARCHAR, patient_id VARCHAR, score DOUBLE, fund_loss DECIMAL(18,2), evidence VARCHAR, "
                "recorded_at TIMESTAMPTZ DEFAULT now())")
    con.execute("CREATE TABLE IF NOT EXISTS drg_book_lines (run_id VARCHAR, case_id VARCHAR, settlement_id VARCHAR, "
                "loss DECIMAL(18,2), paid_group VARCHAR, expected_group VARCHAR, note VARCHAR)")
    # books written before cost shifting to the patient was screened gain the column (0 for their lines)
    con.execute("ALTER TABLE drg_book_lines ADD COLUMN IF NOT EXISTS patient_amount DECIMAL(18,2) DEFAULT 0")


def record_drg_cases(con: duckdb.DuckDBPyConnection, run_id: str, cases: list[dict[str, Any]]) -> None:
    """Store one run's cases (replacing that run's, if recorded before), in one transaction."""
    ensure_schema(con)
    con.execute("BEGIN TRANSACTION")
    try:
        for table in TABLES:
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])  # table names from TABLES only
        case_rows = [[run_id, c["case_id"], c["violation"], c["facility_id"], c.get("patient_id"), c["score"],
                      str(c["fund_loss"]), json.dumps(c.get("evidence", []), ensure_ascii=False)] for c in cases]
        line_rows = [[run_id, c["case_id"], line["settlement_id"], str(line["loss"]), line.get("paid_group"),
                      line.get("expected_group"), line.get("note", ""), str(line.get("patient_amount") or 0)]
                     for c in cases for line in c.get("loss_lines", [])]
        if case_rows:  # executemany refuses an empty list
            con.executemany(
            "INSERT INTO drg_book_cases (run_id, case_id, violation, facility_id, patient_id, score, fund_loss, evidence) "
            "VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(18,2)), ?)", case_rows)
        if line_rows:
            con.executemany(
                "INSERT INTO drg_book_lines (run_id, case_id, settlement_id, loss, paid_group, expected_group, note, "
                "patient_amount) VALUES (?, ?, ?, CAST(? AS DECIMAL(18,2)), ?, ?, ?, CAST(? AS DECIMAL(18,2)))",
                line_rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'drg_book_cases'").fetchone()
    return bool(row and row[0])


def _has_patient_column(con: duckdb.DuckDBPyConnection) -> bool:
    """A read-only store opened on an older book has no ``patient_amount`` column (read it as 0)."""
    row = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'drg_book_lines' "
                      "AND column_name = 'patient_amount'").fetchone()
    return bool(row and row[0])


def latest_drg_cases(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]] | None:
    """The most recently recorded run's cases as contract dicts (None: no DRG case book in this store)."""
    if not _exists(con):
        return None
    run_id = latest_drg_run(con)
    return [] if run_id is None else drg_cases_for_run(con, run_id)


def latest_drg_run(con: duckdb.DuckDBPyConnection) -> str | None:
    """The detection run whose DRG cases were recorded last (None: none recorded)."""
    if not _exists(con):
        return None
    rows = con.execute("SELECT run_id FROM drg_book_cases ORDER BY recorded_at DESC LIMIT 1").fetchall()
    return rows[0][0] if rows else None


def drg_cases_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """The cases one detection run recorded (the weekly report reads its week's run)."""
    if not _exists(con):
        return []
    lines: dict[str, list[dict[str, Any]]] = {}
    has_patient = _has_patient_column(con)
    for case_id, sid, loss, paid, expected, note, patient_amount in con.execute(
            "SELECT case_id, settlement_id, loss, paid_group, expected_group, note, "
            + ("patient_amount" if has_patient else "0") + " FROM drg_book_lines "
            "WHERE run_id = ? ORDER BY case_id, settlement_id", [run_id]).fetchall():
        lines.setdefault(case_id, []).append({"settlement_id": sid, "loss": Decimal(loss), "paid_group": paid,
                                              "expected_group": expected, "note": note,
                                              "patient_amount": Decimal(patient_amount or 0)})
    cases = []
    for case_id, violation, facility, patient, score, fund_loss, evidence in con.execute(
            "SELECT case_id, violation, facility_id, patient_id, score, fund_loss, evidence FROM drg_book_cases "
            "WHERE run_id = ? ORDER BY score DESC, fund_loss DESC, case_id", [run_id]).fetchall():
        own = lines.get(case_id, [])
        cases.append({"case_id": case_id, "violation": violation, "facility_id": facility, "patient_id": patient,
                      "score": score, "fund_loss": Decimal(fund_loss), "evidence": json.loads(evidence or "[]"),
                      "settlement_ids": [line["settlement_id"] for line in own], "loss_lines": own})
    return cases
