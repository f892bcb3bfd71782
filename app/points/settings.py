"""Credit-point settings: the province's point table, thresholds and responsibility shares.

Read once from ``[app.points]`` of ``ringscope.toml``; a province keeps its
published table in a TOML file of its own and names it with ``table_file``
(relative to the workspace).  Precedence: defaults < table file < inline.

Defaults follow the 2024 guidance on managing payment eligibility of
designated institutions' staff (医保支付资格管理, NHSA, National Health
Commission, NMPA): 12 points per natural year at most; a serious violation
(inducing or assisting fake visits or purchases, forging records, lending
one's prescriber code) scores 12 at once and ends payment eligibility for a
period; 9–11 points in a year suspend it; lesser breaches score 1–6 by the
degree of responsibility (main, important, general).  docs/credit-points.md
states each default and how to load a province's own table.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ringscope.app.errors import UserError
from ringscope.app.settings_tables import check_known, merged_section, positive_ints

RESPONSIBILITIES: tuple[str, ...] = ("main", "important", "general")


class PointSettingsError(UserError):
    """A credit-point setting is unknown or malformed; the message names it."""


@dataclass(frozen=True)
class PointRule:
    rule_id: str
    schemes: tuple[str, ...]  # ring schemes (or DRG violations) the rule applies to
    points: dict[str, int]  # responsibility -> points
    text: str
    text_zh: str


DEFAULT_RULES: tuple[PointRule, ...] = (
    PointRule("fraud_serious", ("trace_resale", "borrowed_cards", "car_shuttle", "maternity", "mixed"),
              {"main": 12, "important": 10, "general": 6},
              "serious violation: inducing or assisting fake visits or purchases, reselling reimbursed drugs, "
              "lending one's prescriber code",
              "严重违法违规：诱导、协助他人冒名或者虚假就医、购药，倒卖医保药品，出借医保支付资格"),
    PointRule("over_prescription", ("over_prescription",), {"main": 6, "important": 4, "general": 2},
              "prescribing beyond clinical need (over-prescription) charged to the fund",
              "超量开药、超出临床需要开具处方并纳入医保结算"),
    PointRule("drg_upcoding", ("up_coding", "split_admission", "cost_shifting"), {"main": 6, "important": 4, "general": 2},
              "DRG/DIP coding or admission practice that raised fund payments (upcoding, split admissions, "
              "cost shifting)",
              "高套病组、分解住院、转嫁费用等违规行为"),
)


@dataclass(frozen=True)
class PointSettings:
    province: str = "national"
    """Whose table this is; printed with every entry."""
    year_cap: int = 12
    """Points a person can hold in one natural year."""
    suspend_from: int = 9
    """From this many points in a year the person's payment eligibility is suspended."""
    terminate_at: int = 12
    """At this many points in a year payment eligibility ends (终止) for the period the table sets."""
    main_share: float = 0.5
    """A person who signed or settled at least this share of a ring's settlements bears main responsibility."""
    important_share: float = 0.2
    """At least this share (and below ``main_share``): important responsibility; below it, general."""
    operator_min_settlements: int = 2
    """An operator (the staff member who settled) is proposed only with at least this many of a ring's settlements."""
    rules: tuple[PointRule, ...] = DEFAULT_RULES
    source: str = "defaults"

    def rule_for(self, scheme: str) -> PointRule | None:
        return next((r for r in self.rules if scheme in r.schemes), None)

    def consequence(self, total: int) -> str:
        """none, suspend or terminate for a year's total."""
        if total >= self.terminate_at:
            return "terminate"
        if total >= self.suspend_from:
            return "suspend"
        return "none"

    @classmethod
    def from_config(cls, app_config: Mapping[str, Any], workspace: Path) -> "PointSettings":
        return _build(*merged_section(app_config, "points", workspace, PointSettingsError))


_INTS = ("year_cap", "suspend_from", "terminate_at", "operator_min_settlements")


def _build(values: Mapping[str, Any], source: str) -> PointSettings:
    check_known(values, [f for f in PointSettings.__dataclass_fields__ if f != "source"], "points", PointSettingsError)
    kwargs: dict[str, Any] = {"source": source, **positive_ints(values, _INTS, "points", PointSettingsError)}
    for name in ("main_share", "important_share"):
        if name in values:
            if not isinstance(values[name], (int, float)) or not 0 < float(values[name]) <= 1:
                raise PointSettingsError(f"[app.points] {name} must be a share in (0, 1], not {values[name]!r}")
            kwargs[name] = float(values[name])
    if "province" in values:
        kwargs["province"] = str(values["province"])
    if "rules" in values:
        kwargs["rules"] = _rules(values["rules"])
    s = PointSettings(**kwargs)
    if not s.suspend_from <= s.terminate_at <= s.year_cap:
        raise PointSettingsError("[app.points] needs suspend_from <= terminate_at <= year_cap")
    if s.important_share > s.main_share:
        raise PointSettingsError("[app.points] important_share must not exceed main_share")
    return s


def _rules(table: Any) -> tuple[PointRule, ...]:
    """``[app.points.rules.RULE] schemes = [...], main = 12, important = 10, general = 6, text, text_zh``."""
    if not isinstance(table, dict) or not table:
        raise PointSettingsError("[app.points] rules must be a table of rules ([app.points.rules.NAME])")
    rules = []
    for rule_id, spec in table.items():
        if not isinstance(spec, dict) or not spec.get("schemes"):
            raise PointSettingsError(f"[app.points.rules.{rule_id}] needs schemes = [...]")
        points = {}
        for degree in RESPONSIBILITIES:
            value = spec.get(degree)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 12:
                raise PointSettingsError(f"[app.points.rules.{rule_id}] {degree} must be points from 0 to 12, "
                                         f"not {value!r}")
            points[degree] = value
        rules.append(PointRule(str(rule_id), tuple(str(s) for s in spec["schemes"]), points,
                               str(spec.get("text", rule_id)), str(spec.get("text_zh", spec.get("text", rule_id)))))
    return tuple(rules)
