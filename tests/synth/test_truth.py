"""Ground truth (contract section 2): well-formed, every entity exists,
every scheme planted, losses match the transactions, hard negatives present."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal

from ringscope.ingest.synth import generate_drop
from ringscope.ingest.synth.schemes import SCHEMES
from ringscope.ingest.synth.settings import GeneratorSettings, SchemeShapes
from tests.synth.conftest import PATIENTS, SEED, Drop

ENTITY_TABLE = {"patient": ("patients", "patient_id"), "card": ("cards", "card_id"),
                "facility": ("facilities", "facility_id"), "prescriber": ("prescribers", "prescriber_id"),
                "employer": ("employers", "employer_id"), "device": ("settlements", "device_id")}
REQUIRED_TYPES = {"trace_resale": {"patient", "facility"}, "borrowed_cards": {"card"},
                  "car_shuttle": {"patient", "facility"},
                  "over_prescription": {"prescriber", "patient", "facility"},
                  "maternity": {"employer", "patient"}}


def _known(drop):
    return {etype: {r[column] for r in drop[table]} for etype, (table, column) in ENTITY_TABLE.items()}


def test_truth_headers(drop):
    for name, header in [("rings", "ring_id,scheme,entity_type,entity_id,role"),
                         ("ring_variants", "ring_id,listed_as,scheme,variants"),
                         ("ring_settlements", "ring_id,txn_id,kind,loss"),
                         ("hard_negatives", "entity_type,entity_id,kind")]:
        text = (drop.folder / "truth" / f"{name}.csv").read_text(encoding="utf-8")
        assert text.split("\n", 1)[0] == header


def test_every_scheme_is_planted_with_the_members_it_must_list(drop):
    rings = drop.truth("rings")
    by_ring = defaultdict(set)
    scheme_of = {}
    for row in rings:
        by_ring[row["ring_id"]].add(row["entity_type"])
        scheme_of[row["ring_id"]] = row["scheme"]
    per_scheme = Counter(scheme_of.values())
    for scheme in SCHEMES:
        assert per_scheme[scheme] >= 2, (scheme, per_scheme)
    for ring, types in by_ring.items():
        assert REQUIRED_TYPES[scheme_of[ring]] <= types, (ring, types)
    sizes = Counter(r["ring_id"] for r in rings)
    assert max(sizes.values()) >= 10 and min(sizes.values()) <= 8


def test_every_truth_entity_exists_in_the_data(drop):
    known = _known(drop)
    for row in drop.truth("rings") + drop.truth("hard_negatives"):
        assert row["entity_id"] in known[row["entity_type"]], row


def test_ring_settlements_match_the_facts(drop):
    fund = {r["settlement_id"]: r["fund_paid"] for r in drop["settlements"]}
    claims = {r["claim_id"]: r["amount"] for r in drop["maternity_claims"]}
    rows = drop.truth("ring_settlements")
    assert rows
    seen = set()
    for row in rows:
        assert (row["ring_id"], row["txn_id"]) not in seen
        seen.add((row["ring_id"], row["txn_id"]))
        source = fund if row["kind"] == "settlement" else claims
        assert row["kind"] in ("settlement", "claim")
        assert Decimal(source[row["txn_id"]]) == Decimal(row["loss"]), row
    rings = {r["ring_id"] for r in drop.truth("rings")}
    assert {r["ring_id"] for r in rows} == rings
    assert {r["ring_id"][:2] for r in rows if r["kind"] == "claim"} == {"MA"}


def _variants(drop) -> dict[str, set[str]]:
    """ring_id as listed in rings.csv -> the variants of the rings listed under it."""
    out: defaultdict[str, set[str]] = defaultdict(set)
    for row in drop.truth("ring_variants"):
        out[row["listed_as"]] |= {v for v in row["variants"].split(";") if v}
    return out


def test_car_shuttle_admissions_waive_the_patient_share_unless_a_variant_says_otherwise(tmp_path):
    # a drop whose shuttles draw no waiver variant (with a handful of rings per drop, variant forcing
    # may leave no textbook shuttle at all; merged rings carry both rings' variants)
    shapes = replace(SchemeShapes(), shuttle_waiver_shares=(0.0, 0.0))
    generate_drop(tmp_path, PATIENTS, SEED, settings=replace(GeneratorSettings(), schemes=shapes))
    drop = Drop(tmp_path)
    variants = _variants(drop)
    rings = {r["ring_id"] for r in drop.truth("rings") if r["scheme"] == "car_shuttle"}
    full = {r for r in rings if not variants[r] & {"partial_waiver", "waiver_unrecorded"}}
    sids = {r["txn_id"]: r["ring_id"] for r in drop.truth("ring_settlements") if r["ring_id"] in rings}
    rows = [r for r in drop["settlements"] if r["settlement_id"] in sids]
    assert rows and all(r["kind"] == "inpatient" for r in rows)
    waived = [r for r in rows if sids[r["settlement_id"]] in full]
    assert waived
    assert sum(Decimal(r["self_paid"]) for r in waived) < Decimal("0.01") * sum(Decimal(r["total_amount"]) for r in waived)


def test_maternity_shells_are_young_unless_bought_up_and_pay_far_above_the_norm(drop):
    variants = _variants(drop)
    shells = {r["entity_id"] for r in drop.truth("rings") if r["entity_type"] == "employer"}
    young = {r["entity_id"] for r in drop.truth("rings") if r["entity_type"] == "employer"
             and "old_shell" not in variants[r["ring_id"]]}
    employers = {r["employer_id"]: r for r in drop["employers"]}
    assert all(employers[e]["registered_on"] >= "2025-01-01" for e in young)
    shell_claims = [Decimal(r["salary_base"]) for r in drop["maternity_claims"] if r["employer_id"] in shells]
    other_claims = [Decimal(r["salary_base"]) for r in drop["maternity_claims"] if r["employer_id"] not in shells]
    assert shell_claims and other_claims
    assert sum(shell_claims) / len(shell_claims) > Decimal("1.8") * sum(other_claims) / len(other_claims)


def test_hard_negatives_cover_every_kind(drop):
    kinds = Counter(r["kind"] for r in drop.truth("hard_negatives"))
    for kind in ("family_shared_phone", "nursing_home", "long_legit_supply", "chain_shared_staff",
                 "legit_maternity_employer", "same_day_correction", "group_admission_outbreak",
                 "busy_counter", "dialysis_shift", "rehab_shift", "charity_campaign", "referral_centre", "dtp_specialist",
                 "palliative_opioid", "returned_box_resold", "job_change_before_delivery", "accounting_agent",
                 "incubator_shared_address"):
        assert kinds[kind] > 0, kind
    ring_entities = {(r["entity_type"], r["entity_id"]) for r in drop.truth("rings")}
    assert not ring_entities & {(r["entity_type"], r["entity_id"]) for r in drop.truth("hard_negatives")}


def test_summary_counts_match_files(drop):
    summary = drop.summary
    assert summary.rows["settlements"] == len(drop["settlements"])
    assert summary.rows["dispensings"] == len(drop["dispensings"])
    assert set(summary.rings) == set(SCHEMES)
    assert summary.ring_transactions == len(drop.truth("ring_settlements"))
