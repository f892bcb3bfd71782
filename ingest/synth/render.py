"""Rendering internal tables as contract tables (Arrow, all text columns).

Column names and order follow data-contract.md section 1 exactly; optional
columns are always present, empty where a value is missing.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ringscope.ingest.synth import formats
from ringscope.ingest.synth import identifiers as ids
from ringscope.ingest.synth.facilities import KIND_TEXT, chain_code
from ringscope.ingest.synth.facts import KIND_TEXT as SETTLEMENT_KIND
from ringscope.ingest.synth.facts import Claims, Dispensings, Settlements
from ringscope.ingest.synth.population import NO_DAY
from ringscope.ingest.synth.world import World


class Renderer:
    """Caches the per-entity strings (facility IDs, ...) needed by every batch."""

    def __init__(self, world: World):
        self.world = world
        self.facility_id = ids.facility_ids(world.facilities, world.regions.code)

    # -- reference tables --------------------------------------------------
    def patients(self, index: np.ndarray, death_known_by: int) -> pa.Table:
        """Patients ``index``; a death is shown only if it happened before
        ``death_known_by`` (later drops bring the update)."""
        pop, reg = self.world.pop, self.world.regions
        death = pop.death_day[index]
        return pa.table({
            "patient_id": ids.patient_ids(index),
            "name": pop.name.take(pa.array(index)),
            "id_number": pop.id_number.take(pa.array(index)),
            "gender": formats.texts(np.where(pop.female[index], "F", "M")),
            "birth_date": formats.dates(pop.birth[index]),
            "region_code": formats.texts(reg.code[pop.county[index]]),
            "address": formats.texts(pop.address[index]),
            "phone": formats.integers(pop.phone[index], pop.phone[index] == 0),
            "insured_type": formats.texts(np.where(pop.employee[index], "employee", "resident")),
            "death_date": formats.dates(np.minimum(death, 10**6), death >= death_known_by),
        })

    def cards(self, index: np.ndarray, status_as_of: int) -> pa.Table:
        pop = self.world.pop
        cancelled = pop.card_cancelled_on[index] < status_as_of
        return pa.table({
            "card_id": ids.card_ids(index),
            "patient_id": ids.patient_ids(pop.card_holder[index]),
            "issued_on": formats.dates(pop.card_issued[index]),
            "status": formats.texts(np.where(cancelled, "cancelled", "active")),
        })

    def facilities(self) -> pa.Table:
        fac = self.world.facilities
        chain = np.array([chain_code(c) if c >= 0 else "" for c in range(fac.chain.max() + 1)] + [""])
        return pa.table({
            "facility_id": self.facility_id,
            "kind": formats.texts(KIND_TEXT[fac.category]),
            "name": formats.texts(fac.name),
            "region_code": formats.texts(self.world.regions.code[fac.county]),
            "level": formats.texts(fac.level, fac.level == ""),
            "chain_id": formats.texts(chain[fac.chain], fac.chain < 0),
        })

    def prescribers(self) -> pa.Table:
        fac = self.world.facilities
        n = len(fac.prescriber_facility)
        return pa.table({
            "prescriber_id": ids.prescriber_ids(np.arange(n)),
            "name": formats.texts(fac.prescriber_name),
            "facility_id": self.facility_id.take(pa.array(fac.prescriber_facility)),
            "specialty": formats.texts(fac.prescriber_specialty),
        })

    def drugs(self) -> pa.Table:
        cat = self.world.catalogue
        return pa.table({
            "drug_code": formats.texts(cat.drug_code),
            "name": formats.texts(cat.drug_name),
            "category": formats.texts(cat.category),
            "unit_price": formats.money(cat.unit_price_cents),
            "max_daily_units": formats.integers(cat.max_daily_units),
            "controlled": formats.texts(np.where(cat.controlled, "true", "false")),
            "units_per_box": formats.integers(cat.box_units),
        })

    def employers(self, index: np.ndarray) -> pa.Table:
        emp = self.world.employers
        agent = np.array(emp.agent, dtype=np.int64)[index]
        return pa.table({
            "employer_id": ids.employer_ids(index),
            "name": formats.texts(np.array(emp.name, dtype=object)[index]),
            "region_code": formats.texts(self.world.regions.code[np.array(emp.county)[index]]),
            "registered_on": formats.dates(np.array(emp.registered)[index]),
            "phone": formats.texts(np.array(emp.phone, dtype=object)[index]),
            "address": formats.texts(np.array(emp.address, dtype=object)[index]),
            "agent_id": ids.agent_ids(np.maximum(agent, 0), agent < 0),
        })

    def employments(self, index: np.ndarray, end_known_by: int) -> pa.Table:
        jobs = self.world.jobs
        end = np.array(jobs.end, dtype=np.int64)[index]
        return pa.table({
            "patient_id": ids.patient_ids(np.array(jobs.patient, dtype=np.int64)[index]),
            "employer_id": ids.employer_ids(np.array(jobs.employer, dtype=np.int64)[index]),
            "start_on": formats.dates(np.array(jobs.start, dtype=np.int64)[index]),
            "end_on": formats.dates(np.minimum(end, 10**6), end >= end_known_by),
            "salary_base": formats.money(np.array(jobs.salary, dtype=np.int64)[index]),
        })

    # -- facts ---------------------------------------------------------------
    def settlements(self, s: Settlements) -> pa.Table:
        return pa.table({
            "settlement_id": ids.settlement_ids(s.sid),
            "card_id": ids.card_ids(s.card),
            "facility_id": self.facility_id.take(pa.array(s.facility)),
            "settled_at": formats.datetimes(s.t),
            "total_amount": formats.money(s.total),
            "fund_paid": formats.money(s.fund),
            "patient_id": ids.patient_ids(np.maximum(s.patient, 0), s.patient < 0),
            "prescriber_id": ids.prescriber_ids(np.maximum(s.prescriber, 0), s.prescriber < 0),
            "kind": formats.texts(SETTLEMENT_KIND[s.kind]),
            "self_paid": formats.money(s.total - s.fund),
            "admitted_on": formats.dates(s.admitted, s.admitted < 0),
            "discharged_on": formats.dates(s.discharged, s.discharged < 0),
            "diagnosis_code": formats.take(self.world.catalogue.diagnosis_code, s.diag),
            "drg_code": formats.take(self.world.catalogue.drg_code, s.drg),
            "device_id": ids.device_ids(np.maximum(s.device, 0), s.device < 0),
            "operator_id": ids.operator_ids(np.maximum(s.operator, 0), s.operator < 0),
            **self._coding(s.sid),
        })

    def _coding(self, sid: np.ndarray) -> dict[str, pa.Array]:
        """Contract 1.1 ``secondary_diagnoses`` and ``procedure_codes`` of coded DRG episodes."""
        coding = self.world.drg_coding
        secondary = np.full(len(sid), "", dtype=object)
        procedures = np.full(len(sid), "", dtype=object)
        if coding:
            coded = np.fromiter(coding, dtype=np.int64)
            hit = np.flatnonzero(np.isin(sid, coded))
            for i in hit.tolist():
                secondary[i], procedures[i] = coding[int(sid[i])]
        return {"secondary_diagnoses": formats.texts(secondary, secondary == ""),
                "procedure_codes": formats.texts(procedures, procedures == "")}

    def dispensings(self, d: Dispensings) -> pa.Table:
        cat = self.world.catalogue
        return pa.table({
            "settlement_id": ids.settlement_ids(d.sid),
            "line_no": formats.integers(d.line),
            "drug_code": formats.take(cat.drug_code, d.drug),
            "quantity": formats.integers(d.qty),
            "amount": formats.money(d.amount),
            "trace_code": ids.trace_codes(d.drug, d.box, cat.trace_prefix),
            "days_supply": formats.integers(d.days_supply, d.days_supply < 0),
        })

    def claims(self, c: Claims) -> pa.Table:
        return pa.table({
            "claim_id": ids.claim_ids(c.claim),
            "patient_id": ids.patient_ids(c.patient),
            "employer_id": ids.employer_ids(c.employer),
            "claimed_on": formats.dates(c.claimed),
            "amount": formats.money(c.amount),
            "delivery_on": formats.dates(c.delivery),
            "salary_base": formats.money(c.salary_base),
        })


__all__ = ["Renderer", "NO_DAY"]
