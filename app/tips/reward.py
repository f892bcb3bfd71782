"""The reward a tip would earn: a share of the verified case value, within the national bounds.

Only rings that the tip led to *and* that investigators confirmed count
(the 2022 measures reward a tip once the case is verified, 查实), and only a
tip itself verified (or already rewarded) earns anything: an unverified or
rejected tip is estimated at zero.  The case value is the fund loss of those
rings, each counted once; the reward is the province's marginal tiers applied
to it, then held within ``reward_min``..``reward_max``.  The estimate carries
the sentence that explains it, so an investigator can check it by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from ringscope.app.tips.settings import TipSettings

CENT = Decimal("0.01")
EARNING_STATUSES = ("verified", "rewarded")
STATUS_ZH = {"received": "已受理", "verified": "已查实", "rewarded": "已奖励", "rejected": "不予查实"}


@dataclass(frozen=True)
class RewardEstimate:
    amount: Decimal
    case_value: Decimal
    rings: tuple[str, ...]  # the verified rings counted
    rule: str  # how the amount was reached, in English
    rule_zh: str

    def text(self, lang: str) -> str:
        return self.rule_zh if lang == "zh" else self.rule


def tiered_amount(case_value: Decimal, settings: TipSettings) -> tuple[Decimal, list[str]]:
    """The sum of each tier's rate on the part of the case value inside that tier, and the steps."""
    amount, low, steps = Decimal(0), Decimal(0), []
    for tier in settings.reward_tiers:
        high = case_value if tier.up_to is None else min(case_value, tier.up_to)
        if high <= low:
            break
        part = (high - low) * tier.rate
        steps.append(f"{high - low:,.2f}×{tier.rate * 100:g}%={part:,.2f}")
        amount += part
        if tier.up_to is None or case_value <= tier.up_to:
            break
        low = tier.up_to
    return amount.quantize(CENT, ROUND_HALF_UP), steps


def estimate_reward(tip_status: str, ring_losses: Iterable[tuple[str, Decimal]], settings: TipSettings) -> RewardEstimate:
    """The estimate for a tip in ``tip_status`` whose verified rings had these fund losses."""
    counted = {ring_id: Decimal(str(loss)) for ring_id, loss in ring_losses}
    rings = tuple(sorted(counted))
    case_value = sum(counted.values(), Decimal(0)).quantize(CENT)
    table = f"{settings.province} table ({settings.source})"
    if tip_status not in EARNING_STATUSES:
        return RewardEstimate(Decimal("0.00"), case_value, rings,
                              f"0: the tip is {tip_status}, only a verified tip earns a reward",
                              f"0：举报状态为「{STATUS_ZH.get(tip_status, tip_status)}」，查实后方可奖励")
    if not rings or case_value <= 0:
        return RewardEstimate(Decimal("0.00"), case_value, rings,
                              "0: no confirmed ring with a fund loss was linked to the tip",
                              "0：举报关联的团伙均未核实确认或无基金损失")
    raw, steps = tiered_amount(case_value, settings)
    amount, bound_en, bound_zh = raw, "", ""
    if raw < settings.reward_min:
        amount = settings.reward_min.quantize(CENT)
        bound_en, bound_zh = f", raised to the minimum {amount:,.2f}", f"，低于下限，按 {amount:,.2f} 计"
    elif raw > settings.reward_max:
        amount = settings.reward_max.quantize(CENT)
        bound_en, bound_zh = f", held at the maximum {amount:,.2f}", f"，超过上限，按 {amount:,.2f} 计"
    ring_list = ", ".join(rings)
    rule = (f"case value {case_value:,.2f} (confirmed rings {ring_list}); {table}: "
            f"{' + '.join(steps)} = {raw:,.2f}{bound_en}")
    rule_zh = (f"查实金额 {case_value:,.2f}（已确认团伙 {ring_list}）；{settings.province} 奖励档次（{settings.source}）："
               f"{' + '.join(steps)} = {raw:,.2f}{bound_zh}")
    return RewardEstimate(amount, case_value, rings, rule, rule_zh)
