"""Detection without optional columns: each scheme's F1 when a drop's optional columns are empty.

    python benchmarks/ablation.py DROP [DROP ...] [--variants none,no_contact,...] [--scratch DIR]

The contract makes most columns optional, and a bureau's extract often lacks some
(de-identified data has no address or phone; many systems record no operator or
device).  For each variant the drop is copied with those columns emptied and detected
in memory; the table gives every scheme's F1 and the rings made mostly of hard
negatives (false alarms on legitimate look-alikes).  A detector that needs a column
our own generator always fills shows here as a scheme that vanishes or as false rings.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

VARIANTS: dict[str, dict[str, list[str]]] = {
    "none": {},
    "no_staff_devices": {"settlements": ["device_id", "operator_id"]},
    "no_prescriber": {"settlements": ["prescriber_id"]},
    "no_self_paid": {"settlements": ["self_paid"]},
    "no_admission_dates": {"settlements": ["admitted_on", "discharged_on"]},
    "no_contact": {"patients": ["address", "phone"]},
    "no_birth_date": {"patients": ["birth_date"]},
    "no_region": {"patients": ["region_code"]},
    "no_trace_codes": {"dispensings": ["trace_code"]},
    "no_patient_id": {"settlements": ["patient_id"]},
    "no_diagnosis": {"settlements": ["diagnosis_code"]},
}


def blanked_copy(drop: Path, out: Path, blank: dict[str, list[str]]) -> None:
    """The drop's files (truth included) with ``blank``'s columns emptied, the rest byte for byte."""
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(drop, out)
    con = duckdb.connect()
    for table, columns in blank.items():
        src = str(drop / f"{table}.csv")
        con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true, header = true)", [src])
        present = {r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE t)").fetchall()}
        for column in columns:
            if column in present:  # an optional column the drop never had is already empty
                con.execute(f'UPDATE t SET "{column}" = NULL')
        target = str(out / f"{table}.csv").replace("'", "''")  # COPY takes no parameter for its target
        con.execute(f"COPY t TO '{target}' (HEADER, DELIMITER ',')")


def main() -> None:
    from detection import quality_ringscope_only  # the detection benchmark's in-memory scoring

    from ringscope.ingest.contract import SCHEMES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("drops", nargs="+", type=Path)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "ringscope-ablation")
    args = ap.parse_args()
    print("| drop | variant | " + " | ".join(SCHEMES) + " | hard-negative rings |")
    print("|---" * (len(SCHEMES) + 3) + "|")
    for drop in args.drops:
        for variant in args.variants.split(","):
            out = args.scratch / f"{drop.name}-{variant}"
            blanked_copy(drop, out, VARIANTS[variant])
            report = quality_ringscope_only(out, memory_limit="")
            shutil.rmtree(out)
            cells = []
            for scheme in SCHEMES:
                row = report["per_scheme"].get(scheme)
                cells.append(f"{row['f1']:.2f} ({row['detected_rings']}/{row['true_rings']})" if row else "-")
            print(f"| {drop.name} | {variant} | " + " | ".join(cells) + f" | {report['hard_negative_rings']} |",
                  flush=True)


if __name__ == "__main__":
    main()
