"""A referral for an institution that has DRG cases but runs no ring (issue 18, ``export --institution``)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ringscope.analytics.drg.screens import run_drg_screens
from ringscope.analytics.settings import DrgSettings
from ringscope.app import audit
from ringscope.app.cli import app
from ringscope.app.config import load_config
from ringscope.app.errors import UserError
from ringscope.app.export import build_referral, verify_package
from ringscope.graph.drg_book import record_drg_cases
from ringscope.ingest.mapping import HeaderMapping
from tests.analytics.drg.drgworld import stay, write_drop
from tests.export.unpack import csv_rows, entries, member

SPLIT = [stay("S1", "P1", "2026-03-01", "2026-03-03", "ES35", "J18.9"),       # the fund paid 4,200 on each
         stay("S2", "P1", "2026-03-04", "2026-03-09", "ES35", "J18.9"),
         stay("S9", "P9", "2026-03-01", "2026-03-08", "ES35", "J18.9", facility="H2")]


@pytest.fixture
def drg_only(tmp_path, duck):
    """H1 split a stay; there is no ring at all (rings.json lists none)."""
    duck.ingest_drop(write_drop(tmp_path / "drop", SPLIT), HeaderMapping())
    con = duck.relational()
    record_drg_cases(con, "RUN-000001", [c.to_json() for c in run_drg_screens(con, DrgSettings()).cases])
    (duck.config.workspace / "rings.json").write_text(json.dumps({"contract": 1, "rings": []}), encoding="utf-8")
    return duck


def _export(store, out, facility="H1"):
    config = load_config(workspace=store.config.workspace, env={})
    return build_referral(store, "", out, user="liaison", lang=("zh",), config=config, institution=facility)


def test_an_institution_with_drg_cases_only_gets_a_referral(drg_only, tmp_path):
    package = _export(drg_only, tmp_path / "h1.zip")
    assert verify_package(package).ok
    subject = json.loads(member(package, "data/ring.json"))
    assert (subject["ring_id"], subject["scheme"]) == ("DRG-H1", "drg")
    assert subject["fund_loss"] == "6000.50"  # the Rules' extra expenditure, not the 8,400.00 the fund paid
    assert [(m["type"], m["id"]) for m in subject["members"]] == [("facility", "H1"), ("patient", "P1")]
    annex = csv_rows(package, "drg_episodes")
    assert [(r["settlement_id"], r["difference"]) for r in annex] == [("S1", "0.00"), ("S2", "6000.50")]
    assert not any("S9" in name for name in entries(package))
    assert b"DRG" in member(package, "bag-info.txt")
    (record,) = audit.read_events(drg_only.config.workspace, action=audit.EXPORT)
    assert record["target"] == "institution:H1"


def test_an_institution_without_drg_cases_is_refused_by_name(drg_only, tmp_path):
    with pytest.raises(UserError, match="'H2' has no DRG case"):
        _export(drg_only, tmp_path / "h2.zip", "H2")
    assert not (tmp_path / "h2.zip").exists()


def test_the_command_takes_an_institution_instead_of_a_ring(drg_only, tmp_path):
    workspace = drg_only.config.workspace
    drg_only.close()  # the command opens the workspace itself
    runner = CliRunner()
    out = tmp_path / "cli.zip"
    result = runner.invoke(app, ["export", "--institution", "H1", "--out", str(out), "--lang", "en",
                                 "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    checked = runner.invoke(app, ["verify", str(out)])
    assert "institution case DRG-H1" in checked.output and "ring DRG-H1" not in checked.output
    both = runner.invoke(app, ["export", "R-000001", "--institution", "H1", "--out", str(tmp_path / "x.zip"),
                               "--workspace", str(workspace)])
    assert both.exit_code != 0 and "not both" in str(both.exception)  # main() prints it as one line


def test_the_chinese_summary_speaks_of_an_institution_case_in_one_vocabulary(drg_only, tmp_path):
    from tests.vocabulary import code_words_in, visible_text

    text = visible_text(member(_export(drg_only, tmp_path / "h1.zip"), "data/summary/summary-zh.html").decode("utf-8"))
    assert "定点医疗机构涉嫌 DRG/DIP 支付违规案件移送材料" in text and "案件编号" in text and "团伙编号" not in text
    assert "6,000.50" in text
    assert code_words_in(text) == []
    assert "RUN-000001" in text  # the run whose screens found the cases, not "none"
    assert "生育津贴合计" not in text  # no maternity-claims row in an institution's DRG case file


def test_the_explorer_button_builds_the_same_package_and_needs_the_export_right(drg_only):
    from ringscope.app.auth import DEFAULT_ROLES, User
    from ringscope.app.views.referral import ReferralDenied, export_institution_referral

    config = load_config(workspace=drg_only.config.workspace, env={})
    with pytest.raises(ReferralDenied):
        export_institution_referral(config, drg_only, "H1", User("li", "investigator", DEFAULT_ROLES["investigator"]))
    assert not (drg_only.config.workspace / "exports").exists()
    assert audit.read_events(drg_only.config.workspace, action=audit.EXPORT) == []
    package = export_institution_referral(config, drg_only, "H1",
                                          User("zhao", "supervisor", DEFAULT_ROLES["supervisor"]), lang=("zh",))
    assert package.parent == drg_only.config.workspace / "exports" and package.name.startswith("referral-DRG-H1-")
    assert json.loads(member(package, "data/ring.json"))["ring_id"] == "DRG-H1"
    (record,) = audit.read_events(drg_only.config.workspace, action=audit.EXPORT)
    assert (record["target"], record["user"]) == ("institution:H1", "zhao")
