"""``annexes.xlsx``: the annexes as a workbook a Chinese investigator opens in Excel or WPS.

Each sheet has two header rows: the Chinese column name, and beneath it the
contract's column name (what the CSV files and the province's platform use),
so the sheet reads in Chinese and still maps one-to-one onto the CSV.  Codes
are written in Chinese (药店, 住院, 卖药人, 参保人, 调查中; the explorer's
catalogue, ``app/messages``), dates and times are Excel dates, money and
counts are numbers (money with thousands separators and two decimals), and
each column is as wide as its longest cell (long texts wrap), so no member
list or evidence sentence is cut off on screen.  Every other cell is text;
one that starts like a formula carries Excel's quote prefix (``annexes``).

The workbook is reproducible: a fixed creation time, and xlsxwriter stamps
its zip entries with a constant date.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from ringscope.app.export import wording
from ringscope.app.i18n import Translator

FIXED_XLSX_TIME = dt.datetime(2000, 1, 1)
MAX_WIDTH = 60  # characters; longer cells wrap
WRAP_COLUMNS = frozenset({"text", "text_zh", "note", "address", "service", "facility_name", "employer_name",
                          "drug_name", "name"})
DATE_COLUMNS = frozenset({"settled_at", "admitted_on", "discharged_on", "claimed_on", "delivery_on", "issued_on",
                          "registered_on", "changed_at", "date", "birth_date", "death_date", "start_on"})
NUMBER_COLUMNS = frozenset({"line_no", "quantity", "days_supply", "trace_code_settlements", "seq", "count",
                            "n_settlements", "n_claims", "n_rows", "employees", "claims", "min_days"})

HEADERS_ZH = {
    "type": "类型", "id": "编号", "role": "角色", "name": "姓名/名称", "id_number": "身份证号", "gender": "性别",
    "birth_date": "出生日期", "region_code": "地区代码", "phone": "电话", "address": "地址", "kind": "类别",
    "holder_id": "持卡人编号", "holder_name": "持卡人", "status": "状态", "facility_id": "机构编号",
    "specialty": "专业", "registered_on": "注册日期", "agent_id": "代办机构", "n_settlements": "结算笔数",
    "fund_paid": "统筹支付（元）", "n_claims": "津贴笔数", "claims_amount": "津贴金额（元）",
    "loss_involved": "涉及金额（元）", "settlement_id": "结算编号", "settled_at": "结算时间", "card_id": "医保凭证",
    "card_holder_id": "持卡人编号", "patient_id": "参保人编号", "patient_name": "参保人", "facility_name": "机构名称",
    "facility_kind": "机构类别", "prescriber_id": "医师编号", "device_id": "设备编号", "operator_id": "操作员",
    "admitted_on": "入院日期", "discharged_on": "出院日期", "diagnosis_code": "诊断编码", "drg_code": "DRG 分组",
    "total_amount": "总金额（元）", "self_paid": "个人支付（元）", "line_no": "行号", "drug_code": "药品编码",
    "drug_name": "药品名称", "quantity": "数量", "days_supply": "用药天数", "amount": "金额（元）",
    "trace_code": "追溯码", "trace_code_settlements": "该追溯码报销笔数", "claim_id": "申领编号",
    "claimed_on": "申领日期", "employer_id": "用人单位编号", "employer_name": "用人单位", "delivery_on": "分娩日期",
    "salary_base": "缴费基数（元）", "evidence_no": "证据编号", "source": "来源", "basis": "明细范围",
    "n_rows": "明细笔数", "text": "英文表述", "text_zh": "证据表述", "evidence_kind": "证据类别",
    "record_type": "记录类型", "record_id": "交易编号", "date": "日期", "service": "诊疗/药品", "seq": "顺序",
    "in_ring": "属本团伙", "level": "汇总层级", "count": "笔数", "changed_at": "时间", "changed_by": "操作人",
    "from_status": "原状态", "to_status": "新状态", "assignee": "负责人", "note": "备注",
    "paid_group": "支付分组", "supported_group": "依据分组", "difference": "差额（元）", "violation": "违规类型",
}

_ZH = Translator("zh")
_CODE_ZH = {
    "source": {"detection": "检测依据", "data": "数据核查"},
    "basis": {"fact": "符合该事实的结算", "listed": "该项所列交易", "ring": "本团伙全部交易"},
    "record_type": {"settlement": "结算", "claim": "生育津贴申领"},
    "in_ring": {"yes": "是", "no": "否"},
    "level": {"total": "合计", "settlements": "结算", "claims": "生育津贴", "per_facility": "按机构",
              "per_member": "按成员"},
}


def zh_code(column: str, value: str) -> str:
    """A code cell in Chinese (the code itself when the catalogue does not know it)."""
    if column in _CODE_ZH:
        return _CODE_ZH[column].get(value, value)
    if column == "type":
        return wording.entity_name(value, "zh")
    if column == "role":
        return wording.role_name(value, "zh")
    if column in ("status", "from_status", "to_status"):
        return _ZH.maybe(f"status.{value}", _ZH.maybe(f"value.{value}", value))
    if column in ("kind", "facility_kind", "gender", "insured_type", "service"):
        return _ZH.maybe(f"value.{value}", value)
    return value


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def as_date(text: str) -> dt.datetime | None:
    """An ISO date or time (any zone dropped: times are already in China Standard Time) or None."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=None)


def _number(text: str) -> float | None:
    return float(text) if re.fullmatch(r"-?\d+(?:\.\d+)?", text) else None


class _Formats:
    def __init__(self, wb: Any):
        self.head = wb.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True})
        self.contract = wb.add_format({"italic": True, "font_color": "#666666", "bg_color": "#F2F2F2", "border": 1})
        self.money = wb.add_format({"num_format": "#,##0.00"})
        self.count = wb.add_format({"num_format": "#,##0"})
        self.day = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.time = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.quoted = wb.add_format({"quote_prefix": True})
        self.quoted_wrap = wb.add_format({"quote_prefix": True, "text_wrap": True, "valign": "top"})


def _cell(ws: Any, r: int, c: int, name: str, value: Any, money: bool, f: _Formats,
          write_text: Callable[..., None]) -> str:
    """Write one cell as the right type; returns what it shows (for the column width)."""
    text = f"{value:.2f}" if isinstance(value, Decimal) else str(value)
    if money:
        amount = float(Decimal(text))
        ws.write_number(r, c, amount, f.money)
        return f"{amount:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool) or name in NUMBER_COLUMNS and _number(text) is not None:
        ws.write_number(r, c, float(text) if "." in text else int(text), f.count)
        return f"{float(text):,.0f}"
    when = as_date(text) if name in DATE_COLUMNS else None
    if when is not None:
        timed = "T" in text or " " in text.strip()
        ws.write_datetime(r, c, when, f.time if timed else f.day)
        return "2026-01-01 00:00:00" if timed else "2026-01-01"
    shown = zh_code(name, text)
    wrap = name in WRAP_COLUMNS
    write_text(ws, r, c, shown, f.quoted_wrap if wrap else f.quoted, f.wrap if wrap else None)
    return shown


def write_sheet(wb: Any, f: _Formats, name: str, columns: tuple[str, ...], money: frozenset[str],
                rows: Iterable[dict[str, Any]], write_text: Callable[..., None]) -> None:
    """One annex as a sheet: Chinese header, contract header beneath, typed cells, fitted widths."""
    ws = wb.add_worksheet(name)
    widths = [max(display_width(HEADERS_ZH.get(c, c)), len(c)) for c in columns]
    for col, column in enumerate(columns):
        ws.write_string(0, col, HEADERS_ZH.get(column, column), f.head)
        ws.write_string(1, col, column, f.contract)
    r = 1
    for r, row in enumerate(rows, 2):
        for col, column in enumerate(columns):
            value = row.get(column)
            if value is None or value == "":
                continue
            shown = _cell(ws, r, col, column, value, column in money, f, write_text)
            widths[col] = max(widths[col], max(display_width(line) for line in shown.split("\n")))
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(width + 2, MAX_WIDTH))
    ws.freeze_panes(2, 0)
    if r > 1:
        ws.autofilter(1, 0, r, len(columns) - 1)


def write_workbook(out: Path, title: str, sheets: Iterable[tuple[str, tuple[str, ...], frozenset[str],
                                                                   Iterable[dict[str, Any]]]],
                   write_text: Callable[..., None]) -> None:
    """Every sheet into ``out``; ``write_text(ws, row, col, text, fmt)`` writes a text cell safely."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    wb.set_properties({"title": title, "author": "RingScope", "created": FIXED_XLSX_TIME})
    f = _Formats(wb)
    for name, columns, money, rows in sheets:
        write_sheet(wb, f, name, columns, money, rows, write_text)
    wb.close()
