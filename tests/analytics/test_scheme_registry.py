"""The scheme registry: a scheme declared once (one module + its messages) is known everywhere,
and the registry agrees with the data contract's list of scheme names."""
import pytest

from ringscope.analytics import schemes
from ringscope.analytics.data_coverage import coverage_gaps
from ringscope.analytics.mixed_rings import scheme_name as evidence_scheme_name
from ringscope.analytics.pipeline import run_detection
from ringscope.analytics.settings import DetectionSettings, SettingsError
from ringscope.ingest.contract import SCHEMES as CONTRACT_SCHEMES
from tests.analytics import toy_scheme
from tests.analytics.worlds import World, day


def _desk_world() -> World:
    world = World()
    world.facility("F1", "clinic")
    for i, pid in enumerate(("P1", "P2", "P3")):
        world.patient(pid)
        world.settle(pid, "F1", day(i + 1), fund=900.0)
    world.settle("P1", "F1", day(9), fund=50.0)
    return world


def test_the_registry_lists_exactly_the_contracts_schemes_in_its_order():
    """ingest/contract.py names the schemes a drop's truth and rings.json may carry; each has one registry entry."""
    assert schemes.names() == CONTRACT_SCHEMES
    assert DetectionSettings().schemes == CONTRACT_SCHEMES


def test_every_scheme_declares_settings_needs_and_catalogue_names():
    from ringscope.app.i18n import catalogue

    for scheme in schemes.schemes():
        assert scheme.needs, f"{scheme.name} declares no data needs"
        assert type(getattr(DetectionSettings(), scheme.name)) is scheme.settings
        for lang in ("zh", "en"):
            assert scheme.name_key in catalogue(lang), f"{scheme.name_key} missing in app/messages/{lang}.toml"
            assert schemes.title(scheme.name, lang) == catalogue(lang)[scheme.name_key]


def test_a_scheme_declared_in_one_module_is_run_by_detection():
    con = _desk_world().con()
    with schemes.registered(toy_scheme.SCHEME):
        rings = run_detection(con, DetectionSettings()).rings
    desk = [r for r in rings if r.scheme == "kickback_desk"]
    assert len(desk) == 1 and desk[0].members_of("patient") == ["P1", "P2", "P3"]
    assert len(desk[0].settlement_ids) == 3 and str(desk[0].fund_loss) == "2700.00"
    assert "kickback_desk" not in schemes.names()  # gone after the block
    assert not [r for r in run_detection(con, DetectionSettings()).rings if r.scheme == "kickback_desk"]


def test_settings_accept_the_schemes_section_only_while_it_is_registered():
    with schemes.registered(toy_scheme.SCHEME):
        s = DetectionSettings.from_dict({"kickback_desk": {"min_settlements": 4}, "schemes": ["kickback_desk"]})
        assert s.kickback_desk.min_settlements == 4 and s.schemes == ("kickback_desk",)
        assert "kickback_desk" in s.to_dict() and s.digest() != DetectionSettings().digest()
        assert run_detection(_desk_world().con(), s).rings == []  # its own threshold is applied
        with pytest.raises(SettingsError):
            DetectionSettings.from_dict({"kickback_desk": {"min_settlements": "many"}})
    with pytest.raises(SettingsError):
        DetectionSettings.from_dict({"kickback_desk": {"min_settlements": 4}})
    with pytest.raises(SettingsError):
        DetectionSettings.from_dict({"schemes": ["kickback_desk"]})


def test_data_coverage_lists_the_schemes_needs():
    con = _desk_world().con()
    assert not [g for g in coverage_gaps(con) if g.scheme == "kickback_desk"]
    with schemes.registered(toy_scheme.SCHEME):
        gaps = [g for g in coverage_gaps(con) if g.scheme == "kickback_desk"]
        assert [g.label for g in gaps] == ["settlements.prescriber_id"]
        assert gaps[0].text("en").startswith("kickback_desk: no settlement names its prescriber")


def test_every_outputs_wording_finds_the_schemes_names():
    """Explorer, weekly report, referral and evidence sentences all read the one catalogue."""
    from ringscope.app.export import wording
    from ringscope.app.i18n import Translator
    from ringscope.app.report.messages import Messages

    def names(lang):
        return {Translator(lang)("scheme.kickback_desk"), Messages(lang)("scheme.kickback_desk"),
                wording.scheme_name("kickback_desk", lang), evidence_scheme_name("kickback_desk", lang)}

    with schemes.registered(toy_scheme.SCHEME):
        assert names("zh") == {"窗口回扣"} and names("en") == {"Kickback desk"}
    assert names("en") == {"scheme.kickback_desk", "kickback_desk"}  # unknown again: the code shows


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="already registered"):
        with schemes.registered(schemes.scheme("car_shuttle")):
            pass
