"""A weekly series: complete weekly drops, cumulative truth, series.json."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from ringscope.ingest.synth import generate_drop, generate_weekly_series
from ringscope.ingest.synth.writer import FACT_TABLES, TABLES

pytestmark = pytest.mark.xdist_group("synth-weekly")  # one xdist worker builds the module's fixture once: a generated weekly series

WEEKS = 8
PATIENTS = 2_500
SEED = 3
KEYS = {"patients": "patient_id", "cards": "card_id", "facilities": "facility_id",
        "prescribers": "prescriber_id", "drugs": "drug_code", "settlements": "settlement_id",
        "employers": "employer_id", "maternity_claims": "claim_id"}


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weekly")
    summary = generate_weekly_series(folder, PATIENTS, SEED, WEEKS)
    return folder, summary


def _rows(path):
    import csv
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_week_is_a_complete_drop(series):
    folder, summary = series
    assert len(summary.weeks) == WEEKS
    for w in range(1, WEEKS + 1):
        week = folder / f"week-{w:02d}"
        for name in TABLES:
            assert (week / f"{name}.csv").exists(), (w, name)
        for name in ("rings", "ring_settlements", "hard_negatives"):
            assert (week / "truth" / f"{name}.csv").exists()
        settled = {r["settled_at"][:10] for r in _rows(week / "settlements.csv")}
        assert settled and min(settled) >= json.loads((folder / "series.json").read_text())["weeks"][w - 1]["from"]
        assert max(settled) <= json.loads((folder / "series.json").read_text())["weeks"][w - 1]["to"]


def test_facts_appear_once_and_keys_resolve_cumulatively(series):
    folder, _ = series
    known: defaultdict[str, set[str]] = defaultdict(set)
    seen_facts = set()
    for w in range(1, WEEKS + 1):
        week = folder / f"week-{w:02d}"
        tables = {name: _rows(week / f"{name}.csv") for name in TABLES}
        for name, column in KEYS.items():
            known[name] |= {r[column] for r in tables[name]}
        for name in FACT_TABLES:
            for row in tables[name]:
                key = (name, row.get("claim_id") or row["settlement_id"], row.get("line_no"))
                assert key not in seen_facts
                seen_facts.add(key)
        week_settlements = {r["settlement_id"] for r in tables["settlements"]}
        assert {r["settlement_id"] for r in tables["dispensings"]} <= week_settlements
        for table, column, target in [("settlements", "card_id", "cards"), ("settlements", "patient_id", "patients"),
                                      ("settlements", "facility_id", "facilities"),
                                      ("settlements", "prescriber_id", "prescribers"),
                                      ("dispensings", "drug_code", "drugs"), ("cards", "patient_id", "patients"),
                                      ("employments", "employer_id", "employers"),
                                      ("maternity_claims", "employer_id", "employers"),
                                      ("maternity_claims", "patient_id", "patients")]:
            missing = {r[column] for r in tables[table] if r[column]} - known[target]
            assert not missing, (w, table, column, sorted(missing)[:3])
        # cumulative truth refers only to what has been delivered so far
        for row in _rows(week / "truth" / "rings.csv"):
            if row["entity_type"] != "device":
                target = {"patient": "patients", "card": "cards", "facility": "facilities",
                          "prescriber": "prescribers", "employer": "employers"}[row["entity_type"]]
                assert row["entity_id"] in known[target], (w, row)
        for row in _rows(week / "truth" / "ring_settlements.csv"):
            assert row["txn_id"] in known["settlements" if row["kind"] == "settlement" else "maternity_claims"]


def test_weeks_add_up_to_the_single_drop(series, tmp_path):
    folder, _ = series
    generate_drop(tmp_path, PATIENTS, SEED, days=WEEKS * 7)
    for name in FACT_TABLES:
        weekly = sorted(tuple(r.values()) for w in range(1, WEEKS + 1)
                        for r in _rows(folder / f"week-{w:02d}" / f"{name}.csv"))
        assert weekly == sorted(tuple(r.values()) for r in _rows(tmp_path / f"{name}.csv")), name
    last = folder / f"week-{WEEKS:02d}" / "truth"
    for name in ("rings", "ring_settlements", "hard_negatives"):
        assert (last / f"{name}.csv").read_bytes() == (tmp_path / "truth" / f"{name}.csv").read_bytes()


def test_truth_is_cumulative_and_rings_grow_merge_and_stop(series):
    folder, _ = series
    described = json.loads((folder / "series.json").read_text(encoding="utf-8"))
    weeks = described["weeks"]
    assert [w["week"] for w in weeks] == list(range(1, WEEKS + 1))
    previous_txns: set[str] = set()
    previous_members: dict[str, set[tuple[str, str]]] = {}
    merges = []
    for w in range(1, WEEKS + 1):
        truth = folder / f"week-{w:02d}" / "truth"
        txns = {r["txn_id"] for r in _rows(truth / "ring_settlements.csv")}
        assert previous_txns <= txns
        members = defaultdict(set)
        for row in _rows(truth / "rings.csv"):
            members[row["ring_id"]].add((row["entity_type"], row["entity_id"]))
        info = weeks[w - 1]
        assert info["rings"] == len(members)
        assert set(info["new"]) == set(members) - set(previous_members)
        for ring in info["grown"]:
            assert len(members[ring]) > len(previous_members[ring])
        for merge in info["merged"]:
            assert merge["absorbed"] not in members
            assert previous_members[merge["absorbed"]] <= members[merge["survivor"]]
            merges.append(merge)
        previous_txns, previous_members = txns, dict(members)
    assert merges, "a series should show at least one merge"
    assert any(w["grown"] for w in weeks[1:]) and any(w["new"] for w in weeks[1:])
    assert any(w["dissolved"] for w in weeks)
    for info in described["rings"].values():
        assert info["scheme"] in ("trace_resale", "borrowed_cards", "car_shuttle", "over_prescription", "maternity")


def test_reference_changes_arrive_in_later_weeks(series):
    folder, _ = series
    later = [r for w in range(2, WEEKS + 1) for r in _rows(folder / f"week-{w:02d}" / "patients.csv")]
    assert later and all(r["death_date"] for r in later)
    assert not _rows(folder / "week-02" / "facilities.csv")
