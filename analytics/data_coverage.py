"""Which detectors can see anything in this data.

The contract makes many columns optional, and another system's export may
leave out exactly the one a detector lives on: without trace codes no resold
box can be seen.  Other inputs only feed one indication among several
(operator or device ids for rented cards, self-paid amounts for waived
fees): without them the detector still finds rings, with less confidence.
A run that then reports no rings of that kind would read as "none found"
when the detector was blind or half-blind.  :func:`coverage_gaps` names, per
scheme, the inputs that are missing, so the CLI and the weekly job can say
so next to the rings.

The inputs are a fixed list in code (table, predicate), so every identifier
in the SQL below comes from this module, never from the data or the user.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Need:
    """One input a scheme depends on: rows of ``table`` where ``condition`` holds
    (a fixed predicate written here; ``label`` names it for the reader)."""

    scheme: str
    table: str
    condition: str
    label: str
    why: str
    why_zh: str


NEEDS: tuple[Need, ...] = (
    Need("trace_resale", "dispensings", "trace_code IS NOT NULL", "dispensings.trace_code",
         "no dispensing line carries a trace code, so no box reimbursed twice can be seen",
         "药品明细中没有追溯码，无法发现同一盒药被重复报销"),
    Need("borrowed_cards", "settlements", "operator_id IS NOT NULL OR device_id IS NOT NULL",
         "settlements.operator_id / device_id",
         "no settlement names its operator or device: card pools are still found from cards settled minutes "
         "apart at one place, but gang phones and one clerk's batches cannot back them, so small pools may be missed",
         "结算记录中没有经办人或设备编号：仍可根据同一机构几分钟内连续结算发现医保卡池，"
         "但无法用团伙手机或同一经办人批量刷卡加以印证，小的卡池可能漏检"),
    Need("borrowed_cards", "patients", "region_code IS NOT NULL OR death_date IS NOT NULL OR birth_date IS NOT NULL",
         "patients.region_code / death_date / birth_date",
         "holders have no region, death or birth date, so no card shows a misuse sign",
         "参保人缺少地区、死亡日期和出生日期，无法判断医保卡是否被冒用"),
    Need("car_shuttle", "settlements", "admitted_on IS NOT NULL OR kind = 'inpatient'",
         "settlements.admitted_on / kind",
         "no settlement is marked as an inpatient stay, so no joint admission can be seen",
         "结算记录中没有住院标记或入院日期，无法发现集体住院"),
    Need("car_shuttle", "settlements", "self_paid IS NOT NULL", "settlements.self_paid",
         "no settlement says what the patient paid: bussed cohorts are still found from repeated joint "
         "admissions, but waived fees cannot back them, so weak cohorts may be missed",
         "结算记录中没有个人自付金额：仍可根据反复集体住院发现包车团伙，但无法用减免自付费用加以印证，"
         "证据较弱的团伙可能漏检"),
    Need("over_prescription", "drugs", "max_daily_units > 0", "drugs.max_daily_units",
         "no drug has a maximum daily dose, so no supply can be measured against it",
         "药品目录中没有最大日用量，无法判断是否超量开药"),
    Need("over_prescription", "settlements", "prescriber_id IS NOT NULL", "settlements.prescriber_id",
         "no settlement names its prescriber, so no prescriber can be linked to a surplus",
         "结算记录中没有开方医师，无法把超量药品与医师关联"),
    Need("maternity", "maternity_claims", "claim_id IS NOT NULL", "maternity_claims",
         "there are no maternity claims",
         "没有生育津贴申领记录"),
    Need("maternity", "employments", "salary_base IS NOT NULL", "employments.salary_base",
         "no employment has a salary base, so no inflated salary can be seen",
         "参保关系中没有缴费基数，无法发现虚高工资"),
)


@dataclass(frozen=True)
class Gap:
    scheme: str
    label: str
    why: str
    why_zh: str

    def reason(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.why_zh}（{self.label} 为空）。"
        return f"{self.why} ({self.label} empty)."

    def text(self, lang: str = "zh") -> str:
        return f"{self.scheme}{'：' if lang == 'zh' else ': '}{self.reason(lang)}"


def _filled(con: duckdb.DuckDBPyConnection, need: Need) -> tuple[bool, bool]:
    """(any rows, any row meeting the condition); table and condition come from NEEDS only.

    Each stops at the first row found, so the check costs nothing where the input is there
    (the explorer runs it on every page view) and one scan where it is missing.
    """
    row = con.execute(f'SELECT EXISTS (SELECT 1 FROM "{need.table}"), '
                      f'EXISTS (SELECT 1 FROM "{need.table}" WHERE {need.condition})').fetchall()[0]
    return bool(row[0]), bool(row[1])


def coverage_gaps(con: duckdb.DuckDBPyConnection, schemes: tuple[str, ...] | list[str] | None = None) -> list[Gap]:
    """The inputs each of ``schemes`` depends on that are empty in this data.

    ``schemes`` None means every scheme.  An empty table with no rows at all is a gap only for the maternity claims
    (no claims, nothing to judge); for the others an empty catalogue means an
    empty run, which says so by itself.
    """
    gaps: list[Gap] = []
    for need in NEEDS:
        if schemes is not None and need.scheme not in schemes:
            continue
        has_rows, filled = _filled(con, need)
        if not filled and (has_rows or need.table == "maternity_claims"):
            gaps.append(Gap(need.scheme, need.label, need.why, need.why_zh))
    return gaps
