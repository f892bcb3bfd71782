"""Which DRG screens can see anything in this data (contract 1.1 inputs are optional).

A drop without ``drg_groups`` or without secondary diagnoses and procedures is a valid drop;
the screens then find nothing, and that must read as "blind", not "clean" (the same idea as
``analytics.data_coverage`` for the ring detectors).
"""
from __future__ import annotations

import duckdb

from ringscope.analytics.data_coverage import Gap, _filled
from ringscope.analytics.schemes import Need

# (screen, what it needs): the DRG screens are not ring schemes, so they are listed here, not registered.
DRG_NEEDS: tuple[tuple[str, Need], ...] = (
    ("split_admission", Need("drg_groups", "adrg IS NOT NULL", "drg_groups",
         "there is no DRG group catalogue (drg_groups), so no related readmission, normal stay or payment can be read",
         "没有 DRG 分组目录（drg_groups），无法判断相关再入院、正常住院日和支付标准")),
    ("split_admission", Need("settlements", "admitted_on IS NOT NULL AND discharged_on IS NOT NULL",
         "settlements.admitted_on / discharged_on",
         "no settlement has admission and discharge dates, so no stay can be seen",
         "结算记录中没有入院和出院日期，无法识别住院")),
    ("up_coding", Need("drg_groups", "weight IS NOT NULL", "drg_groups.weight",
         "no DRG group has a weight, so no group ranks above another within an ADRG",
         "DRG 分组目录中没有权重，无法比较同一 ADRG 内各组的高低")),
    ("up_coding", Need("settlements", "secondary_diagnoses IS NOT NULL", "settlements.secondary_diagnoses",
         "no settlement lists secondary diagnoses, so no complication can be checked against the record",
         "结算记录中没有次要诊断，无法核对并发症是否有依据")),
    ("up_coding", Need("settlements", "procedure_codes IS NOT NULL", "settlements.procedure_codes",
         "no settlement lists procedures, so no complication can be checked for treatment",
         "结算记录中没有手术操作编码，无法核对并发症是否有相应治疗")),
    ("cost_shifting", Need("dispensings", "drug_code IS NOT NULL", "dispensings",
         "there are no dispensing lines, so no stay's drugs can be found on outpatient settlements",
         "没有药品明细，无法发现住院药品被转到门诊结算")),
    ("cost_shifting", Need("settlements", "self_paid IS NOT NULL", "settlements.self_paid",
         "no settlement records what the patient paid, so no cost shifted to the patient can be seen",
         "结算记录中没有个人自付金额，无法发现费用转嫁给参保人")),
)


def drg_coverage_gaps(con: duckdb.DuckDBPyConnection) -> list[Gap]:
    """The inputs each DRG screen depends on that are empty here (an empty table counts as empty)."""
    gaps = []
    for screen, need in DRG_NEEDS:
        _rows, filled = _filled(con, need)
        if not filled:
            gaps.append(Gap(screen, need.label, need.why, need.why_zh))
    return gaps
