"""The generator disagrees with itself (issue 14): every 20k drop mixes
ring variants that break the textbook form of each scheme, plants at least
two legitimate look-alikes per coordination pattern, and can leave the
rings out altogether (a clean drop)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest

from ringscope.ingest.synth import GeneratorSettings, generate_drop
from ringscope.ingest.synth.schemes import (
    SCHEMES,
    borrowed_cards,
    car_shuttle,
    maternity,
    over_prescription,
    trace_resale,
)
from tests.generated import shared_drop
from tests.synth.conftest import Drop

MODULES = {"trace_resale": trace_resale, "borrowed_cards": borrowed_cards, "car_shuttle": car_shuttle,
           "over_prescription": over_prescription, "maternity": maternity}
LOOKALIKES = {
    # coordination pattern -> look-alike kinds with the same coordination and no fraud
    "cards settled together (borrowed_cards)": ("family_shared_phone", "nursing_home", "busy_counter"),
    "patients admitted together (car_shuttle)": ("dialysis_shift", "rehab_shift", "charity_campaign",
                                                 "referral_centre", "group_admission_outbreak",
                                                 "honest_coadmission"),
    "prescriber-patients-pharmacy supply (over_prescription)": ("long_legit_supply", "dtp_specialist",
                                                                "palliative_opioid"),
    "short employment and linked employers (maternity)": ("legit_maternity_employer", "job_change_before_delivery",
                                                          "accounting_agent", "incubator_shared_address"),
    "trace code settled twice (trace_resale)": ("same_day_correction", "returned_box_resold",
                                                "returned_box_moved_to_branch"),
}


@pytest.fixture(scope="module", params=[31, 32])
def drop20k(request, tmp_path_factory) -> Drop:
    shared = shared_drop(tmp_path_factory, 20_000, request.param)  # seed 31 is also test_coherence's
    return Drop(shared.folder, shared.summary)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Drop:
    shared = shared_drop(tmp_path_factory, 20_000, 31, settings=replace(GeneratorSettings(), plant_rings=False))
    return Drop(shared.folder, shared.summary)


def _variants(drop: Drop) -> dict[str, set[str]]:
    out: defaultdict[str, set[str]] = defaultdict(set)
    for row in drop.truth("ring_variants"):
        out[row["listed_as"]] |= {v for v in row["variants"].split(";") if v}
    return out


def test_a_20k_drop_mixes_every_variant_of_every_scheme(drop20k):
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in drop20k.truth("ring_variants"):
        for v in filter(None, row["variants"].split(";")):
            seen[row["scheme"]][v] += 1
    for scheme in SCHEMES:
        options = {name for group in MODULES[scheme].variant_groups(GeneratorSettings().schemes)
                   for name, share in group if share > 0}
        assert options <= set(seen[scheme]), (scheme, options - set(seen[scheme]))
    textbook = [r for r in drop20k.truth("ring_variants") if not r["variants"]]
    assert len(textbook) < len(drop20k.truth("ring_variants")) / 2


def test_a_20k_drop_has_two_look_alikes_per_coordination_pattern(drop20k):
    kinds = Counter(r["kind"] for r in drop20k.truth("hard_negatives"))
    for pattern, options in LOOKALIKES.items():
        assert sum(kinds[k] > 0 for k in options) >= 2, (pattern, kinds)
    for kind in (k for options in LOOKALIKES.values() for k in options):
        assert kinds[kind] > 0, kind


def test_look_alikes_are_never_fraud(drop20k):
    hard = {(r["entity_type"], r["entity_id"]) for r in drop20k.truth("hard_negatives")}
    assert not hard & {(r["entity_type"], r["entity_id"]) for r in drop20k.truth("rings")}
    hard_cards = {e for t, e in hard if t == "card"}
    fraud = {r["txn_id"] for r in drop20k.truth("ring_settlements")}
    holder = {r["card_id"]: r["patient_id"] for r in drop20k["cards"]}
    ring_patients = {r["entity_id"] for r in drop20k.truth("rings") if r["entity_type"] == "patient"}
    for row in drop20k["settlements"]:
        if row["card_id"] in hard_cards and row["settlement_id"] in fraud:
            # only a resale buyer's card may be in a fraudulent settlement: they did not know
            assert holder[row["card_id"]] not in ring_patients


def test_waiver_variants_record_what_the_scheme_says(drop20k):
    modes = defaultdict(set)  # ring as listed -> waiver modes of the rings listed under it
    for row in drop20k.truth("ring_variants"):
        if row["scheme"] == "car_shuttle":
            found = {"partial_waiver", "waiver_unrecorded"} & set(row["variants"].split(";"))
            modes[row["listed_as"]].add(found.pop() if found else "full")
    sids = {r["txn_id"]: r["ring_id"] for r in drop20k.truth("ring_settlements") if r["ring_id"] in modes}
    share: defaultdict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])  # [self paid, total]
    for row in drop20k["settlements"]:
        ring = sids.get(row["settlement_id"])
        if ring and len(modes[ring]) == 1:
            share[next(iter(modes[ring]))][0] += Decimal(row["self_paid"])
            share[next(iter(modes[ring]))][1] += Decimal(row["total_amount"])
    assert share
    if share["full"][1]:
        assert share["full"][0] < Decimal("0.01") * share["full"][1]
    if share["waiver_unrecorded"][1]:
        assert share["waiver_unrecorded"][0] > Decimal("0.08") * share["waiver_unrecorded"][1]
    if share["partial_waiver"][1]:
        assert share["partial_waiver"][0] < Decimal("0.3") * share["partial_waiver"][1]


def test_dialysis_shift_patients_are_admitted_together_many_times(drop20k):
    patients = {r["entity_id"] for r in drop20k.truth("hard_negatives")
                if r["kind"] == "dialysis_shift" and r["entity_type"] == "patient"}
    days = defaultdict(set)
    for row in drop20k["settlements"]:
        if row["patient_id"] in patients and row["diagnosis_code"] == "N18.5":
            days[row["patient_id"]].add((row["facility_id"], row["admitted_on"]))
    assert patients and min(len(d) for d in days.values()) >= 20


def test_clean_drop_has_no_ring_but_every_look_alike(clean):
    assert clean.truth("rings") == [] and clean.truth("ring_settlements") == []
    assert clean.truth("drg_cases") == [] and clean.truth("drg_lookalikes") != []  # no DRG violation either
    assert all(n == 0 for n in clean.summary.rings.values())
    kinds = Counter(r["kind"] for r in clean.truth("hard_negatives"))
    for kind in (k for options in LOOKALIKES.values() for k in options if k != "honest_coadmission"):
        assert kinds[kind] > 0, kind
    assert 7 <= len(clean["settlements"]) / len(clean["patients"]) <= 13


def test_textbook_settings_plant_no_variant(tmp_path):
    summary = generate_drop(tmp_path, 3_000, 11, settings=GeneratorSettings.textbook())
    assert sum(summary.rings.values()) > 0
    assert all(not r["variants"] for r in Drop(tmp_path).truth("ring_variants"))


def _con(drop: Drop):
    import duckdb
    con = duckdb.connect()
    for name in ("settlements", "dispensings", "employers", "cards"):
        con.execute(f"create view {name} as select * from read_csv('{drop.folder}/{name}.csv', all_varchar=true)")
    con.execute(f"""create view hn as select * from read_csv('{drop.folder}/truth/hard_negatives.csv',
                    all_varchar=true)""")
    return con


def _repeated_batches(con, kind: str) -> int:
    """Card pairs of a look-alike settled at one facility within 15 minutes on two or more days."""
    return con.execute("""with s as (select s.card_id, s.facility_id, s.settled_at[1:10] as day,
            epoch(strptime(s.settled_at, '%Y-%m-%dT%H:%M:%S')) as ts from settlements s
            join hn on hn.entity_type = 'card' and hn.entity_id = s.card_id and hn.kind = ?)
        select count(*) from (select a.card_id, b.card_id from s a join s b on a.facility_id = b.facility_id
            and a.day = b.day and a.card_id < b.card_id and abs(a.ts - b.ts) <= 900
            group by 1, 2 having count(distinct a.day) >= 2)""", [kind]).fetchone()[0]


def _repeated_admissions(con, kind: str) -> int:
    """Patient pairs of a look-alike admitted to one facility on the same day twice or more."""
    return con.execute("""with s as (select s.patient_id, s.facility_id, s.admitted_on from settlements s
            join hn on hn.entity_type = 'patient' and hn.entity_id = s.patient_id and hn.kind = ?
            where s.kind = 'inpatient')
        select count(*) from (select a.patient_id, b.patient_id from s a join s b on a.facility_id = b.facility_id
            and a.admitted_on = b.admitted_on and a.patient_id < b.patient_id
            group by 1, 2 having count(distinct a.admitted_on) >= 2)""", [kind]).fetchone()[0]


def test_look_alikes_have_the_coordination_they_imitate(drop20k):
    con = _con(drop20k)
    for kind in ("family_shared_phone", "nursing_home", "busy_counter"):
        assert _repeated_batches(con, kind) > 0, kind
    for kind in ("dialysis_shift", "rehab_shift", "charity_campaign", "referral_centre"):
        assert _repeated_admissions(con, kind) > 0, kind
    for kind in ("dtp_specialist", "palliative_opioid"):  # one prescriber, several patients, repeated fills
        most = con.execute("""select max(n) from (select s.prescriber_id, count(distinct s.patient_id) n
            from settlements s join hn on hn.entity_type = 'patient' and hn.entity_id = s.patient_id and hn.kind = ?
            group by 1)""", [kind]).fetchone()[0]
        assert most >= 3, kind
    linked = con.execute("""select max(n) from (select coalesce(e.agent_id, e.address) k, hn.kind, count(*) n
        from employers e join hn on hn.entity_type = 'employer' and hn.entity_id = e.employer_id
        where hn.kind in ('accounting_agent', 'incubator_shared_address') group by 1, 2)""").fetchone()[0]
    assert linked >= 4
    twice = con.execute("""select count(*) from (select d.trace_code from dispensings d
        join settlements s using (settlement_id)
        join hn on hn.entity_type = 'card' and hn.entity_id = s.card_id and hn.kind = 'returned_box_resold'
        where d.trace_code is not null group by 1 having count(distinct s.card_id) = 2)""").fetchone()[0]
    assert twice > 0
