"""Tip-off settings: reward tiers, linking reach, where the contact key lives.

Read once from ``[app.tips]`` of ``ringscope.toml``; a province keeps its own
reward table in a TOML file of its own and names it with ``table_file``
(relative paths are read from the workspace).  Precedence: defaults < the
table file < keys written inline in ``[app.tips]``.

The defaults follow the 2022 reward measures of the NHSA and the Ministry of
Finance (医疗保障基金使用监督管理举报处理暂行办法 / 举报奖励办法): a
verified tip earns a share of the verified case value, at least CNY 200 and
at most CNY 200,000; provinces set the shares.  The default tier table below
is RingScope's own, progressive like a tax scale, documented in
docs/tips.md, and meant to be replaced by the province's published table.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from ringscope.app.errors import UserError
from ringscope.app.settings_tables import check_known, merged_section, positive_ints


class TipSettingsError(UserError):
    """A tip setting is unknown or malformed; the message names it."""


@dataclass(frozen=True)
class RewardTier:
    up_to: Decimal | None  # upper bound of the case value this rate applies to; None = no bound
    rate: Decimal


DEFAULT_TIERS: tuple[RewardTier, ...] = (
    RewardTier(Decimal("10000"), Decimal("0.06")),
    RewardTier(Decimal("100000"), Decimal("0.04")),
    RewardTier(Decimal("1000000"), Decimal("0.02")),
    RewardTier(None, Decimal("0.01")),
)


@dataclass(frozen=True)
class TipSettings:
    province: str = "national"
    """Whose table this is; printed with every estimate so the rule is traceable."""
    reward_min: Decimal = Decimal("200")
    """National floor of a reward for a verified tip (2022 measures)."""
    reward_max: Decimal = Decimal("200000")
    """National ceiling of a reward (2022 measures)."""
    reward_tiers: tuple[RewardTier, ...] = DEFAULT_TIERS
    """Marginal rates on the verified case value, lowest band first."""
    link_hops: int = 2
    """A tip links to a ring whose member or transaction is this many hops from an entity it names."""
    nearest_max_hops: int = 4
    """How far to look for the nearest ring when the tip's entities are in none."""
    neighbourhood_limit: int = 2000
    """Nodes held per neighbourhood walk (the store's breadth-first limit)."""
    shared_identifier_min: int = 3
    """A phone, address or device used by this many people or cards is a suspicious structure of its own."""
    rerun_hops: int = 2
    """Hops around the tip's entities whose data a focused re-run of the detectors reads."""
    rerun_max_settlements: int = 200_000
    """A focused re-run refuses a neighbourhood bigger than this (run `ringscope detect` instead)."""
    key_file: str = "keys/tip-contact.key"
    """The contact key (relative to the workspace unless absolute); RINGSCOPE_TIP_KEY wins."""
    source: str = "defaults"

    @classmethod
    def from_config(cls, app_config: Mapping[str, Any], workspace: Path) -> "TipSettings":
        return _build(*merged_section(app_config, "tips", workspace, TipSettingsError))


_INTS = ("link_hops", "nearest_max_hops", "neighbourhood_limit", "shared_identifier_min", "rerun_hops",
         "rerun_max_settlements")


def _build(values: Mapping[str, Any], source: str) -> TipSettings:
    check_known(values, [f for f in TipSettings.__dataclass_fields__ if f != "source"], "tips", TipSettingsError)
    kwargs: dict[str, Any] = {"source": source, **positive_ints(values, _INTS, "tips", TipSettingsError)}
    for name in ("province", "key_file"):
        if name in values:
            kwargs[name] = str(values[name])
    for name in ("reward_min", "reward_max"):
        if name in values:
            kwargs[name] = _money(values[name], name)
    if "reward_tiers" in values:
        kwargs["reward_tiers"] = _tiers(values["reward_tiers"])
    settings = TipSettings(**kwargs)
    if settings.reward_min > settings.reward_max:
        raise TipSettingsError(f"[app.tips] reward_min {settings.reward_min} is above reward_max {settings.reward_max}")
    return settings


def _money(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise TipSettingsError(f"[app.tips] {name} must be an amount in yuan, not {value!r}") from None
    if amount < 0 or not amount.is_finite():
        raise TipSettingsError(f"[app.tips] {name} must be an amount in yuan, not {value!r}")
    return amount


def _tiers(items: Any) -> tuple[RewardTier, ...]:
    """``[{up_to = 10000, rate = 0.06}, ..., {rate = 0.01}]``: ascending bounds, the last may be open."""
    if not isinstance(items, list) or not items:
        raise TipSettingsError("[app.tips] reward_tiers must be a non-empty list of {up_to, rate} tables")
    tiers: list[RewardTier] = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or "rate" not in item:
            raise TipSettingsError(f"[app.tips] reward_tiers entry {i} needs a rate (and up_to unless it is the last)")
        rate = Decimal(str(item["rate"]))
        if not (Decimal(0) <= rate <= Decimal(1)):
            raise TipSettingsError(f"[app.tips] reward_tiers entry {i}: rate must be between 0 and 1, not {rate}")
        up_to = item.get("up_to")
        if up_to is None and i != len(items):
            raise TipSettingsError(f"[app.tips] reward_tiers entry {i}: only the last tier may have no up_to")
        bound = None if up_to is None else _money(up_to, f"reward_tiers entry {i} up_to")
        if bound is not None and tiers and tiers[-1].up_to is not None and bound <= tiers[-1].up_to:
            raise TipSettingsError(f"[app.tips] reward_tiers entry {i}: up_to must rise from tier to tier")
        tiers.append(RewardTier(bound, rate))
    return tuple(tiers)


def tier_rows(settings: TipSettings) -> list[dict[str, str]]:
    rows, low = [], Decimal(0)
    for tier in settings.reward_tiers:
        high = "∞" if tier.up_to is None else f"{tier.up_to:,.0f}"
        rows.append({"from": f"{low:,.0f}", "to": high, "rate": f"{tier.rate * 100:g}%"})
        low = tier.up_to or low
    return rows
