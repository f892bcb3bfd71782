"""Which detectors were blind on the data: named, so that "no ring of this kind" is not read as a finding."""
from ringscope.analytics import schemes
from ringscope.analytics.data_coverage import coverage_gaps
from tests.analytics.test_trace_resale import _resale_world
from tests.analytics.worlds import World, day


def _labels(gaps, scheme):
    return sorted(g.label for g in gaps if g.scheme == scheme)


def test_resale_world_names_what_the_other_detectors_lack():
    """Trace codes, self-paid amounts and regions are there; operators, devices, stays,
    daily maxima, prescribers and maternity claims are not."""
    gaps = coverage_gaps(_resale_world(World()).con())
    assert _labels(gaps, "trace_resale") == []
    assert _labels(gaps, "borrowed_cards") == ["settlements.operator_id / device_id"]
    assert _labels(gaps, "car_shuttle") == ["settlements.admitted_on / kind"]
    assert _labels(gaps, "over_prescription") == ["settlements.prescriber_id"]  # D1 has a daily maximum
    assert _labels(gaps, "maternity") == ["maternity_claims"]


def test_one_filled_row_is_enough_and_schemes_can_be_chosen():
    world = _resale_world(World())
    world.facility("H2", "hospital")
    world.settle("P1", "H2", day(40), kind="inpatient", admitted_on=day(38).date(), operator_id="OP1",
                 prescriber_id=None)
    gaps = coverage_gaps(world.con(), ["borrowed_cards", "car_shuttle"])
    assert {g.scheme for g in gaps} == set()
    assert coverage_gaps(world.con(), ["trace_resale"]) == []


def test_an_empty_catalogue_reports_only_the_missing_claims():
    """With no rows at all the run says so itself; only 'no maternity claims' is worth a line."""
    gaps = coverage_gaps(World().con())
    assert [(g.scheme, g.label) for g in gaps] == [("maternity", "maternity_claims")]


def test_every_gap_reads_in_both_languages():
    gaps = coverage_gaps(World().con())
    for need in (n for s in schemes.schemes() for n in s.needs):
        assert need.why and need.why_zh and need.label
    assert gaps[0].text("zh").startswith("maternity：") and "为空" in gaps[0].text("zh")
    assert gaps[0].text("en") == "maternity: there are no maternity claims (maternity_claims empty)."
