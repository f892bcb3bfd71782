"""Hand-built contract tables for detector tests: a few rows, typed like the store's."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterable

import duckdb

from ringscope.analytics.contract_tables import sql_type
from ringscope.ingest.contract import TABLES


def make_con(**tables: Iterable[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with every contract table; ``tables`` fills some of them."""
    con = duckdb.connect()
    for name, spec in TABLES.items():
        cols = ", ".join(f"{c.name} {sql_type(c.kind)}" for c in spec.columns)
        con.execute(f"CREATE TABLE {name} ({cols}, _extra VARCHAR)")
        data = list(tables.get(name, []))
        if data:
            names = [c.name for c in spec.columns]
            con.executemany(
                f"INSERT INTO {name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                [[row.get(n) for n in names] for row in data],
            )
    return con


class World:
    """Builder of small worlds: people, cards, facilities and their settlements."""

    def __init__(self) -> None:
        self.t: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self._sid = 0

    def patient(self, pid: str, region: str = "110101", **kw: Any) -> str:
        row = {"patient_id": pid, "region_code": region, "gender": kw.pop("gender", "F"),
               "birth_date": kw.pop("birth_date", date(1950, 1, 1)), "address": kw.pop("address", f"addr-{pid}")}
        row.update(kw)
        self.t["patients"].append(row)
        self.t["cards"].append({"card_id": f"C{pid}", "patient_id": pid})
        return pid

    def facility(self, fid: str, kind: str = "hospital", region: str = "110101", **kw: Any) -> str:
        self.t["facilities"].append(dict({"facility_id": fid, "kind": kind, "region_code": region}, **kw))
        return fid

    def prescriber(self, did: str, facility: str) -> str:
        self.t["prescribers"].append({"prescriber_id": did, "facility_id": facility})
        return did

    def drug(self, code: str, max_daily: float = 1.0, price: float = 10.0) -> str:
        self.t["drugs"].append({"drug_code": code, "max_daily_units": max_daily, "unit_price": price})
        return code

    def settle(self, pid: str, facility: str, at: datetime, fund: float = 100.0, total: float | None = None,
               self_paid: float | None = None, lines: Iterable[dict[str, Any]] = (), **kw: Any) -> str:
        self._sid += 1
        sid = f"S{self._sid:06d}"
        total = fund * 1.4 if total is None else total
        row = {"settlement_id": sid, "card_id": kw.pop("card_id", f"C{pid}"), "patient_id": pid,
               "facility_id": facility, "settled_at": at, "total_amount": round(total, 2), "fund_paid": round(fund, 2),
               "self_paid": round(total - fund, 2) if self_paid is None else self_paid, "kind": kw.pop("kind", "outpatient")}
        row.update(kw)
        self.t["settlements"].append(row)
        for i, line in enumerate(lines, start=1):
            self.t["dispensings"].append(dict({"settlement_id": sid, "line_no": i, "amount": 10.0}, **line))
        return sid

    def con(self) -> duckdb.DuckDBPyConnection:
        return make_con(**self.t)


def day(n: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute) + timedelta(days=n)


def tuned(section: str, **values: Any):
    """Default detection settings with ``values`` set in one section (``car_shuttle``, ...)."""
    from dataclasses import replace

    from ringscope.analytics.settings import DetectionSettings

    settings = DetectionSettings()
    return settings.with_section(section, replace(getattr(settings, section), **values))


def crowd(world: World, facility: str, n: int = 40, visits: int = 6, span_days: int = 90, region: str = "440101",
          fund: float = 60.0, seed: int = 1, prefix: str = "crowd", **kw: Any) -> list[str]:
    """``n`` unrelated patients of ``facility`` each visiting alone ``visits`` times, at random
    days and opening hours (08:00-17:00): the facility's ordinary volume and baseline."""
    import random

    rnd = random.Random(seed)
    people = [world.patient(f"{prefix}{facility}{i}", region=region) for i in range(n)]
    for pid in people:
        for _ in range(visits):
            at = day(rnd.randrange(span_days), rnd.randrange(8, 17), rnd.randrange(60))
            world.settle(pid, facility, at, fund=fund, diagnosis_code="J06.9", **kw)
    return people


def batch(world: World, people: Iterable[str], facility: str, at: datetime, gap_minutes: int = 4,
          **kw: Any) -> list[str]:
    """One batch: the cards of ``people`` settled one after another, ``gap_minutes`` apart."""
    return [world.settle(pid, facility, at + timedelta(minutes=gap_minutes * i), **kw)
            for i, pid in enumerate(people)]


def honest_practices(world: World, drug: str, practices: int = 5, tag: str = "") -> None:
    """One ordinary prescriber in each of ``practices`` practices; three patients each refill
    ``drug`` on time (30 units every 30 days) at pharmacies spread over the city."""
    for k in range(3):
        if f"PX{k}" not in {f["facility_id"] for f in world.t["facilities"]}:
            world.facility(f"PX{k}", "pharmacy")
    for h in range(practices):
        world.facility(f"HH{tag}{h}", "hospital")
        doc = world.prescriber(f"DOC{tag}{h}", f"HH{tag}{h}")
        for p in range(3):
            pid = world.patient(f"Q{tag}{h}{p}")
            for m in range(4):
                world.settle(pid, f"PX{(p + m) % 3}", day(m * 30), prescriber_id=doc, kind="pharmacy",
                             lines=[{"drug_code": drug, "quantity": 30}])



def repeat_fills(world: World, doc: str, pid: str, place: str, drug: str, quantity: float, every: int,
                 fills: int, start: int = 0, kind: str = "pharmacy") -> None:
    """``fills`` fills of ``quantity`` units of ``drug`` written by ``doc``, one every ``every`` days."""
    for m in range(fills):
        world.settle(pid, place, day(start + m * every), prescriber_id=doc, kind=kind,
                     lines=[{"drug_code": drug, "quantity": quantity}])


def pushing_ring(world: World, docs: list[str], practice: str, pharmacy: str, prefix: str, drug: str = "D1",
                 patients: int = 4, quantity: float = 60, every: int = 15, fills: int = 8) -> list[str]:
    """``docs`` at ``practice`` push ``drug`` (``quantity`` units every ``every`` days) to
    ``patients`` patients, all filled at ``pharmacy``."""
    world.facility(practice, "hospital")
    world.facility(pharmacy, "pharmacy")
    for d in docs:
        world.prescriber(d, practice)
    out = [world.patient(f"{prefix}{i}") for i in range(patients)]
    for i, pid in enumerate(out):
        repeat_fills(world, docs[i % len(docs)], pid, pharmacy, drug, quantity, every, fills)
    return out


def high_dose_practices(world: World, drug: str, tag: str, practices: int = 6) -> None:
    """Ordinary practices that all give about 2.2x ``drug``'s listed maximum (66 units every
    30 days; the listing is off): one doctor each, four patients filling at the practice's own
    pharmacy. What every practice does is the drug's usual dose, not a scheme."""
    for h in range(practices):
        world.facility(f"HM{tag}{h}", "hospital")
        world.facility(f"PM{tag}{h}", "pharmacy")
        doc = world.prescriber(f"DM{tag}{h}", f"HM{tag}{h}")
        for p in range(4):
            repeat_fills(world, doc, world.patient(f"M{tag}{h}{p}"), f"PM{tag}{h}", drug, 66, 30, 5)
