"""``truth/drg_cases.csv`` (contract 1.1, section 2), ``truth/drg_lookalikes.csv`` and ``truth/drg_drift.csv`` (ours)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ringscope.ingest.synth import formats
from ringscope.ingest.synth import identifiers as ids
from ringscope.ingest.synth.drg.planting import DrgTruth


def drg_truth_tables(truth: DrgTruth, facility_id: pa.Array) -> tuple[pa.Table, pa.Table]:
    """One row per settlement of a case (loss in yuan), and one per look-alike settlement."""
    cases = sorted(truth.cases)
    cases_table = pa.table({
        "case_id": pa.array([c[0] for c in cases], type=pa.string()),
        "violation": pa.array([c[1] for c in cases], type=pa.string()),
        "facility_id": facility_id.take(pa.array([c[2] for c in cases], type=pa.int64())),
        "settlement_id": ids.settlement_ids(np.array([c[3] for c in cases], dtype=np.int64)),
        "loss": formats.money(np.array([c[4] for c in cases], dtype=np.int64)),
    })
    looks = sorted(truth.lookalikes)
    look_table = pa.table({
        "kind": pa.array([r[0] for r in looks], type=pa.string()),
        "facility_id": facility_id.take(pa.array([r[1] for r in looks], type=pa.int64())),
        "settlement_id": ids.settlement_ids(np.array([r[2] for r in looks], dtype=np.int64)),
    })
    return cases_table, look_table


def drg_drift_table(truth: DrgTruth, facility_id: pa.Array) -> pa.Table:
    """One row per planted coding-drift unit (``drift``): drifting ones and look-alikes.

    Not part of the contract (which has no case type for drift; the drifting units' up-coded
    stays are ``up_coding`` cases of ``drg_cases.csv``): ``benchmarks/drg.py`` scores the drift
    screen on these units.  ``prescriber_id`` is empty for an institution.
    """
    units = sorted(truth.units)
    prescriber = np.array([u[2] for u in units], dtype=np.int64)
    return pa.table({
        "unit": pa.array([u[0] for u in units], type=pa.string()),
        "facility_id": facility_id.take(pa.array([u[1] for u in units], type=pa.int64())),
        "prescriber_id": ids.prescriber_ids(np.maximum(prescriber, 0), prescriber < 0),
        "planted": pa.array([u[3] for u in units], type=pa.string()),
        "episodes": pa.array([u[4] for u in units], type=pa.int64()),
        "upcoded": pa.array([u[5] for u in units], type=pa.int64()),
    })
