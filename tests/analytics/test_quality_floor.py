"""A quality floor for detection, so that no later change silently breaks it (issue 14, point 5).

Two small generated drops (5,000 patients each, seven or so listed rings of every scheme
per drop, every ring variant of the generator and its legitimate look-alikes) go through
the whole detection run.  Each scheme's rings are counted over both drops together (with
seven rings in a drop, one drop's F1 moves in steps of 0.07-0.14), and every scheme must
reach its ring-level F1 floor under the contract's matching rule; almost no reported ring
may be made of look-alikes.  Measured after the generator's merges became one operation
in the data and car_shuttle's baseline stopped including the cohort's own members (third
session of 2026-12-06): trace_resale 1.00, borrowed_cards 0.96, car_shuttle 1.00,
over_prescription 0.85 (0.846: a mild-surplus ring of two doctors scored 0.49 against 0.5,
a three-patient ring was never a group), maternity 1.00.  Fourth session: over_prescription
reaches 1.00 (14 of 14; drug baselines set by ordinary peers, one vote per practice, rings
joined by handed-over patients), so the floor is the issue's 0.9 for every scheme, below what
each reaches rather than on a seed chosen to pass.  The drops
are generated, never checked in, and their seeds were not chosen by looking at results.
"""
from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.evaluation import DetectedRing, evaluate, load_truth, precision_recall_f1
from ringscope.analytics.pipeline import provisional_ids, run_detection
from ringscope.ingest.contract import SCHEMES
from ringscope.ingest.synth import GeneratorSettings, generate_drop

pytestmark = pytest.mark.xdist_group("quality-floor")  # one xdist worker builds the module's fixture once: two drops through the whole detection

PATIENTS = 5_000
SEEDS = (20261206, 20261207)
F1_FLOOR = dict.fromkeys(SCHEMES, 0.9)
HARD_NEGATIVE_CEILING = 0.05


@pytest.fixture(scope="module")
def floor_drops(tmp_path_factory):
    root = tmp_path_factory.mktemp("floor")
    drops = []
    for seed in SEEDS:
        drop = root / f"s{seed}"
        generate_drop(drop, PATIENTS, seed, settings=replace(GeneratorSettings(), min_rings_per_scheme=8))
        drops.append(drop)
    return drops


@pytest.fixture(scope="module")
def reports(floor_drops):
    out = []
    for drop in floor_drops:
        con = connect_drop(drop)
        rings = provisional_ids(run_detection(con).rings)
        con.close()
        detected = [DetectedRing(r.ring_id, r.scheme, set(r.member_keys()), r.fund_loss, r.score) for r in rings]
        out.append(evaluate(load_truth(drop), detected))
    return out


def test_the_floor_drops_carry_every_scheme_and_variant(floor_drops):
    variants: set[str] = set()
    schemes: set[str] = set()
    for drop in floor_drops:
        with open(drop / "truth" / "ring_variants.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                schemes.add(row["scheme"])
                variants.update(v for v in row["variants"].split(";") if v)
    assert schemes == set(SCHEMES)
    assert {"local_living", "phones_only", "counter_only", "waiver_unrecorded", "shared_institution",
            "shared_pharmacy", "mild_surplus", "old_shell", "partial_rescan"} <= variants


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_reaches_the_floor(reports, scheme):
    rows = [r["per_scheme"][scheme] for r in reports]
    matched, true = sum(r["matched"] for r in rows), sum(r["true_rings"] for r in rows)
    pooled = precision_recall_f1(matched, sum(r["detected_rings"] for r in rows), matched, true)
    assert true >= 10
    assert pooled["f1"] >= F1_FLOOR[scheme], f"{scheme}: {pooled}, per drop {rows}"


def test_look_alikes_are_not_reported(reports):
    flagged = sum(r["hard_negative_rings"] for r in reports)
    assert flagged <= HARD_NEGATIVE_CEILING * sum(r["detected_rings"] for r in reports), flagged
