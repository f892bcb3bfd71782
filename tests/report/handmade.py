"""Hand-made weekly runs for report tests: two weeks, every kind of change.

Week 1: R-000001 (trace_resale, 4 patients + pharmacy), R-000002 and
R-000003 (borrowed cards, two pools), R-000004 (maternity, will dissolve).
Week 2: R-000001 grown by two patients, R-000002 absorbs R-000003 (merged),
R-000004 gone (dissolved), R-000005 new (over-prescription).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb

from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.app.weekly import history_rows
from ringscope.graph.catalogue import ensure_schema
from ringscope.graph.ring_history import WeekRun, previous_week, record_week, week_members

PATIENT_NAMES = {f"P{i:03d}": n for i, n in enumerate(
    ["张三丰", "李四光", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑十一", "冯十二",
     "陈十三", "褚十四", "卫十五", "蒋十六", "沈十七", "韩十八"], start=1)}


def ring(rid, scheme, members, loss, evidence_zh="同一追溯码被重复报销", phone=None):
    person = PATIENT_NAMES.get(next((i for t, i, _r in reversed(members) if t == "patient"), ""), "")
    text = f"Boxes resold by {person}"
    if phone:
        text += f", phone {phone}"
    return Ring(
        scheme=scheme, members=[Member(t, i, role) for t, i, role in members], ring_id=rid,
        settlement_ids=[f"S{rid}-{k}" for k in range(3)], fund_loss=Decimal(str(loss)), score=0.9,
        evidence=[Evidence("duplicate_trace_code", text, evidence_zh + f"（{person}）")],
    )


def pats(*ids, role="member"):
    return [("patient", f"P{i:03d}", role) for i in ids]


def cards(*ids):
    return [("card", f"C{i:03d}", "member") for i in ids]


WEEK1 = [
    ring("R-000001", "trace_resale", [("facility", "F01", "reseller")] + pats(1, 2, 3, 4, role="seller"), 12000.5,
         phone="13812345678"),
    ring("R-000002", "borrowed_cards", cards(1, 2, 3, 4), 5000),
    ring("R-000003", "borrowed_cards", cards(5, 6, 7), 3000),
    ring("R-000004", "maternity", [("employer", "E01", "shell")] + pats(9, 10), 40000),
]
WEEK2 = [
    ring("R-000001", "trace_resale", [("facility", "F01", "reseller")] + pats(1, 2, 3, 4, 5, 6, role="seller"), 20000,
         phone="13812345678"),
    ring("R-000002", "borrowed_cards", cards(1, 2, 3, 4, 5, 6, 7), 9500),
    ring("R-000005", "over_prescription", [("prescriber", "D01", "prescriber")] + pats(1, 12, 13) + [("facility", "F02", "pharmacy")], 7000,
         evidence_zh="超过每日最大用量", phone="13812345678"),
]


def load_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con)
    con.execute("INSERT INTO facilities (facility_id, kind, name, region_code) VALUES "
                "('F01', 'pharmacy', '仁和大药房', '420102'), ('F02', 'pharmacy', '百姓药房', '440103')")
    con.execute("INSERT INTO employers (employer_id, name, region_code) VALUES ('E01', '某某商贸有限公司', '510104')")
    con.execute("INSERT INTO prescribers (prescriber_id, name, facility_id) VALUES ('D01', '刘医生', 'F02')")
    for pid, name in PATIENT_NAMES.items():
        con.execute("INSERT INTO patients (patient_id, name, region_code, phone, id_number) VALUES (?, ?, '420102', '13900001111', '110101199003074514')",
                    [pid, name])
    for i in range(1, 8):
        con.execute("INSERT INTO cards (card_id, patient_id) VALUES (?, ?)", [f"C{i:03d}", f"P{i:03d}"])


def record(con: duckdb.DuckDBPyConnection, week: str, rings, as_of: datetime) -> None:
    prev = previous_week(con, week)
    previous = week_members(con, prev) if prev else {}
    rows, lineage, _evo = history_rows(rings, previous)
    record_week(con, WeekRun(week=week, run_id=f"run-{week}", previous_week=prev, data_as_of=as_of), rows, lineage,
                recorded_at=as_of)


def two_weeks(con: duckdb.DuckDBPyConnection) -> None:
    load_catalogue(con)
    record(con, "2026-W46", WEEK1, datetime(2026, 11, 15, 20, 0))
    record(con, "2026-W47", WEEK2, datetime(2026, 11, 22, 20, 0))
