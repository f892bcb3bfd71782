"""The generator plants coding drift (doctors and institutions up-coding a share of their stays) and
its look-alikes (doctors and a tertiary hospital whose high upper-group share the records support)."""
from __future__ import annotations

from collections import Counter
from datetime import date

DRIFT_HEADER = ["unit", "facility_id", "prescriber_id", "planted", "episodes", "upcoded"]


def _units(drop, unit, planted):
    units = [u for u in drop.truth("drg_drift") if u["unit"] == unit and u["planted"] == planted]
    assert units, f"no {planted} {unit} planted"
    return units


def _upcoded(drop):
    """Settlements of the up-coding truth (contract format: one row per settlement of a case)."""
    ids = {r["settlement_id"] for r in drop.truth("drg_cases") if r["violation"] == "up_coding"}
    return [s for s in drop["settlements"] if s["settlement_id"] in ids]


def test_drift_truth_lists_every_kind_of_unit(drop):
    rows = drop.truth("drg_drift")
    assert list(rows[0]) == DRIFT_HEADER
    kinds = Counter((u["unit"], u["planted"]) for u in rows)
    assert kinds[("prescriber", "drifting")] >= 2 and kinds[("institution", "drifting")] >= 1
    assert kinds[("prescriber", "supported_case_mix")] >= 1 and kinds[("institution", "sicker_case_mix")] >= 1
    sizes = {int(u["episodes"]) for u in rows if u["planted"] == "drifting"}
    assert len(sizes) > 1  # varied size (and strength: upcoded / episodes drawn per unit)


def test_a_drifting_prescriber_codes_the_planted_share_of_his_stays_up(drop):
    upcoded = _upcoded(drop)
    for unit in _units(drop, "prescriber", "drifting"):
        mine = [s for s in upcoded if (s["facility_id"], s["prescriber_id"]) == (unit["facility_id"], unit["prescriber_id"])]
        assert len(mine) == int(unit["upcoded"]) >= 0.35 * int(unit["episodes"])
        assert all(s["drg_code"][-1] in "13" for s in mine)  # the truth case is the up-coded stay itself


def test_a_drifting_institution_spreads_its_habit_over_its_doctors(drop):
    upcoded = _upcoded(drop)
    for unit in _units(drop, "institution", "drifting"):
        mine = [s for s in upcoded if s["facility_id"] == unit["facility_id"]]
        assert len(mine) == int(unit["upcoded"])
        per_doctor = Counter(s["prescriber_id"] for s in mine)
        assert len(per_doctor) >= 3 and max(per_doctor.values()) <= len(mine) / 2  # the office's habit, not one doctor's


def _supported(stay, by_patient, groups):
    """The record supports the upper group: a treated complication, a comorbidity seen elsewhere, or a long costly stay."""
    simple = groups[stay["drg_code"][:-1] + "5"]
    los = (date.fromisoformat(stay["discharged_on"]) - date.fromisoformat(stay["admitted_on"])).days
    seen = {s["diagnosis_code"] for s in by_patient[stay["patient_id"]] if s["settlement_id"] != stay["settlement_id"]}
    treated = len(stay["procedure_codes"].split(";")) > 1 or (stay["procedure_codes"] and stay["drg_code"][:3] in ("KS1", "GZ1"))
    long_costly = los > int(simple["max_los"]) and float(stay["total_amount"]) > 2 * float(simple["base_payment"])
    return treated or long_costly or bool(set(stay["secondary_diagnoses"].split(";")) & seen)


def test_look_alike_units_have_a_high_upper_share_that_the_records_support(drop):
    looks = {r["settlement_id"]: r["kind"] for r in drop.truth("drg_lookalikes")}
    groups = {g["drg_code"]: g for g in drop["drg_groups"]}
    cases_at = {r["facility_id"] for r in drop.truth("drg_cases")}
    by_patient: dict[str, list[dict[str, str]]] = {}
    for s in drop["settlements"]:
        by_patient.setdefault(s["patient_id"], []).append(s)
    for unit in _units(drop, "prescriber", "supported_case_mix") + _units(drop, "institution", "sicker_case_mix"):
        stays = [s for s in drop["settlements"] if looks.get(s["settlement_id"]) == unit["planted"]
                 and s["facility_id"] == unit["facility_id"]
                 and (unit["unit"] == "institution" or s["prescriber_id"] == unit["prescriber_id"])]
        assert len(stays) == int(unit["episodes"]) and unit["facility_id"] not in cases_at
        upper = [s for s in stays if s["drg_code"][-1] in "13"]
        assert len(upper) >= 0.4 * len(stays)
        assert all(_supported(s, by_patient, groups) for s in upper), unit
