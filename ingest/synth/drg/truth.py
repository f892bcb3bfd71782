"""``truth/drg_cases.csv`` (contract 1.1, section 2) and ``truth/drg_lookalikes.csv`` (ours)."""
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
