from datetime import date, timedelta
from decimal import Decimal

from ringscope.analytics.detectors.maternity import detect_maternity
from ringscope.analytics.fund_loss import attach_fund_loss
from ringscope.analytics.settings import DetectionSettings


def _employer(world, eid, registered, phone, region="440103", address=None, agent=None):
    world.t["employers"].append({"employer_id": eid, "region_code": region, "registered_on": registered,
                                 "phone": phone, "address": address or f"{eid} road", "agent_id": agent})


def _ordinary_staff(world, eid, n=10):
    for i in range(n):
        pid = world.patient(f"W{eid}{i}", region="440103")
        world.t["employments"].append({"patient_id": pid, "employer_id": eid, "start_on": date(2018, 1, 1),
                                       "salary_base": 6000.0})


def _claim(world, cid, pid, eid, delivery, amount, salary):
    world.t["maternity_claims"].append({"claim_id": cid, "patient_id": pid, "employer_id": eid,
                                        "claimed_on": delivery + timedelta(days=20), "delivery_on": delivery,
                                        "amount": amount, "salary_base": salary})


def test_shell_employers_sharing_a_phone_form_one_ring(world):
    _employer(world, "BIG", date(2010, 1, 1), "020-1")
    _ordinary_staff(world, "BIG")
    for eid in ("SH1", "SH2"):
        _employer(world, eid, date(2025, 11, 1), "17400000000")
    claims = []
    for i in range(6):
        eid = "SH1" if i % 2 else "SH2"
        pid = world.patient(f"M{i}", region="440103")
        delivery = date(2026, 3, 1) + timedelta(days=7 * i)
        world.t["employments"].append({"patient_id": pid, "employer_id": eid, "start_on": delivery - timedelta(days=90),
                                       "salary_base": 35000.0})
        _claim(world, f"MC{i}", pid, eid, delivery, 100000.10 + i, 35000.0)
        claims.append(f"MC{i}")
    con = world.con()
    rings = detect_maternity(con, DetectionSettings())
    assert len(rings) == 1
    ring = rings[0]
    assert ring.members_of("employer") == ["SH1", "SH2"]
    assert len(ring.members_of("patient")) == 6
    assert ring.claim_ids == claims
    assert {"short_tenure", "inflated_salary", "recent_employer", "shared_registration"} <= {e.kind for e in ring.evidence}
    attach_fund_loss(con, rings)
    assert ring.fund_loss == Decimal("600015.60")


def test_legitimate_employer_with_several_claims_is_not_a_ring(world):
    _employer(world, "BIG", date(2010, 1, 1), "020-1")
    _ordinary_staff(world, "BIG")
    for i in range(5):
        pid = world.patient(f"L{i}", region="440103")
        world.t["employments"].append({"patient_id": pid, "employer_id": "BIG", "start_on": date(2019, 5, 1),
                                       "salary_base": 6500.0})
        _claim(world, f"LC{i}", pid, "BIG", date(2026, 2, 1) + timedelta(days=9 * i), 21000.0, 6500.0)
    assert detect_maternity(world.con(), DetectionSettings()) == []


def test_small_new_firm_with_one_well_paid_mother_is_not_a_ring(world):
    _employer(world, "BIG", date(2010, 1, 1), "020-1")
    _ordinary_staff(world, "BIG")
    _employer(world, "NEW", date(2024, 6, 1), "139")
    pid = world.patient("N1", region="440103")
    world.t["employments"].append({"patient_id": pid, "employer_id": "NEW", "start_on": date(2024, 7, 1),
                                   "salary_base": 30000.0})
    _claim(world, "NC1", pid, "NEW", date(2026, 3, 1), 90000.0, 30000.0)
    assert detect_maternity(world.con(), DetectionSettings()) == []


def _shell_claims(world, eid, n, start_days_before=90, salary=35000.0, prefix="S"):
    out = []
    for i in range(n):
        pid = world.patient(f"{prefix}{eid}{i}", region="440103")
        delivery = date(2026, 3, 1) + timedelta(days=11 * i)
        world.t["employments"].append({"patient_id": pid, "employer_id": eid,
                                       "start_on": delivery - timedelta(days=start_days_before), "salary_base": salary})
        _claim(world, f"C{eid}{i}", pid, eid, delivery, 90000.0 + i, salary)
        out.append(f"C{eid}{i}")
    return out


def test_shell_registered_years_ago_is_still_a_ring(world):
    """An old company bought up: registered in 2009, no recent registration, yet its three
    claimants were hired months before delivery at inflated salaries and it has no other staff."""
    _employer(world, "BIG", date(2010, 1, 1), "020-1")
    _ordinary_staff(world, "BIG")
    _employer(world, "OLD", date(2009, 5, 1), "139-OLD")
    claims = _shell_claims(world, "OLD", 3)
    rings = detect_maternity(world.con(), DetectionSettings())
    assert [r.claim_ids for r in rings] == [claims]
    assert "recent_employer" not in {e.kind for e in rings[0].evidence}


def test_single_employer_evidence_does_not_speak_of_shared_registration(world):
    _employer(world, "BIG", date(2010, 1, 1), "020-1")
    _ordinary_staff(world, "BIG")
    _employer(world, "OLD", date(2009, 5, 1), "139-OLD")
    _shell_claims(world, "OLD", 3)
    ring = detect_maternity(world.con(), DetectionSettings())[0]
    assert "shared_registration" not in {e.kind for e in ring.evidence}
    assert "employers share" not in " ".join(e.text for e in ring.evidence)


def test_employer_with_two_claims_one_unusual_is_not_a_shell(world):
    """A real firm (ten staff, registered 2015): one ordinary claim, one well-paid newcomer.
    The employer's score is the mean over its claims, so one unusual claim does not make a shell;
    scored on the unusual claim alone it would be one."""
    _employer(world, "BIG", date(2010, 1, 1), "020-1")
    _ordinary_staff(world, "BIG")
    _employer(world, "FIRM", date(2015, 1, 1), "139-F")
    _ordinary_staff(world, "FIRM")
    pid = world.patient("F1", region="440103")
    world.t["employments"].append({"patient_id": pid, "employer_id": "FIRM", "start_on": date(2019, 1, 1),
                                   "salary_base": 6000.0})
    _claim(world, "FC1", pid, "FIRM", date(2026, 2, 1), 20000.0, 6000.0)
    _shell_claims(world, "FIRM", 1, salary=40000.0)
    assert detect_maternity(world.con(), DetectionSettings()) == []
    lenient = DetectionSettings.from_dict({"maternity": {"min_score": 0.25}})
    assert detect_maternity(world.con(), lenient) != []


def test_large_employer_with_many_births_is_not_a_ring(world):
    """Hard negative: 200 staff, eight births in a year, some of them recent hires."""
    _employer(world, "HUGE", date(1998, 1, 1), "020-9")
    _ordinary_staff(world, "HUGE", n=200)
    _shell_claims(world, "HUGE", 3, start_days_before=200, salary=7000.0, prefix="N")
    _shell_claims(world, "HUGE", 5, start_days_before=2000, salary=6500.0, prefix="T")
    assert detect_maternity(world.con(), DetectionSettings()) == []


def test_job_change_before_delivery_at_ordinary_firms_is_not_a_ring(world):
    """Hard negative: women who changed job during pregnancy, each at an ordinary established firm
    with staff and ordinary pay; the firms even share an accounting agent."""
    for k in range(3):
        eid = f"ORD{k}"
        _employer(world, eid, date(2012, 1, 1), f"020-{k}", agent="ACC")
        _ordinary_staff(world, eid, n=12)
        _shell_claims(world, eid, 1, start_days_before=120, salary=6500.0)
    assert detect_maternity(world.con(), DetectionSettings()) == []
