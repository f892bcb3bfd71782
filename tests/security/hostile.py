"""A hostile drop: a generated drop with attack payloads in every text column and in some ids.

Free-text columns (names, addresses, specialties, drug names, diagnosis codes, ...) get a payload
prepended, cycling through :data:`PAYLOADS`; a few ids are renamed everywhere they occur (so the
drop stays consistent) to hostile ids, one of them 600 characters long.  What the tests then ask:
nothing runs (no script, no formula), nothing leaks (masked outputs hold no personal value in
clear) and nothing is lost (every row stored or rejected with a reason).
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

XSS_FLAG = "__ringscope_xss"
PAYLOADS = (
    "\"quoted\" 'single' `back`",
    "'}) DETACH DELETE n //",
    "\"}) MATCH (n) DETACH DELETE n //",
    f"<script>window.{XSS_FLAG}=1</script>",
    f"<img src=x onerror=\"window.{XSS_FLAG}=2\">",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "-2+3+cmd|' /C calc'!A0",
    "+1+1", "@SUM(1)",
    "../../../etc/passwd",
    "\u202egnp.exe",  # right-to-left override
    "'; DROP TABLE patients; --",
    "{{7*7}} ${7*7}",
)
# Columns left alone: ids (renamed separately), codes with a contract format, numbers, dates, choices.
FREE_TEXT = {
    "patients": ("name", "address"),
    "facilities": ("name",),
    "prescribers": ("name", "specialty"),
    "drugs": ("name", "category"),
    "employers": ("name", "address"),
    "settlements": ("diagnosis_code",),
    # drg_code refers to drg_groups once a drop carries that catalogue (contract 1.1): the payload goes
    # into the group's name instead, so DRG text still travels through every output
    "drg_groups": ("name",),
}
LONG_ID = "L" + "0123456789" * 60  # 601 characters


def hostile_ids(drop: Path) -> dict[str, str]:
    """Old id -> hostile id, for ring members (from truth/rings.csv): patients, a facility, a prescriber."""
    with open(drop / "truth" / "rings.csv", encoding="utf-8", newline="") as fh:
        members = list(csv.DictReader(fh))

    def pick(scheme: str, kind: str, n: int) -> list[str]:
        found = list(dict.fromkeys(m["entity_id"] for m in members
                                   if m["scheme"] == scheme and m["entity_type"] == kind))
        return found[:n]

    patients = pick("trace_resale", "patient", 4)
    return {
        patients[0]: f"P<script>window.{XSS_FLAG}=3</script>",
        patients[1]: "P'}) DETACH DELETE n //",
        patients[2]: "P../../etc/x\u202eRTL",
        patients[3]: LONG_ID,
        pick("trace_resale", "facility", 1)[0]: f"F<img src=x onerror=window.{XSS_FLAG}=4>",
        pick("over_prescription", "prescriber", 1)[0]: "D=cmd|' /C calc'!A0",
    }


def make_hostile(src: Path, dst: Path) -> dict[str, int]:
    """Copy ``src`` to ``dst`` with payloads; return the data rows of each table written."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    renames = hostile_ids(src)
    counts = {}
    for path in sorted(src.glob("*.csv")):
        table = path.stem
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            rows = list(reader)
        texts = FREE_TEXT.get(table, ())
        for i, row in enumerate(rows):
            for column in header:
                value = row[column]
                if value in renames:
                    row[column] = renames[value]
                elif column in texts and value:
                    row[column] = PAYLOADS[(i + len(column)) % len(PAYLOADS)] + value
        with open(dst / path.name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        counts[table] = len(rows)
    return counts
