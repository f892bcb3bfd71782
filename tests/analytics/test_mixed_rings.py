"""Mixed rings: rings of different schemes that are the same people become one ``mixed`` ring."""
import itertools
import json
import random
from decimal import Decimal

import pytest

from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.mixed_rings import card_holders, merge_mixed_rings, overlap
from ringscope.analytics.pipeline import provisional_ids, run_detection
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.ring_identity import assign_ids
from ringscope.analytics.rings_json import read_rings_json, ring_to_json, write_rings_json
from ringscope.analytics.scoring import RankScorer, feature_vector, score_rings
from ringscope.analytics.settings import DetectionSettings, MixedSettings, SettingsError
from ringscope.ingest.contract import SCHEMES
from tests.analytics.test_car_shuttle import _admit, _baseline
from tests.analytics.worlds import day, make_con


def _ring(scheme, members, settlements=(), claims=(), strength=0.6):
    return Ring(
        scheme=scheme,
        members=[Member(t, i, role) for t, i, role in members],
        settlement_ids=list(settlements),
        claim_ids=list(claims),
        evidence=[Evidence(f"{scheme}_signal", f"{scheme} measured", f"{scheme}测得", 2.0),
                  Evidence(f"{scheme}_more", f"more {scheme}", f"更多{scheme}")],
        features={"size": float(len(members)), "evidence_count": 5.0, "per_member": 1.0, "baseline_ratio": 2.0,
                  "active_days": 30.0, "signal_strength": strength},
    )


def _patients(ids, role):
    return [("patient", p, role) for p in ids]


def _resale(patients=("P1", "P2", "P3", "P4"), pharmacy="PH1", settlements=("S1", "S2", "S3", "S4", "S5", "S6")):
    return _ring("trace_resale", _patients(patients, "seller") + [("facility", pharmacy, "organizer"),
                                                                  ("card", "CK1", "collector")], settlements)


def _overpresc(patients=("P1", "P2", "P3", "P4"), pharmacy="PH1", settlements=("S4", "S5", "S6", "S7", "S8", "S9")):
    return _ring("over_prescription", [("prescriber", "D1", "organizer"), ("facility", pharmacy, "pharmacy")]
                 + _patients(patients, "patient"), settlements)


def _as_json(rings):
    return [ring_to_json(r) for r in rings]


# --- the pure function -----------------------------------------------------------------------

def test_same_people_in_two_schemes_become_one_mixed_ring():
    a, b = _resale(), _overpresc()
    out = merge_mixed_rings([a, b])
    assert len(out) == 1
    ring = out[0]
    assert ring.scheme == "mixed" and ring.schemes == ["trace_resale", "over_prescription"]
    assert ring.member_keys() == a.member_keys() | b.member_keys()
    roles = {m.key: m.role for m in ring.members}
    assert roles["facility:PH1"] == "organizer"  # organizer beats pharmacy
    assert roles["patient:P1"] == "seller"  # a seller is a stronger role than a plain patient
    assert roles["prescriber:D1"] == "organizer" and roles["card:CK1"] == "collector"
    assert ring.settlement_ids == [f"S{i}" for i in range(1, 10)]
    # the schemes and the overlap are said first, then every item of both rings, tagged with its scheme
    assert [e.kind for e in ring.evidence[:2]] == ["mixed_schemes", "shared_members"]
    assert all(e.text and e.text_zh for e in ring.evidence)
    assert "药品追溯码倒卖" in ring.evidence[0].text_zh and "超量开药" in ring.evidence[0].text_zh
    tagged = [e for e in ring.evidence[2:]]
    assert [(e.scheme, e.kind) for e in tagged] == [
        ("trace_resale", "trace_resale_signal"), ("trace_resale", "trace_resale_more"),
        ("over_prescription", "over_prescription_signal"), ("over_prescription", "over_prescription_more")]
    assert tagged[0].text.startswith("[Trace-code resale] ") and tagged[0].text_zh.startswith("【药品追溯码倒卖】")
    assert tagged[0].value == 2.0
    assert ring.features["schemes"] == 2.0 and ring.features["size"] == float(len(ring.members))
    assert ring.features["signal_strength"] == pytest.approx(1 - 0.4 * 0.4)  # two detectors agree


def test_fund_loss_counts_a_shared_settlement_once():
    con = make_con(settlements=[
        {"settlement_id": f"S{i}", "card_id": "C", "facility_id": "PH1", "settled_at": day(i),
         "total_amount": 100.0 * i + 50, "fund_paid": 100.0 * i} for i in range(1, 10)])
    rings = merge_mixed_rings([_resale(), _overpresc()])
    attach_fund_loss(con, rings)
    assert rings[0].fund_loss == Decimal(sum(100 * i for i in range(1, 10))).quantize(Decimal("0.01"))
    # not the sum of the two rings' losses, which would count S4-S6 twice
    apart = [_resale(), _overpresc()]
    attach_fund_loss(con, apart)
    assert sum(r.fund_loss for r in apart) == rings[0].fund_loss + Decimal("1500.00")


def test_two_rings_sharing_only_a_hub_pharmacy_stay_apart():
    a = _resale(patients=("P1", "P2", "P3"))
    b = _overpresc(patients=("Q1", "Q2", "Q3"))
    assert {id(r) for r in merge_mixed_rings([a, b])} == {id(a), id(b)}
    # even when facilities count and one shared member would do, one place is not one group
    loose = MixedSettings(min_shared_members=1, min_overlap=0.2, count_facilities=False)
    assert {r.scheme for r in merge_mixed_rings([a, b], loose)} == {"trace_resale", "over_prescription"}
    counted = MixedSettings(min_shared_members=2, count_facilities=True)
    assert {r.scheme for r in merge_mixed_rings([a, b], counted)} == {"trace_resale", "over_prescription"}
    assert overlap({"facility:PH1", "patient:P1"}, {"facility:PH1", "patient:Q1"}) == (0.5, 0, 1)
    assert overlap({"facility:PH1", "patient:P1"}, {"facility:PH1", "patient:Q1"}, count_facilities=True) == (0.5, 1, 1)


def test_a_small_overlap_or_too_few_shared_people_stays_apart():
    a = _resale(patients=("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"))
    b = _overpresc(patients=("P1", "P2", "Q1", "Q2", "Q3", "Q4", "Q5"))  # 3 of 8 shared incl. PH1
    assert all(r.scheme != "mixed" for r in merge_mixed_rings([a, b]))
    c = _overpresc(patients=("P1", "P2"))  # everything of c is in a, but only two people
    assert all(r.scheme != "mixed" for r in merge_mixed_rings([a, c]))
    assert merge_mixed_rings([a, c], MixedSettings(min_shared_members=2))[0].scheme == "mixed"


def test_rings_of_the_same_scheme_are_never_merged_here():
    a = _resale()
    b = _resale(patients=("P1", "P2", "P3", "P4", "P5"), settlements=("S10",))
    out = merge_mixed_rings([a, b])
    assert len(out) == 2 and {r.scheme for r in out} == {"trace_resale"}
    assert {id(r) for r in out} == {id(a), id(b)}  # untouched rings are the very same objects


def test_groups_are_transitive_across_schemes():
    a = _resale(patients=("P1", "P2", "P3"))
    b = _ring("car_shuttle", [("facility", "H1", "institution")] + _patients(("P1", "P2", "P3", "Q1", "Q2", "Q3"), "shuttled"),
              ["S20"])
    c = _overpresc(patients=("Q1", "Q2", "Q3"), pharmacy="PH2", settlements=("S30",))
    assert overlap({m.key for m in a.members}, {m.key for m in c.members})[2] == 0  # a and c share nobody
    out = merge_mixed_rings([c, a, b])
    assert len(out) == 1
    assert out[0].schemes == ["trace_resale", "car_shuttle", "over_prescription"]
    assert [e.kind for e in out[0].evidence].count("shared_members") == 2
    assert set(out[0].settlement_ids) == set(a.settlement_ids) | {"S20", "S30"}


def test_a_group_never_holds_two_rings_of_one_scheme():
    """A car-shuttle cohort overlapping two resale rings joins the closer one; the other stays apart."""
    close = _resale(patients=("P1", "P2", "P3", "P4"))
    far = _resale(patients=("P3", "P4", "P5", "P6", "P7", "P8", "P9"), pharmacy="PH9", settlements=("S50",))
    cohort = _ring("car_shuttle", [("facility", "H1", "institution")] + _patients(("P1", "P2", "P3", "P4", "P5", "P6"), "shuttled"))
    out = merge_mixed_rings([far, cohort, close])
    assert sorted(r.scheme for r in out) == ["mixed", "trace_resale"]
    mixed = next(r for r in out if r.scheme == "mixed")
    assert mixed.schemes == ["trace_resale", "car_shuttle"] and "facility:PH1" in mixed.member_keys()
    assert next(r for r in out if r.scheme == "trace_resale") is far


def test_a_card_stands_for_its_holder():
    """Rented cards whose holders are a resale ring's sellers: one gang."""
    resale = _resale(patients=("P1", "P2", "P3", "P4"))
    pool = _ring("borrowed_cards", [("card", f"CP{i}", "borrowed") for i in range(1, 6)] + [("device", "DV1", "device")])
    holders = {f"CP{i}": f"P{i}" for i in range(1, 6)}
    merged = merge_mixed_rings([resale, pool], holders=holders)  # on by default
    assert [r.scheme for r in merged] == ["mixed"]
    assert {"card:CP1", "patient:P1", "device:DV1"} <= merged[0].member_keys()
    assert all(r.scheme != "mixed" for r in merge_mixed_rings([resale, pool], MixedSettings(cards_as_holders=True)))
    off = MixedSettings(cards_as_holders=False)
    assert all(r.scheme != "mixed" for r in merge_mixed_rings([resale, pool], off, holders))


def _prescriber_ring(patients):
    return _ring("over_prescription", [("prescriber", "D1", "organizer"), ("facility", "PH9", "pharmacy")]
                 + _patients(patients, "patient"))


def test_a_prescriber_ring_of_a_card_pools_holders_is_the_pools_footprint():
    """Three patients, all holders of a gang's rented cards: the gang settled them at a doctor's."""
    pool = _ring("borrowed_cards", [("card", f"CP{i}", "borrowed") for i in range(1, 9)])
    holders = {f"CP{i}": f"P{i}" for i in range(1, 9)}
    merged = merge_mixed_rings([_prescriber_ring(["P1", "P2", "P3"]), pool], holders=holders)
    assert [r.scheme for r in merged] == ["mixed"]


def test_a_few_rented_cards_held_by_a_large_prescriber_rings_patients_stay_apart():
    """Three of a large ring's twelve patients hold a small pool's cards: two rings, not one.

    Counted as a share of the smaller ring (the pool) the overlap would be complete.
    """
    pool = _ring("borrowed_cards", [("card", f"CP{i}", "borrowed") for i in range(1, 4)])
    holders = {f"CP{i}": f"P{i}" for i in range(1, 4)}
    big = _prescriber_ring([f"P{i}" for i in range(1, 13)])
    out = merge_mixed_rings([big, pool], holders=holders)
    assert sorted(r.scheme for r in out) == ["borrowed_cards", "over_prescription"]


def test_card_holders_come_from_the_cards_table():
    con = make_con(patients=[{"patient_id": "P1"}], cards=[{"card_id": "CP1", "patient_id": "P1"},
                                                           {"card_id": "CZ", "patient_id": "P1"}])
    pool = _ring("borrowed_cards", [("card", "CP1", "borrowed"), ("card", "CX", "borrowed")])
    assert card_holders(con, [pool]) == {"CP1": "P1"}
    assert card_holders(con, [_overpresc()]) == {}


def test_switched_off_nothing_merges():
    out = merge_mixed_rings([_resale(), _overpresc()], MixedSettings(enabled=False))
    assert sorted(r.scheme for r in out) == ["over_prescription", "trace_resale"]


def test_output_does_not_depend_on_input_order():
    rings = [_resale(), _overpresc(), _ring("maternity", [("employer", "E1", "shell_employer")] + _patients(("M1", "M2"), "claimant"),
                                             claims=("M-1", "M-2")),
             _ring("car_shuttle", [("facility", "H1", "institution")] + _patients(("P3", "P4", "V1", "V2"), "shuttled"))]
    expected = json.dumps(_as_json(merge_mixed_rings(rings)), sort_keys=True)
    rng = random.Random(5)
    for perm in itertools.islice(itertools.permutations(rings), 24):
        shuffled = list(perm)
        rng.shuffle(shuffled)
        assert json.dumps(_as_json(merge_mixed_rings(shuffled)), sort_keys=True) == expected


# --- settings, output, scoring --------------------------------------------------------------

def test_mixed_settings_are_read_and_checked():
    s = DetectionSettings.from_dict({"mixed": {"enabled": False, "min_overlap": 0.7, "min_shared_members": 4,
                                               "count_facilities": True, "cards_as_holders": False}})
    assert s.mixed == MixedSettings(False, 0.7, 4, True, False)
    assert s.digest() != DetectionSettings().digest()
    assert DetectionSettings().mixed.enabled is True


@pytest.mark.parametrize("bad", [
    {"mixed": {"min_overlap": 0}}, {"mixed": {"min_overlap": 1.5}}, {"mixed": {"min_shared_members": 0}},
    {"mixed": {"min_shared_members": 2.5}}, {"mixed": {"enabled": "yes"}}, {"mixed": {"nope": 1}}, {"mixed": 1},
])
def test_bad_mixed_settings_say_which(bad):
    with pytest.raises(SettingsError, match="mixed"):
        DetectionSettings.from_dict(bad)


def test_mixed_ring_in_rings_json_scoring_and_the_ring_book():
    import duckdb

    from ringscope.app.ring_source import ring_from_json
    from ringscope.graph import ring_book

    ring = merge_mixed_rings([_resale(), _overpresc()])[0]
    plain = _ring("maternity", [("employer", "E1", "shell_employer")], claims=("M-1",))
    score_rings([ring, plain], RankScorer())
    assert 0.0 <= ring.score <= 1.0
    vec = feature_vector(ring)
    hot = dict(zip(SCHEMES, vec[-len(SCHEMES):]))
    assert hot == {"trace_resale": 1.0, "borrowed_cards": 0.0, "car_shuttle": 0.0, "over_prescription": 1.0,
                   "maternity": 0.0}
    item = ring_to_json(ring)
    assert item["scheme"] == "mixed" and item["schemes"] == ["trace_resale", "over_prescription"]
    assert item["evidence"][2]["scheme"] == "trace_resale" and "scheme" not in item["evidence"][0]
    assert "schemes" not in ring_to_json(plain)
    con = duckdb.connect()
    ring_book.record_run(con, [ring, plain], "h", assign=assign_ids)
    stored = next(r for r in ring_book.latest_rings(con) if r["scheme"] == "mixed")
    assert [e.get("scheme") for e in stored["evidence"]] == [e.scheme or None for e in ring.evidence]
    record = ring_from_json(stored)
    assert record.scheme == "mixed" and record.evidence[2].in_language("zh").startswith("【药品追溯码倒卖】")


def test_a_ring_that_turns_mixed_keeps_its_id():

    before = _resale()
    previous = {"R-000007": ("trace_resale", before.member_keys())}
    mixed = merge_mixed_rings([_resale(), _overpresc()])[0]
    ids, _, _ = assign_ids([mixed], previous, 8)
    assert ids == ["R-000007"]


# --- the whole run ---------------------------------------------------------------------------

def _shuttle_clinic_that_overprescribes(world):
    """A hospital busing villagers in with waived fees, whose doctor also over-prescribes to the
    same villagers at one pharmacy; plus ordinary prescribers and inpatients as the baseline."""
    world.drug("D1", max_daily=1.0)
    world.facility("H1", "hospital", region="510101")
    world.facility("PH1", "pharmacy", region="510101")
    _baseline(world, "H1")
    world.facility("H2", "hospital", region="510101")
    for k in range(3):
        world.facility(f"PX{k}", "pharmacy", region="510101")
    for d in range(4):
        doc = world.prescriber(f"DOC{d}", "H2")
        for p in range(3):
            pid = world.patient(f"Q{d}{p}", region="510101")
            for m in range(4):
                world.settle(pid, f"PX{(p + m) % 3}", day(m * 30, 9 + p, 7 * d), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": "D1", "quantity": 30}])
    doctor = world.prescriber("DR1", "H1")
    villagers = [world.patient(f"V{i}", region="510121") for i in range(6)]
    for trip in (0, 20, 41):
        for i, pid in enumerate(villagers):
            _admit(world, pid, "H1", start=trip + (i % 2), stay=4, fund=3500.0, self_share=0.0)
    for i, pid in enumerate(villagers):
        for m in range(8):  # far more than can be taken, always at PH1, each villager at their own hour
            world.settle(pid, "PH1", day(m * 15 + 1, 8 + i), prescriber_id=doctor, kind="pharmacy",
                         lines=[{"drug_code": "D1", "quantity": 60}])
    return world, villagers


def _check_contract(doc, con):
    """rings.json as contract section 3 describes it."""
    assert doc["contract"] == 1 and doc["generated_at"].endswith("+08:00")
    scores = [r["score"] for r in doc["rings"]]
    assert scores == sorted(scores, reverse=True)
    for r in doc["rings"]:
        assert {"ring_id", "scheme", "score", "members", "fund_loss", "settlement_ids", "evidence"} <= set(r)
        assert r["scheme"] in set(SCHEMES) | {"mixed"}
        assert 0.0 <= r["score"] <= 1.0
        assert all(m["type"] in ("patient", "card", "facility", "prescriber", "employer", "device") and m["id"]
                   for m in r["members"])
        assert all(e["kind"] and e["text"] for e in r["evidence"])
        assert len(set(r["settlement_ids"])) == len(r["settlement_ids"])
        paid = con.execute("SELECT coalesce(sum(fund_paid), 0) FROM settlements WHERE list_contains(?, settlement_id)",
                           [r["settlement_ids"]]).fetchall()[0][0]
        assert Decimal(str(r["fund_loss"])) == Decimal(paid).quantize(Decimal("0.01"))


def test_pipeline_reports_a_planted_mixed_group_as_one_mixed_ring(world, tmp_path):
    world, villagers = _shuttle_clinic_that_overprescribes(world)
    con = world.con()
    apart = run_detection(con, DetectionSettings.from_dict({"mixed": {"enabled": False}})).rings
    assert sorted(r.scheme for r in apart) == ["car_shuttle", "over_prescription"]

    result = run_detection(con, DetectionSettings())
    assert "mixed" in result.timings
    assert [r.scheme for r in result.rings] == ["mixed"]
    ring = result.rings[0]
    assert ring.schemes == ["car_shuttle", "over_prescription"]
    assert set(ring.members_of("patient")) == set(villagers)
    assert set(ring.members_of("facility")) == {"H1", "PH1"} and ring.members_of("prescriber") == ["DR1"]
    assert {e.kind for e in ring.evidence} >= {"mixed_schemes", "shared_members", "co_admission", "fee_waiver",
                                               "excess_supply"}
    assert ring.settlement_ids == sorted({s for r in apart for s in r.settlement_ids})
    assert ring.fund_loss == sum((r.fund_loss for r in apart), Decimal("0"))  # the two share no settlement
    assert 0.0 < ring.score <= 1.0

    path = write_rings_json(tmp_path / "rings.json", provisional_ids(result.rings))
    doc = read_rings_json(path)
    _check_contract(doc, con)
    assert doc["rings"][0]["scheme"] == "mixed" and doc["rings"][0]["schemes"] == ["car_shuttle", "over_prescription"]

    # the contract's matching rule: a mixed ring matches a true ring of any of its schemes
    from ringscope.analytics.evaluation import TrueRing, Truth, detected_from_document, evaluate

    truth = Truth([TrueRing("T1", "car_shuttle", {"facility:H1"} | {f"patient:{v}" for v in villagers})], set())
    report = evaluate(truth, detected_from_document(doc))
    assert report["overall"]["f1"] == 1.0 and report["per_scheme"]["car_shuttle"]["matched"] == 1


def test_pipeline_leaves_unrelated_rings_alone(world):
    from tests.analytics.test_trace_resale import _resale_world

    con = _resale_world(world).con()
    on = run_detection(con, DetectionSettings()).rings
    off = run_detection(con, DetectionSettings.from_dict({"mixed": {"enabled": False}})).rings
    assert [ring_to_json(r) for r in on] == [ring_to_json(r) for r in off]
    assert [r.scheme for r in on] == ["trace_resale"]


def test_mixed_is_named_in_both_languages_everywhere():
    from ringscope.analytics.mixed_rings import scheme_name
    from ringscope.app.export import wording
    from ringscope.app.i18n import Translator
    from ringscope.app.report.messages import Messages

    assert Translator("zh")("scheme.mixed") == "混合型" == Messages("zh")("scheme.mixed") == scheme_name("mixed", "zh")
    assert Translator("en")("scheme.mixed") == "Mixed schemes" == Messages("en")("scheme.mixed") == scheme_name("mixed", "en")
    assert wording.scheme_name("mixed", "zh") == "混合型" and wording.scheme_name("mixed", "en") == "Mixed schemes"  # one vocabulary
    for scheme in SCHEMES:  # evidence prefixes use the explorer's scheme names
        assert scheme_name(scheme, "zh") == Translator("zh")(f"scheme.{scheme}")
        assert scheme_name(scheme, "en") == Translator("en")(f"scheme.{scheme}")


def test_ring_source_derives_a_mixed_rings_schemes_from_its_evidence():
    """A ring book entry has no ``schemes`` key: the evidence's scheme tags say it."""
    from ringscope.app.ring_source import ring_from_json

    item = {"ring_id": "R-1", "scheme": "mixed", "members": [],
            "evidence": [{"kind": "a", "text": "a", "scheme": "over_prescription"},
                         {"kind": "b", "text": "b", "scheme": "trace_resale"}]}
    assert ring_from_json(item).schemes == ("trace_resale", "over_prescription")
    assert ring_from_json({**item, "scheme": "trace_resale"}).schemes == ("trace_resale",)
