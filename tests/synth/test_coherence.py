"""Every true ring is one observable operation: its listed members are linked
in the data by the scheme's own behaviour (contract section 2: the members
are the entities that took part), and unmerged rings of a scheme share no
practice, pharmacy, institution or device.  These are audits over the CSVs
and truth of generated drops, independent of any detector."""
from __future__ import annotations

from collections import defaultdict

import duckdb
import pytest

from tests.generated import shared_drop

TABLES = ("settlements", "cards", "dispensings", "employers", "maternity_claims", "prescribers", "facilities")


@pytest.fixture(scope="module", params=[(3_000, 11), (12_000, 23), (20_000, 31)], ids=["3k-s11", "12k-s23", "20k-s31"])
def con(request, tmp_path_factory):
    patients, seed = request.param
    folder = shared_drop(tmp_path_factory, patients, seed).folder  # read only; 3k-s11 and 20k-s31 are shared
    db = duckdb.connect()
    for t in TABLES:
        db.execute(f"create view {t} as select * from read_csv('{folder}/{t}.csv', all_varchar=true)")
    db.execute(f"create view rings as select * from read_csv('{folder}/truth/rings.csv', all_varchar=true)")
    db.execute(f"create view ring_variants as select * from read_csv('{folder}/truth/ring_variants.csv', all_varchar=true)")
    db.execute(f"""create view variants as select distinct listed_as as ring_id, unnest(string_split(variants, ';')) as variant
                   from read_csv('{folder}/truth/ring_variants.csv', all_varchar=true) where variants is not null""")
    db.execute("""create temp table box as select s.patient_id, s.facility_id, s.settled_at, d.trace_code
                  from settlements s join dispensings d using (settlement_id) where d.trace_code is not null""")
    yield db
    db.close()


def _one(con, sql):
    return con.execute(sql).fetchall()[0][0]


def _ring_card_uses(con) -> None:
    """Table ``bc``: every settlement of a borrowed_cards ring's card, with its ring and epoch."""
    con.execute("""create or replace temp table bc as select s.*, r.ring_id,
        epoch(strptime(s.settled_at, '%Y-%m-%dT%H:%M:%S')) ts from settlements s
        join rings r on r.scheme = 'borrowed_cards' and r.entity_type = 'card' and r.entity_id = s.card_id""")


def _ring_admissions(con) -> None:
    """Table ``cs``: every car_shuttle ring patient's admission at the ring's institution."""
    con.execute("""create or replace temp table cs as select s.*, r.ring_id from settlements s
        join rings r on r.scheme = 'car_shuttle' and r.entity_type = 'patient' and r.entity_id = s.patient_id
        join rings f on f.ring_id = r.ring_id and f.entity_type = 'facility' and f.entity_id = s.facility_id
        where s.kind = 'inpatient'""")


def test_no_entity_is_listed_in_two_rings_of_a_scheme(con):
    # except an institution or pharmacy that a ring shares on purpose (its variant), listed by both
    shared = con.execute("""select scheme, entity_type, entity_id from rings r group by all
                            having count(distinct ring_id) > 1 and not (entity_type = 'facility' and bool_or(
                              exists (select 1 from variants v where v.ring_id = r.ring_id
                                      and v.variant in ('shared_institution', 'shared_pharmacy'))))""").fetchall()
    assert shared == []


def test_unmerged_rings_share_no_facility_or_prescriber_in_the_data(con):
    # over_prescription: no prescriber writes ring prescriptions for two rings' patients
    rows = con.execute("""select s.prescriber_id, count(distinct r.ring_id) from settlements s
        join rings r on r.scheme = 'over_prescription' and r.entity_type = 'patient' and r.entity_id = s.patient_id
        join rings p on p.ring_id = r.ring_id and p.entity_type = 'prescriber' and p.entity_id = s.prescriber_id
        group by 1 having count(distinct r.ring_id) > 1""").fetchall()
    assert rows == []


def test_every_trace_resale_seller_has_a_box_resettled_by_the_ring(con):
    tr = "(select * from rings where scheme = 'trace_resale')"
    sellers = _one(con, f"select count(*) from {tr} where entity_type = 'patient'")
    assert sellers > 0
    orphans = _one(con, f"""select count(*) from {tr} m where entity_type = 'patient' and not exists (
        select 1 from box a join box b on a.trace_code = b.trace_code and b.settled_at > a.settled_at
        join {tr} f on f.ring_id = m.ring_id and f.entity_type = 'facility' and f.entity_id = b.facility_id
        where a.patient_id = m.entity_id)""")
    assert orphans == 0
    idle = _one(con, f"""select count(*) from {tr} m where entity_type = 'facility' and not exists (
        select 1 from box a join box b on a.trace_code = b.trace_code and b.settled_at > a.settled_at
        join {tr} p on p.ring_id = m.ring_id and p.entity_type = 'patient' and p.entity_id = a.patient_id
        where b.facility_id = m.entity_id)""")
    assert idle == 0


def test_every_borrowed_card_is_used_in_gang_sessions_on_two_days(con):
    # per holder: a card reissued while the gang holds it goes on in the holder's sessions
    _ring_card_uses(con)
    lonely = _one(con, """select count(*) from (select r.ring_id, r.patient_id, (
          select count(distinct a.settled_at[1:10]) from bc a join bc b on a.ring_id = b.ring_id
          and a.facility_id = b.facility_id and a.card_id <> b.card_id
          and (a.operator_id = b.operator_id or a.operator_id is null or b.operator_id is null)
          and abs(a.ts - b.ts) <= 1500 where a.patient_id = r.patient_id and a.ring_id = r.ring_id) n
        from (select distinct r.ring_id, c.patient_id from rings r join cards c on c.card_id = r.entity_id
              where r.scheme = 'borrowed_cards' and r.entity_type = 'card') r) where n < 2""")
    assert lonely == 0


def test_every_shuttled_patient_is_coadmitted_with_the_cohort_twice(con):
    _ring_admissions(con)
    once = _one(con, """select count(*) from (select r.ring_id, r.entity_id, (
          select count(distinct a.admitted_on) from cs a join cs b on a.ring_id = b.ring_id
          and a.facility_id = b.facility_id and a.admitted_on = b.admitted_on and a.patient_id <> b.patient_id
          where a.patient_id = r.entity_id and a.ring_id = r.ring_id) n
        from rings r where scheme = 'car_shuttle' and entity_type = 'patient') where n < 2""")
    assert once == 0


def test_over_prescription_members_are_linked_and_local(con):
    op = "(select * from rings where scheme = 'over_prescription')"
    assert _one(con, f"""select count(*) from {op} m where entity_type = 'patient' and not exists (
        select 1 from settlements s join {op} p on p.ring_id = m.ring_id and p.entity_type = 'prescriber'
        and p.entity_id = s.prescriber_id where s.patient_id = m.entity_id)""") == 0
    assert _one(con, f"""select count(*) from {op} m where entity_type = 'facility' and not exists (
        select 1 from settlements s join {op} p on p.ring_id = m.ring_id and p.entity_type = 'prescriber'
        and p.entity_id = s.prescriber_id join {op} q on q.ring_id = m.ring_id and q.entity_type = 'patient'
        and q.entity_id = s.patient_id where s.facility_id = m.entity_id)""") == 0
    # a ring's practice and pharmacies are in one city (prefecture code), two for a multi-city ring
    spread = dict(con.execute(f"""select m.ring_id, count(distinct f.region_code[1:4]) from {op} m
        left join prescribers p on m.entity_type = 'prescriber' and p.prescriber_id = m.entity_id
        join facilities f on f.facility_id = coalesce(p.facility_id,
             case when m.entity_type = 'facility' then m.entity_id end)
        group by 1""").fetchall())
    multi = {r for (r,) in con.execute("select ring_id from variants where variant = 'multi_city'").fetchall()}
    assert all(n == 1 for ring, n in spread.items() if ring not in multi), spread
    assert all(n <= 2 for n in spread.values())


def test_maternity_shells_of_a_ring_are_linked_and_claimants_claimed_through_them(con):
    rows = con.execute("""select r.ring_id, e.phone, e.address, e.agent_id from rings r
        join employers e on e.employer_id = r.entity_id
        where r.scheme = 'maternity' and r.entity_type = 'employer'""").fetchall()
    shells = defaultdict(list)
    for ring, *ident in rows:
        shells[ring].append(ident)
    assert shells
    for ring, es in shells.items():
        parent = list(range(len(es)))

        def root(i, parent=parent):
            while parent[i] != i:
                i = parent[i]
            return i
        for i in range(len(es)):
            for j in range(i):
                phone, address, agent = es[i]
                if phone == es[j][0] or address == es[j][1] or (agent and agent == es[j][2]):
                    parent[root(i)] = root(j)
        assert len({root(i) for i in range(len(es))}) == 1, f"{ring}: shell clusters with nothing in common"
    assert _one(con, """select count(*) from rings r where scheme = 'maternity' and entity_type = 'patient'
        and not exists (select 1 from maternity_claims c join rings e on e.ring_id = r.ring_id
        and e.entity_id = c.employer_id where c.patient_id = r.entity_id)""") == 0


def _component_count(nodes: set[str], edges: list[tuple[str, str]]) -> int:
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n
    for a, b in edges:
        parent[root(a)] = root(b)
    return len({root(n) for n in nodes})


# How the members of a ring of each batch-working scheme are tied in the data: cards settled
# minutes apart at one place, villagers admitted together, patients written for by the ring's doctors.
_TIES = {
    "borrowed_cards": """select a.card_id, b.card_id from bc a join bc b on a.ring_id = b.ring_id
        and a.facility_id = b.facility_id and a.card_id < b.card_id and abs(a.ts - b.ts) <= 1500
        where a.ring_id = $ring""",
    "car_shuttle": """select a.patient_id, b.patient_id from cs a join cs b on a.ring_id = b.ring_id
        and a.facility_id = b.facility_id and a.admitted_on = b.admitted_on and a.patient_id < b.patient_id
        where a.ring_id = $ring""",
    "over_prescription": """select s.patient_id, s.prescriber_id from settlements s
        join rings q on q.ring_id = $ring and q.entity_type = 'patient' and q.entity_id = s.patient_id
        join rings p on p.ring_id = $ring and p.entity_type = 'prescriber' and p.entity_id = s.prescriber_id""",
}
_NODES = {"borrowed_cards": "card", "car_shuttle": "patient", "over_prescription": "patient','prescriber"}


def test_a_merged_ring_is_one_operation_in_the_data(con):
    """A takeover hands the absorbed ring's recruits to the survivor's people: after the merge
    they are worked in the survivor's batches (or by its doctors), so the listed ring is one
    connected operation, not two groups that merely share a place (those are two rings)."""
    _ring_card_uses(con)
    _ring_admissions(con)
    survivors = con.execute("""select distinct listed_as, scheme from ring_variants
        where ring_id <> listed_as and scheme in ('borrowed_cards', 'car_shuttle', 'over_prescription')""").fetchall()
    assert survivors, "no merged ring of a batch-working scheme in this drop"
    for ring, scheme in survivors:
        nodes = {n for (n,) in con.execute(f"""select entity_id from rings where ring_id = $ring
                 and entity_type in ('{_NODES[scheme]}')""", {"ring": ring}).fetchall()}
        edges = con.execute(_TIES[scheme], {"ring": ring}).fetchall()
        assert _component_count(nodes, edges) == 1, f"{ring} ({scheme}) is two groups in the data"
