from ringscope.analytics.detectors.borrowed_cards import detect_borrowed_cards
from ringscope.analytics.settings import DetectionSettings
from tests.analytics.worlds import batch, crowd, day, tuned


def _background(world, facility, n=8):
    """Local patients who visit the facility alone: the facility's baseline."""
    for i in range(n):
        pid = world.patient(f"L{facility}{i}", region="440101")
        world.settle(pid, facility, day(i * 3, 8, 0), operator_id="OPX")


def _local_holders(world, n=6, prefix="H"):
    """Living holders of the facility's own city, each with ordinary care of their own at home."""
    world.facility("HOME", "clinic", region="440101")
    holders = [world.patient(f"{prefix}{i}", region="440101", address=f"street {i}") for i in range(n)]
    for i, pid in enumerate(holders):
        for d in (3, 31, 59, 87):
            world.settle(pid, "HOME", day(d + i, 9, 0), fund=40.0, diagnosis_code="I10")
    return holders


def test_pool_of_far_cards_settled_together_is_a_ring(world):
    world.facility("F1", "pharmacy", region="440101")
    _background(world, "F1")
    cards = []
    for i in range(5):
        cards.append(world.patient(f"B{i}", region="230204", address=f"village {i}"))
    for d in (0, 7, 15):  # three batches, minutes apart, same operator
        for i, pid in enumerate(cards):
            world.settle(pid, "F1", day(d, 14, 2 * i), operator_id="OP1", kind="pharmacy")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == [f"CB{i}" for i in range(5)]
    assert "far_from_home" in {e.kind for e in rings[0].evidence}
    assert len(rings[0].settlement_ids) == 15


def _local_gang(world, operator):
    """Local living holders' cards in batches at a busy clinic: high amounts, care they never get."""
    world.facility("F1", "clinic", region="440101")
    crowd(world, "F1", operator_id=operator)
    holders = _local_holders(world)
    for k, d in enumerate((5, 19, 33, 47, 61)):
        stack = [holders[(k + i) % 6] for i in range(5)]  # partly different cards each time
        batch(world, stack, "F1", day(d, 14, 0), fund=900.0, diagnosis_code="E11.9", operator_id=operator)
    return holders


def test_local_living_holders_in_operator_bursts_are_a_ring(world):
    """No far use, nobody dead, no device ids: one operator's repeated bursts of the same cards."""
    holders = _local_gang(world, operator="OP1")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == sorted(f"C{h}" for h in holders)
    kinds = {e.kind for e in rings[0].evidence}
    assert "far_from_home" not in kinds and "after_death" not in kinds
    assert {"amount_above_facility", "care_not_in_history"} <= kinds


def test_local_living_holders_at_one_counter_are_a_ring(world):
    """Neither operator nor device recorded: the bursts at one counter are enough."""
    holders = _local_gang(world, operator=None)
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == sorted(f"C{h}" for h in holders)


def _pharmacy_after_each_batch(world, holders, region):
    """Each holder's card at a pharmacy of ``region`` half an hour after each of the gang's batches."""
    world.facility("PH", "pharmacy", region=region)
    for d in (5, 19, 33, 47, 61):
        for i, pid in enumerate(holders):
            world.settle(pid, "PH", day(d, 14, 30 + i), fund=30.0, kind="pharmacy")


def test_a_pharmacy_of_the_same_town_within_the_hour_is_not_two_places_at_once(world):
    holders = _local_gang(world, operator="OP1")
    _pharmacy_after_each_batch(world, holders, region="440101")  # the batch's own city
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1 and "two_places" not in {e.kind for e in rings[0].evidence}


def test_a_card_in_another_city_within_the_hour_was_in_two_places(world):
    holders = _local_gang(world, operator="OP1")
    _pharmacy_after_each_batch(world, holders, region="230204")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1 and "two_places" in {e.kind for e in rings[0].evidence}


def _far_gang(world, facility, prefix, days):
    world.facility(facility, "pharmacy", region="440101")
    _background(world, facility)
    cards = [world.patient(f"{prefix}{i}", region="230204", address=f"{prefix} village {i}") for i in range(5)]
    for d in days:
        for i, pid in enumerate(cards):
            world.settle(pid, facility, day(d, 14, 2 * i), operator_id=f"OP{facility}", kind="pharmacy")
    return cards


def test_two_gangs_whose_cards_meet_once_at_each_of_two_pharmacies_stay_two_rings(world):
    """Two far-card gangs; one card of each is settled next to one of the other's by one clerk,
    once at one pharmacy and once at another: two chance meetings, not one repeated."""
    a = _far_gang(world, "F1", "A", (0, 7, 15))
    b = _far_gang(world, "F2", "B", (2, 9, 18))
    for k, (ph, d) in enumerate((("PX", 30), ("PY", 44))):
        world.facility(ph, "pharmacy", region="440101")
        crowd(world, ph, n=80, visits=6, seed=k, operator_id=f"OP{ph}")  # a big pharmacy: one clerk meets many
        world.settle(a[k], ph, day(d, 10, 0), operator_id=f"OP{ph}", kind="pharmacy")
        world.settle(b[k], ph, day(d, 10, 3), operator_id=f"OP{ph}", kind="pharmacy")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("card")) for r in rings) == [[f"C{p}" for p in a], [f"C{p}" for p in b]]


def test_two_gangs_interleaved_once_at_one_counter_stay_two_rings(world):
    """Two gangs of one colluding counter (nothing recorded), each on its own days; once their
    sessions interleave into one run.  That run shares cards with both gangs' batches, but
    one meeting is no repetition: the chain does not join the two pools."""
    world.facility("F1", "clinic", region="440101")
    crowd(world, "F1")
    a = [world.patient(f"A{i}", region="230204", address=f"A village {i}") for i in range(5)]
    b = [world.patient(f"B{i}", region="230205", address=f"B village {i}") for i in range(5)]
    for d in (5, 19, 33, 47):
        batch(world, a, "F1", day(d, 10, 0), fund=900.0)
        batch(world, b, "F1", day(d + 7, 14, 0), fund=900.0)
    batch(world, a, "F1", day(61, 10, 0), fund=900.0)
    batch(world, b, "F1", day(61, 10, 2), fund=900.0)  # two minutes after each of A's cards
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("card")) for r in rings) == [[f"C{p}" for p in a], [f"C{p}" for p in b]]


def test_card_new_to_a_chain_of_two_gangs_goes_with_the_gang_it_came_with(world):
    """As above, and gang B also brought a sixth card to two of its seven batches (too few of
    its core cards' visits to pair with them).  The one interleaved run chains both gangs' batches,
    which carry more of A's cards: the new card still came on B's days, so it is B's."""
    world.facility("F1", "clinic", region="440101")
    crowd(world, "F1")
    a = [world.patient(f"A{i}", region="230204", address=f"A village {i}") for i in range(6)]
    b = [world.patient(f"B{i}", region="230205", address=f"B village {i}") for i in range(5)]
    extra = world.patient("BX", region="230205", address="B village X")
    for d in (5, 19, 33, 47):
        batch(world, a, "F1", day(d, 10, 0), fund=900.0)
    for d in (12, 26, 40, 54, 68, 75):
        batch(world, b + ([extra] if d in (26, 40) else []), "F1", day(d, 14, 0), fund=900.0)
    batch(world, a, "F1", day(61, 10, 0), fund=900.0)
    batch(world, b, "F1", day(61, 10, 2), fund=900.0)
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert sorted(sorted(r.members_of("card")) for r in rings) == [
        [f"C{p}" for p in a], [f"C{p}" for p in b] + [f"C{extra}"]]


def test_regular_who_met_the_batches_twice_does_not_join_the_pool(world):
    """A local regular of the clinic, there every week, happened to be at the counter
    during two of the gang's batches: twice out of many visits is no membership."""
    holders = _local_gang(world, operator="OP1")
    regular = world.patient("REG", region="440101", address="old town 1")
    for d in range(5, 90, 7):  # weekly; twice at the counter right in a batch
        world.settle(regular, "F1", day(d, 14, 6) if d in (5, 33) else day(d, 9, 0),
                     fund=60.0, diagnosis_code="J06.9", operator_id="OP1")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == sorted(f"C{h}" for h in holders)
    # without the share-of-own-visits check the regular would be dragged in
    loose = detect_borrowed_cards(world.con(), tuned("borrowed_cards", min_visit_share=0.0))
    assert "CREG" in loose[0].members_of("card")


def test_pool_presented_from_gang_phones_only_is_a_ring(world):
    """No operators anywhere: two gang phones present the cards at two clinics."""
    for fid in ("F1", "F2"):
        world.facility(fid, "clinic", region="440101")
        crowd(world, fid, prefix=f"crowd{fid}", seed=len(fid) + ord(fid[-1]))
    holders = _local_holders(world)
    for k, d in enumerate((5, 12, 26, 40, 54, 68)):
        stack = [holders[(k + i) % 6] for i in range(4)]
        batch(world, stack, "F1" if k % 2 else "F2", day(d, 10, 30), fund=700.0, diagnosis_code="I25.1",
              device_id="GANG1" if k % 3 else "GANG2")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == sorted(f"C{h}" for h in holders)
    assert set(rings[0].members_of("device")) == {"GANG1", "GANG2"}


def _family_or_home(world, address, phone_of, n, device):
    """Cards of one address presented together from one phone, monthly, for costly care."""
    world.facility("F1", "clinic", region="440101")
    crowd(world, "F1")
    people = [world.patient(f"M{i}", region="440101", address=address, phone=phone_of(i)) for i in range(n)]
    for d in (2, 32, 62, 92):
        batch(world, people, "F1", day(d, 9, 0), gap_minutes=2, fund=600.0, diagnosis_code="I25.1",
              device_id=device, operator_id="OP2")
    return people


def test_family_sharing_one_phone_is_not_a_ring(world):
    """Hard negative: a family presents its cards from one phone, together, again and again."""
    _family_or_home(world, "same flat", lambda i: "13800000000", 4, "FAMILY-PHONE")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    # the one-household explanation is what keeps them out (their care is costly for the clinic)
    assert len(detect_borrowed_cards(world.con(), tuned("borrowed_cards", household_weight=0.0))) == 1


def test_nursing_home_carer_presenting_residents_is_not_a_ring(world):
    """Hard negative: a carer presents the residents' cards (one address) every month."""
    _family_or_home(world, "Fushou care home, 77 Jianshe Rd", lambda i: f"1390000{i:04d}", 10, "CARER-PHONE")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    assert len(detect_borrowed_cards(world.con(), tuned("borrowed_cards", household_weight=0.0))) == 1


def _carer_runs(world, address_of):
    """A carer presents eight residents' cards from one phone in a run at the pharmacy every
    fortnight, for the pharmacy's usual amounts; the residents get no other care."""
    world.facility("P1", "pharmacy", region="440101")
    crowd(world, "P1", fund=60.0)
    residents = [world.patient(f"R{i}", region="440101", address=address_of(i)) for i in range(8)]
    for d in (2, 16, 30, 44, 58, 72):
        batch(world, residents, "P1", day(d, 9, 0), gap_minutes=1, fund=60.0, kind="pharmacy",
              device_id="CARER-PHONE")
    return residents


def test_carer_runs_where_no_address_or_phone_is_recorded_are_not_a_ring(world):
    """Hard negative in a de-identified extract (no address, no phone): nothing can tell a
    carer's or a parent's run of one household's cards from a gang's, so the run alone is no
    indication; where the holders are recorded as unrelated households, the same runs are."""
    _carer_runs(world, lambda i: None)
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []


def test_family_phone_at_two_pharmacies_where_no_address_or_phone_is_recorded_is_not_a_ring(world):
    """Hard negative, de-identified extract: a family phone presents three relatives' cards at
    two pharmacies among 150 people who each use their own phone at both.  Without addresses
    the three look like three households on one roaming phone; nothing can tell them from a
    gang's phone, so the roaming phone is no indication there."""
    for f in ("P1", "P2"):
        world.facility(f, "pharmacy", region="440101")
    for i in range(150):  # the population of phones used at several places: one person each
        pid = world.patient(f"O{i}", region="440101", address=None)
        for k, f in enumerate(("P1", "P2")):
            world.settle(pid, f, day(i % 80 + 3 * k, 8 + i % 9, i % 60), fund=60.0, kind="pharmacy",
                         device_id=f"PHONE{i}")
    family = [world.patient(f"M{i}", region="440101", address=None) for i in range(3)]
    for k, d in enumerate((2, 16, 30, 44, 58, 72)):
        batch(world, family, ("P1", "P2")[k % 2], day(d, 18, 0), gap_minutes=2, fund=60.0, kind="pharmacy",
              device_id="FAMILY-PHONE")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []


def test_runs_of_unrelated_households_cards_from_one_phone_are_a_ring(world):
    residents = _carer_runs(world, lambda i: f"flat {i}, {i + 3} Jianshe Rd")
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == sorted(f"C{r}" for r in residents)


def test_busy_counter_with_unrelated_regulars_minutes_apart_is_not_a_ring(world):
    """Hard negative: at a referral centre's busy counter, regulars from far away are minutes
    apart on some days by chance; their visit counts and the hourly volume predict it, and
    two days together among some thirty visits each is no share of their visits."""
    world.facility("REF", "hospital", region="440101")
    crowd(world, "REF", n=40, visits=15, span_days=150, region="230204", fund=300.0, operator_id="OPR")
    trio = [world.patient(f"T{i}", region="230204", address=f"far {i}") for i in range(3)]
    for pid in trio:  # regular visits of their own, on different days
        for d in range(3 + int(pid[1]), 150, 6):
            world.settle(pid, "REF", day(d, 11, 0), fund=300.0, diagnosis_code="J06.9", operator_id="OPR")
    for d in (40, 100):  # and twice they happen to queue together
        batch(world, trio, "REF", day(d, 15, 0), gap_minutes=3, fund=300.0, diagnosis_code="J06.9",
              operator_id="OPR")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", chance_alpha=1.0)) == []
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", min_visit_share=0.0)) == []
    # without both (every repeated co-presentation linked) the trio would be reported
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", chance_alpha=1.0, min_visit_share=0.0))


def test_chain_pharmacies_sharing_staff_is_not_a_ring(world):
    """Hard negative: one pharmacist settles local regulars at two branches of a chain.

    Among each branch's ordinary customers the regulars do come together (the coordination
    step pools them, one pool per branch), but the shared pharmacist neither joins the two
    pools nor counts as a sign: local, living holders with ordinary care show no indication."""
    world.facility("PA", "pharmacy", region="440101", chain_id="CH1")
    world.facility("PB", "pharmacy", region="440101", chain_id="CH1")
    crowd(world, "PA")
    crowd(world, "PB")
    regulars = [world.patient(f"R{i}", region="440101") for i in range(6)]
    for d in range(0, 60, 10):
        for i, pid in enumerate(regulars):
            world.settle(pid, "PA" if i % 2 else "PB", day(d, 10, 3 * i), operator_id="OPCHAIN", kind="pharmacy")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    pools = detect_borrowed_cards(world.con(), tuned("borrowed_cards", report_score=-10.0))
    assert sorted(sorted(p.members_of("card")) for p in pools) == [["CR0", "CR2", "CR4"], ["CR1", "CR3", "CR5"]]
    assert {e.kind for p in pools for e in p.evidence} == {"card_pool"}


def test_screening_day_once_is_not_a_ring(world):
    """Hard negative: many far cards together on one day only.

    Kept out twice: the day is never repeated (``min_shared_days``), and one shared hour of
    one-time visitors is not improbable at all (the chance test)."""
    world.facility("F1", "hospital", region="440101")
    _background(world, "F1")
    for i in range(10):
        pid = world.patient(f"S{i}", region="230204")
        world.settle(pid, "F1", day(3, 9, i), operator_id="OP1")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", min_shared_days=1)) == []
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", min_shared_days=1, chance_alpha=1.0))


def _rotating_gang(world):
    """A gang rotating twelve local cards through slow batches at a clinic recording no operator
    and no device: each batch takes six cards twelve minutes apart, the next cards in turn,
    so no two cards are ever settled within the facility window of each other and
    any pair meets in few batches, while the gang's batches keep sharing cards."""
    world.facility("F1", "clinic", region="440101")
    crowd(world, "F1", n=30, visits=4, operator_id=None)
    holders = _local_holders(world, n=12)
    for k, d in enumerate((5, 12, 19, 26, 33, 40, 47, 54)):
        stack = [holders[(5 * k + i) % 12] for i in range(6)]
        batch(world, stack, "F1", day(d, 13, 0), gap_minutes=12, fund=900.0, diagnosis_code="E11.9")
    return holders


def test_rotating_gang_in_slow_batches_at_a_counter_recording_nothing_is_a_ring(world):
    """No pair is ever within the facility window and no operator or device ties them: only
    the batches (runs far beyond the clinic's pace, sharing cards across days) find the gang."""
    holders = _rotating_gang(world)
    rings = detect_borrowed_cards(world.con(), DetectionSettings())
    assert len(rings) == 1
    assert sorted(rings[0].members_of("card")) == sorted(f"C{h}" for h in holders)
    assert len(rings[0].settlement_ids) == 48
    # the runs must be batches beyond the clinic's pace: with a pace test no run passes, no gang
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", chance_alpha=1e-30)) == []


def test_regular_clinic_days_at_a_busy_hospital_are_not_batches(world):
    """Hard negative: a referral hospital's weekly clinic brings the same unrelated patients from
    far away in a stream every week; at the hospital's own pace (someone every few minutes)
    their runs are no stack of cards, so their repeated runs link nothing."""
    world.facility("REF", "hospital", region="440101")
    crowd(world, "REF", n=120, visits=20, span_days=90, operator_id=None)
    regulars = [world.patient(f"W{i}", region="230204", address=f"lane {i}") for i in range(8)]
    for d in range(0, 90, 7):
        batch(world, regulars, "REF", day(d, 9, 0), gap_minutes=12, fund=300.0, diagnosis_code="I10")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    # the pace test is what keeps them apart: without it their runs would make a pool
    loose = detect_borrowed_cards(world.con(), tuned("borrowed_cards", chance_alpha=1.0, report_score=-9.0))
    assert any({f"C{r}" for r in regulars} <= set(ring.members_of("card")) for ring in loose)
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", report_score=-9.0)) == []


def test_weekly_treatment_shift_of_chronic_patients_is_not_a_ring(world):
    """Hard negative: a small clinic's weekly treatment shift (the same patients one after the
    other, every week, the care each of them also gets at home, at ordinary amounts).  The
    shift is the clinic's own routine, so it sets the clinic's pace and is no burst beyond it;
    and were it taken for batches, the care-fits-history explanation would still keep it out."""
    world.facility("F1", "clinic", region="440101")
    crowd(world, "F1", n=30, visits=4, operator_id=None, fund=60.0)
    world.facility("HOME", "clinic", region="440101")
    patients = [world.patient(f"D{i}", region="440101", address=f"road {i}") for i in range(6)]
    for i, pid in enumerate(patients):
        for d in (1, 29, 57, 85):
            world.settle(pid, "HOME", day(d + i, 16, 0), fund=60.0, diagnosis_code="N18.5")
    for d in range(3, 90, 7):
        batch(world, patients, "F1", day(d, 8, 0), gap_minutes=20, fund=60.0, diagnosis_code="N18.5")
    assert detect_borrowed_cards(world.con(), DetectionSettings()) == []
    assert detect_borrowed_cards(world.con(), tuned("borrowed_cards", chance_alpha=1.0)) == []
    shift = detect_borrowed_cards(world.con(), tuned("borrowed_cards", chance_alpha=1.0, report_score=-9.0))
    assert [e.value for e in shift[0].evidence if e.kind == "explained_history"] == [-1.0]
