"""A planted DRG episode is the patient's whole inpatient care over its days: no other stay of the
same patient, whichever stream wrote it, overlaps a planted case or look-alike settlement.

The planter writes before the background draws its everyday stays; without a guard a look-alike's
out-of-pocket purchase fell inside a background stay elsewhere (a patient buying at a pharmacy
while admitted), and the patient cost-shifting screen rightly flagged it.  Audits over the CSVs
and truth of generated drops, independent of any detector.
"""
from __future__ import annotations

import duckdb
import pytest

from tests.generated import shared_drop

PLANTED_DAYS = """
    create temp table planted as
    select s.patient_id, s.settlement_id, s.kind, t.what, t.source,
           coalesce(s.admitted_on::date, s.settled_at[:10]::date) as first_day,
           coalesce(s.discharged_on::date, s.settled_at[:10]::date) as last_day
    from settlements s join (
        select settlement_id, kind as what, 'look-alike' as source from lookalikes
        union all select settlement_id, violation, 'case' from cases) t using (settlement_id)"""
"""Every settlement of ``truth/drg_lookalikes.csv`` and ``truth/drg_cases.csv`` with its days."""
OTHER_STAYS_OVER_PLANTED = """
    select p.source, p.what, p.settlement_id, o.settlement_id, o.kind, p.first_day, p.last_day,
           o.admitted_on, o.discharged_on
    from planted p join settlements o
      on o.patient_id = p.patient_id and o.admitted_on is not null
     and o.settlement_id not in (select settlement_id from planted)
     and o.admitted_on::date <= p.last_day and p.first_day <= o.discharged_on::date
    order by p.settlement_id"""


@pytest.fixture(scope="module", params=[(3_000, 11), (20_000, 31)], ids=["3k-s11", "20k-s31"])
def con(request, tmp_path_factory):
    patients, seed = request.param
    folder = shared_drop(tmp_path_factory, patients, seed).folder  # read only; shared with the synth audits
    db = duckdb.connect()
    db.execute(f"create view settlements as select * from read_csv('{folder}/settlements.csv', all_varchar=true)")
    db.execute(f"create view lookalikes as select * from read_csv('{folder}/truth/drg_lookalikes.csv', all_varchar=true)")
    db.execute(f"create view cases as select * from read_csv('{folder}/truth/drg_cases.csv', all_varchar=true)")
    db.execute(PLANTED_DAYS)
    yield db
    db.close()


def test_no_other_stay_of_the_patient_overlaps_a_planted_drg_settlement(con):
    assert con.execute(OTHER_STAYS_OVER_PLANTED).fetchall() == []


def test_the_overlap_audit_sees_a_purchase_inside_a_stay(con):
    """The audit's own check: a look-alike's chronic refill bought during its own stay is found inside it."""
    inside = con.execute("""
        select count(*) from planted buy join planted stay
          on stay.patient_id = buy.patient_id and stay.kind = 'inpatient' and buy.kind = 'pharmacy'
         and stay.what = 'purchases_around_stay' and buy.what = 'purchases_around_stay'
         and stay.first_day <= buy.first_day and buy.first_day < stay.last_day""").fetchall()[0][0]
    assert inside > 0
