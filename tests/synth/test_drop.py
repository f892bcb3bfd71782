"""A generated drop follows the data contract (section 1) row by row."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from decimal import Decimal

from ringscope.ingest.synth import idnumbers
from ringscope.ingest.synth.writer import TABLES

HEADERS = {
    "patients": "patient_id,name,id_number,gender,birth_date,region_code,address,phone,insured_type,death_date",
    "cards": "card_id,patient_id,issued_on,status",
    "facilities": "facility_id,kind,name,region_code,level,chain_id",
    "prescribers": "prescriber_id,name,facility_id,specialty",
    "drugs": "drug_code,name,category,unit_price,max_daily_units,controlled",
    "drg_groups": "drg_code,name,adrg,mdc,weight,base_payment,min_los,max_los",
    "settlements": ("settlement_id,card_id,facility_id,settled_at,total_amount,fund_paid,patient_id,"
                    "prescriber_id,kind,self_paid,admitted_on,discharged_on,diagnosis_code,drg_code,"
                    "device_id,operator_id"),
    "dispensings": "settlement_id,line_no,drug_code,quantity,amount,trace_code,days_supply",
    "employers": "employer_id,name,region_code,registered_on,phone,address,agent_id",
    "employments": "patient_id,employer_id,start_on,end_on,salary_base",
    "maternity_claims": "claim_id,patient_id,employer_id,claimed_on,amount,delivery_on,salary_base",
}
MONEY = re.compile(r"^\d+\.\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def test_every_table_has_the_contract_header(drop):
    for name in TABLES:
        header = (drop.folder / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        required = HEADERS[name].split(",")
        assert header.split(",")[: len(required)] == required, name
        assert drop[name], f"{name} is empty"


def test_keys_are_unique(drop):
    keys = {"patients": ("patient_id",), "cards": ("card_id",), "facilities": ("facility_id",),
            "prescribers": ("prescriber_id",), "drugs": ("drug_code",), "settlements": ("settlement_id",),
            "dispensings": ("settlement_id", "line_no"), "employers": ("employer_id",),
            "employments": ("patient_id", "employer_id", "start_on"), "maternity_claims": ("claim_id",)}
    for name, key in keys.items():
        values = [tuple(r[k] for k in key) for r in drop[name]]
        assert len(values) == len(set(values)), name


def test_every_foreign_key_resolves(drop):
    ids = {name: {r[col] for r in drop[name]} for name, col in
           [("patients", "patient_id"), ("cards", "card_id"), ("facilities", "facility_id"),
            ("prescribers", "prescriber_id"), ("drugs", "drug_code"), ("settlements", "settlement_id"),
            ("employers", "employer_id")]}
    checks = [("cards", "patient_id", "patients"), ("settlements", "card_id", "cards"),
              ("settlements", "facility_id", "facilities"), ("settlements", "patient_id", "patients"),
              ("settlements", "prescriber_id", "prescribers"), ("dispensings", "settlement_id", "settlements"),
              ("dispensings", "drug_code", "drugs"), ("prescribers", "facility_id", "facilities"),
              ("employments", "patient_id", "patients"), ("employments", "employer_id", "employers"),
              ("maternity_claims", "patient_id", "patients"), ("maternity_claims", "employer_id", "employers")]
    for table, column, target in checks:
        missing = {r[column] for r in drop[table] if r[column]} - ids[target]
        assert not missing, f"{table}.{column} -> {target}: {sorted(missing)[:5]}"


def test_money_is_consistent_to_the_cent(drop):
    lines: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in drop["dispensings"]:
        assert MONEY.match(row["amount"])
        lines[row["settlement_id"]] += Decimal(row["amount"])
    for row in drop["settlements"]:
        for column in ("total_amount", "fund_paid", "self_paid"):
            assert MONEY.match(row[column]), (column, row[column])
        total, fund, own = (Decimal(row[c]) for c in ("total_amount", "fund_paid", "self_paid"))
        assert fund + own == total
        assert lines[row["settlement_id"]] <= total
    for name, column in [("maternity_claims", "amount"), ("employments", "salary_base"), ("drugs", "unit_price")]:
        assert all(MONEY.match(r[column]) for r in drop[name])


def test_dates_and_datetimes_are_iso(drop):
    assert all(DATETIME.match(r["settled_at"]) for r in drop["settlements"])
    for name, columns in [("patients", ("birth_date", "death_date")), ("cards", ("issued_on",)),
                          ("settlements", ("admitted_on", "discharged_on")), ("employers", ("registered_on",)),
                          ("employments", ("start_on", "end_on")),
                          ("maternity_claims", ("claimed_on", "delivery_on"))]:
        for row in drop[name]:
            for column in columns:
                assert row[column] == "" or DATE.match(row[column]), (name, column, row[column])


def test_people_look_chinese_and_valid(drop):
    for row in drop["patients"]:
        number = row["id_number"]
        assert idnumbers.is_valid(number), number
        assert number[6:14] == row["birth_date"].replace("-", "")
        assert (int(number[16]) % 2 == 1) == (row["gender"] == "M")
        assert re.fullmatch(r"\d{6}", row["region_code"])
        assert row["phone"] == "" or re.fullmatch(r"1[35789]\d{9}", row["phone"]), row["phone"]
        assert re.search(r"[\u4e00-\u9fff]", row["name"]) and re.search(r"[\u4e00-\u9fff]", row["address"])
    provinces = {r["region_code"][:2] for r in drop["patients"]}
    assert len(provinces) >= 5


def test_nobody_acts_after_death(drop):
    death = {r["patient_id"]: r["death_date"] for r in drop["patients"] if r["death_date"]}
    holder = {r["card_id"]: r["patient_id"] for r in drop["cards"]}
    ring_sids = {r["txn_id"] for r in drop.truth("ring_settlements")}
    late = [r for r in drop["settlements"] if r["settlement_id"] not in ring_sids
            and holder[r["card_id"]] in death and r["settled_at"][:10] >= death[holder[r["card_id"]]]]
    assert not late
    assert death, "some people should die"


def test_trace_codes_are_unique_per_box_except_planted(drop):
    settled = defaultdict(set)
    for row in drop["dispensings"]:
        if row["trace_code"]:
            assert re.fullmatch(r"\d{20}", row["trace_code"])
            assert row["quantity"] and int(row["quantity"]) > 0
            settled[row["trace_code"]].add(row["settlement_id"])
    repeated = {code: sids for code, sids in settled.items() if len(sids) > 1}
    assert repeated, "resale rings must re-scan some boxes"
    explained = {r["txn_id"] for r in drop.truth("ring_settlements")}
    corrections = {r["entity_id"] for r in drop.truth("hard_negatives")
                   if r["kind"] in ("same_day_correction", "returned_box_resold", "returned_box_moved_to_branch")
                   and r["entity_type"] == "card"}
    card_of = {r["settlement_id"]: r["card_id"] for r in drop["settlements"]}
    for code, sids in repeated.items():
        assert sids & explained or {card_of[s] for s in sids} <= corrections, code


def test_drug_catalogue_is_plausible(drop):
    drugs = drop["drugs"]
    assert 60 <= len(drugs) <= 150
    assert any(r["controlled"] == "true" for r in drugs)
    assert all(int(r["max_daily_units"]) >= 1 for r in drugs)
    kinds = Counter(r["kind"] for r in drop["facilities"])
    assert set(kinds) == {"hospital", "clinic", "community_health_center", "village_clinic", "pharmacy"}
    assert any(r["chain_id"] for r in drop["facilities"] if r["kind"] == "pharmacy")


def test_background_volume(drop):
    per_patient = len(drop["settlements"]) / len(drop["patients"])
    assert 7 <= per_patient <= 13
    kinds = Counter(r["kind"] for r in drop["settlements"])
    assert kinds["inpatient"] and kinds["maternity"] and kinds["pharmacy"] and kinds["outpatient"]
    assert any(r["device_id"] for r in drop["settlements"])

