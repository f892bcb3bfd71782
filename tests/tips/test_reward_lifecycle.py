"""Reward bounds, the tip lifecycle (audited) and the tipster's contact kept unreadable."""
from __future__ import annotations

from decimal import Decimal

import pytest

from ringscope.app import audit
from ringscope.app.auth import User
from ringscope.app.tips import store as tip_store
from ringscope.app.tips.reward import estimate_reward, tiered_amount
from ringscope.app.tips.service import add_tip_file, current_estimate, read_contact, set_status
from ringscope.app.tips.settings import TipSettings, TipSettingsError
from ringscope.app.triage import set_triage
from tests.tips.conftest import write_tip

DEFAULTS = TipSettings()
CONTACT = "微信 wx_tipster_88 电话13712345678"


@pytest.mark.parametrize("value", ["0.01", "1", "137.20", "3333.33", "10000", "250000", "5000000", "20000000",
                                   "99999999999"])
def test_reward_never_below_200_nor_above_200000_for_a_verified_tip(value):
    est = estimate_reward("verified", [("R-1", Decimal(value))], DEFAULTS)
    assert Decimal("200") <= est.amount <= Decimal("200000")


@pytest.mark.parametrize("status", ["received", "rejected"])
def test_reward_is_zero_unless_the_tip_is_verified(status):
    assert estimate_reward(status, [("R-1", Decimal("50000"))], DEFAULTS).amount == 0


def test_reward_is_zero_without_a_confirmed_ring():
    assert estimate_reward("verified", [], DEFAULTS).amount == 0


def test_default_tiers_are_marginal():
    # 10,000 at 6% + 90,000 at 4% + 50,000 at 2% = 600 + 3,600 + 1,000
    amount, steps = tiered_amount(Decimal("150000"), DEFAULTS)
    assert amount == Decimal("5200.00") and len(steps) == 3
    est = estimate_reward("verified", [("R-1", Decimal("150000"))], DEFAULTS)
    assert est.amount == Decimal("5200.00") and "R-1" in est.rule and "5,200.00" in est.rule


def test_province_table_from_its_own_file(tmp_path):
    (tmp_path / "gd.toml").write_text(
        '[tips]\nprovince = "广东"\nreward_max = 100000\n'
        '[[tips.reward_tiers]]\nup_to = 50000\nrate = 0.1\n[[tips.reward_tiers]]\nrate = 0.05\n', encoding="utf-8")
    s = TipSettings.from_config({"tips": {"table_file": "gd.toml"}}, tmp_path)
    assert s.province == "广东" and s.reward_max == Decimal("100000")
    assert estimate_reward("verified", [("R", Decimal("60000"))], s).amount == Decimal("5500.00")
    assert estimate_reward("verified", [("R", Decimal("9000000"))], s).amount == Decimal("100000.00")
    with pytest.raises(TipSettingsError, match="only the last tier"):
        TipSettings.from_config({"tips": {"reward_tiers": [{"rate": 0.1}, {"rate": 0.2}]}}, tmp_path)


def test_lifecycle_received_verified_rewarded_audited_with_estimate(tip_env, tmp_path):
    cfg, ctx, store = tip_env
    con = store.relational()
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("patient", "P001")]), "li")
    tip = tip_store.get_tip(con, added.tip_id)
    assert tip.status == "received" and current_estimate(ctx, con, tip).amount == 0
    _, est = set_status(ctx, con, added.tip_id, "verified", "li", rings_led_to=["R-000001"])
    assert est.amount == 0  # verified tip, but the ring is not confirmed yet
    set_triage(con.cursor(), "R-000001", "confirmed", updated_by="zhao")
    assert current_estimate(ctx, con, tip_store.get_tip(con, added.tip_id)).amount == Decimal("200.00")
    tip, est = set_status(ctx, con, added.tip_id, "rewarded", "zhao", note="paid")
    assert tip.status == "rewarded" and tip.reward == Decimal("200.00") and "minimum" in est.rule
    assert [h["status"] for h in tip_store.tip_history(con, added.tip_id)] == ["received", "verified", "rewarded"]
    events = [(e["action"], e["details"].get("to")) for e in audit.read_events(cfg.workspace)
              if e["target"] == f"tip:{added.tip_id}"]
    assert events == [("tip_add", None), ("tip_status", "verified"), ("tip_status", "rewarded")]
    with pytest.raises(tip_store.TipError, match="rewarded"):
        set_status(ctx, con, added.tip_id, "rejected", "li")


def test_rejected_tip_is_final_and_worth_zero(tip_env, tmp_path):
    _cfg, ctx, store = tip_env
    con = store.relational()
    set_triage(con.cursor(), "R-000001", "confirmed", updated_by="zhao")
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("patient", "P001")]), "li")
    tip, est = set_status(ctx, con, added.tip_id, "rejected", "li")
    assert est.amount == 0 and tip.reward == 0
    with pytest.raises(tip_store.TipError, match="can move to: none"):
        set_status(ctx, con, added.tip_id, "verified", "li")


def test_verifying_a_ring_the_tip_is_not_linked_to_is_refused(tip_env, tmp_path):
    _cfg, ctx, store = tip_env
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("patient", "P001")]), "li")
    with pytest.raises(tip_store.TipError, match="not linked to R-000003"):
        set_status(ctx, store.relational(), added.tip_id, "verified", "li", rings_led_to=["R-000003"])


def test_contact_is_not_in_the_store_file_and_needs_the_right(tip_env, tmp_path):
    cfg, ctx, store = tip_env
    path = write_tip(tmp_path / "t.json", [("patient", "P001")], contact=CONTACT)
    [added] = add_tip_file(ctx, store, path, "li")
    store.relational().execute("CHECKPOINT")
    raw = cfg.store.catalogue_path.read_bytes()
    for clear in ("wx_tipster_88", "13712345678", CONTACT.encode("utf-8").decode("utf-8")):
        assert clear.encode("utf-8") not in raw
    assert "有人倒卖医保药品".encode("utf-8") in raw  # the file is readable: the search above would see clear text
    investigator = User("li", "investigator", frozenset({"unmask"}))
    with pytest.raises(tip_store.TipError, match="tipster_contact"):
        read_contact(ctx, store.relational(), added.tip_id, investigator)
    supervisor = User("zhao", "supervisor", frozenset({"unmask", "tipster_contact"}))
    assert read_contact(ctx, store.relational(), added.tip_id, supervisor) == CONTACT
    actions = [e["action"] for e in audit.read_events(cfg.workspace) if e["target"] == f"tip:{added.tip_id}"]
    assert actions == ["tip_add", "tip_contact_denied", "tip_contact"]


def test_masked_text_hides_ids_phones_and_matched_names(tip_env, tmp_path):
    from ringscope.app.tips.service import masked_text

    _cfg, ctx, store = tip_env
    text = "张三（身份证110101199003074514，电话13800000001）在仁和大药房倒卖药品，李四也参与。"
    [added] = add_tip_file(ctx, store, write_tip(tmp_path / "t.json", [("patient", "P001"), ("name", "李四")],
                                                 text=text), "li")
    masked = masked_text(store.relational(), added.tip_id, text)
    for clear in ("张三", "李四", "110101199003074514", "13800000001"):
        assert clear not in masked
    assert "张*" in masked and "仁和大药房" in masked
