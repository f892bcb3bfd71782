"""Confirmed credit points travel in the ring's referral package (annexes/credit-points.csv)."""
from __future__ import annotations

import csv
import io
import zipfile

from ringscope.app.auth import User
from ringscope.app.export import build_referral, verify_package
from ringscope.app.export.builder import _credit_points_annex
from ringscope.app.points.service import decide, ledger, refresh
from ringscope.app.points.settings import PointSettings
from ringscope.app.triage import set_triage

SUPERVISOR = User("zhao", "supervisor", frozenset({"unmask", "export", "tipster_contact", "confirm_points"}))
ANNEX = "referral-R-000001/data/annexes/credit-points.csv"


def test_confirmed_points_are_in_the_package_and_proposals_are_not(tip_env, tmp_path):
    cfg, _ctx, store = tip_env
    con = store.relational()
    set_triage(con.cursor(), "R-000001", "confirmed", updated_by="zhao")
    settings = PointSettings()
    refresh(con, cfg.workspace, cfg.app, settings, "zhao")
    assert _credit_points_annex(con, "R-000001", cfg) == {}  # proposals alone are never referred (no annex)
    ph1 = next(item.proposal.entry_id for item in ledger(con, settings) if item.proposal.person_id == "PH1")
    decide(con, cfg.workspace, ph1, "confirmed", SUPERVISOR)
    path = build_referral(store, "R-000001", tmp_path / "after.zip", user=SUPERVISOR, config=cfg, lang=("zh",))
    assert verify_package(path).ok
    text = zipfile.ZipFile(path).read(ANNEX).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["person_type"], r["person_id"], r["points"], r["consequence"]) for r in rows] == \
        [("pharmacist", "PH1", "12", "terminate")]
