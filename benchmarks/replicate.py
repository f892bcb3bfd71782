"""Scale a labelled drop up by replication, for simulators we cannot run ourselves.

Issue 14 asks for detection quality at 200k patients on every simulator family,
but the outside drops come as 20k-patient folders without their generator.
``replicate_drop(src, dst, copies)`` writes ``copies`` renamed copies of a drop
into one folder, so that a 20k drop becomes a 200k one with ten times the rings:

* **shared**: drugs, and every facility no true ring lists (the same hospitals
  and pharmacies now see ``copies`` times the traffic, as a province's hubs do,
  so chance co-occurrence at busy counters grows the way it does at scale);
  a facility a true ring lists is renamed per copy, because a pharmacy buying
  back boxes from ten copies' sellers would in truth be one ring, not ten;
* **renamed per copy** (prefix ``c<k>-``): every person, card, prescriber,
  employer, agent, device, operator, settlement, claim and address; a phone
  gets the copy as a dialling prefix (``07-138…``: ``c7-`` would break the
  contract's phone rule and ingest would refuse the whole row); and
  each box's trace code (first two digits replaced by the copy number, so codes
  stay 20 digits and never collide across copies); ID numbers are blanked
  (their check digit cannot survive a rename);
* **shifted in time**: copy ``k`` happens ``k`` days and ``k`` × 47 minutes later
  (dates ``k`` days), so copies interleave at the shared facilities instead of
  coinciding to the second, and a gang's copies do not keep the same hour of the
  day at the same counter (which would make ten gangs one, at any scale).

Truth (rings, ring settlements, hard negatives) is renamed the same way; ring ids
get the copy prefix.  The copies never share people, so every true ring stays a
ring of its own copy: what grows is the crowd around it.

Usage::

    python benchmarks/replicate.py /work/shared/datasets/outside-b /tmp/rsdata/outside-b-x10 --copies 10
"""
from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

# Columns renamed per copy (opaque ids and personal contact details), by name in any table.
RENAMED = {"patient_id", "card_id", "prescriber_id", "settlement_id", "claim_id", "employer_id", "agent_id",
           "device_id", "operator_id", "address"}
# Dates and datetimes shifted by the copy's offset in days.
SHIFTED = {"settled_at", "admitted_on", "discharged_on", "death_date", "issued_on", "registered_on", "start_on",
           "end_on", "claimed_on", "delivery_on"}
SHARED_TABLES = {"drugs", "drg_groups"}
TRUTH_ENTITY_RENAMED = {"patient", "card", "prescriber", "employer", "device"}


def _expr(column: str) -> str:
    """SQL for one column of copy ``$copy`` (text in, text out; empty stays empty)."""
    c = f'"{column}"'
    if column == "facility_id":
        return f"CASE WHEN {c} IN (SELECT id FROM ring_facilities) THEN 'c' || $copy || '-' || {c} ELSE {c} END AS {c}"
    if column == "phone":  # a dialling prefix per copy: still a phone number by the contract's rule
        return f"CASE WHEN coalesce({c}, '') = '' THEN {c} ELSE lpad($copy::VARCHAR, 2, '0') || '-' || {c} END AS {c}"
    if column in RENAMED:
        return f"CASE WHEN coalesce({c}, '') = '' THEN {c} ELSE 'c' || $copy || '-' || {c} END AS {c}"
    if column in SHIFTED:
        return (f"CASE WHEN coalesce({c}, '') = '' THEN {c} WHEN length({c}) = 10 "
                f"THEN strftime(CAST({c} AS DATE) + to_days($copy), '%Y-%m-%d') "
                f"ELSE strftime(CAST({c} AS TIMESTAMP) + to_days($copy) + to_minutes($copy * 47), '%Y-%m-%dT%H:%M:%S') "
                f"END AS {c}")
    if column == "trace_code":
        return f"CASE WHEN coalesce({c}, '') = '' THEN {c} ELSE lpad(CAST($copy AS VARCHAR), 2, '0') || {c}[3:] END AS {c}"
    if column == "id_number":
        return f"NULL AS {c}"
    return c


def _truth_entity() -> str:
    return ("CASE WHEN entity_type IN (" + ", ".join(f"'{t}'" for t in sorted(TRUTH_ENTITY_RENAMED))
            + ") OR (entity_type = 'facility' AND entity_id IN (SELECT id FROM ring_facilities))"
            + " THEN 'c' || $copy || '-' || entity_id ELSE entity_id END AS entity_id")


def _copies_sql(source: str, columns: list[str], copies: int, table: str) -> str:
    if table in SHARED_TABLES:
        return f"SELECT * FROM {source}"
    if table == "facilities":  # shared, except the ring facilities: one per copy
        shared = f"SELECT * FROM {source} WHERE facility_id NOT IN (SELECT id FROM ring_facilities)"
        own = ["SELECT " + ", ".join(_expr(c) for c in columns).replace("$copy", str(k))
               + f" FROM {source} WHERE facility_id IN (SELECT id FROM ring_facilities)" for k in range(copies)]
        return " UNION ALL ".join([shared] + own)
    parts = []
    for k in range(copies):
        if table == "truth/rings":
            cols = [f"'c{k}-' || ring_id AS ring_id" if c == "ring_id" else
                    _truth_entity() if c == "entity_id" else f'"{c}"' for c in columns]
        elif table == "truth/ring_settlements":
            cols = [f"'c{k}-' || ring_id AS ring_id" if c == "ring_id" else
                    "'c' || $copy || '-' || txn_id AS txn_id" if c == "txn_id" else f'"{c}"' for c in columns]
        elif table == "truth/hard_negatives":
            cols = [_truth_entity() if c == "entity_id" else f'"{c}"' for c in columns]
        else:
            cols = [_expr(c) for c in columns]
        parts.append("SELECT " + ", ".join(cols).replace("$copy", str(k)) + f" FROM {source}")
    return " UNION ALL ".join(parts)


def replicate_drop(src: Path, dst: Path, copies: int) -> Path:
    """Write ``copies`` renamed, time-shifted copies of the drop ``src`` into ``dst`` (CSV)."""
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "truth").mkdir(exist_ok=True)
    con = duckdb.connect()
    rings_csv = (src / "truth" / "rings.csv").as_posix()
    con.execute(f"CREATE TABLE ring_facilities AS SELECT DISTINCT entity_id AS id FROM read_csv('{rings_csv}', "
                "all_varchar=true, header=true) WHERE entity_type = 'facility'")
    files = sorted(src.glob("*.csv")) + sorted((src / "truth").glob("*.csv"))
    for path in files:
        rel = path.relative_to(src).with_suffix("").as_posix()
        source = f"read_csv('{path.as_posix()}', all_varchar=true, header=true)"
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        out = (dst / rel).with_suffix(".csv")
        con.execute(f"COPY ({_copies_sql(source, columns, copies, rel)}) TO '{out.as_posix()}' (HEADER, DELIMITER ',')")
    con.close()
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--copies", type=int, default=10)
    args = ap.parse_args()
    replicate_drop(args.src, args.dst, args.copies)
    print(f"{args.dst}: {args.copies} copies of {args.src}")


if __name__ == "__main__":
    main()
