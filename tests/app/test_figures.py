"""Money and figures: one rule (app.figures) in the explorer; headline metrics in 万元 for zh, never cut off."""
from __future__ import annotations

from decimal import Decimal

from ringscope.app.figures import TABLE_FORMAT, headline, headline_with_exact, wan_yuan, yuan
from tests.app.apptest import open_page, start
from tests.money_scan import bare_money


def test_yuan_and_wan_yuan_round_half_up_with_separators():
    assert yuan(14066530.125) == "14,066,530.13" and yuan(None) == "0.00" and yuan(Decimal("68.6")) == "68.60"
    assert yuan("-1234.5") == "-1,234.50"
    assert wan_yuan(14066530.12) == "1,406.65" and wan_yuan(205.80) == "0.02"
    assert headline(14066530.12, "zh") == "1,406.65" and headline(14066530.12, "en") == "14,066,530.12"
    assert headline_with_exact(13505.67, "zh") == "1.35 万元（13,505.67 元）"


def test_money_scan_finds_bare_figures():
    assert bare_money("基金损失 13505.67 元，共 1,234.50") == ["13505.67"]
    assert bare_money("合计 1,406.65 万元；2026-03-05；追溯码 81234567890123456789") == []


def _money_configs(at) -> dict[str, str]:
    """Per shown table column with a number format: that format (from the dataframe's column config)."""
    import json

    out = {}
    for df in at.dataframe:
        config = json.loads(df.proto.columns or "{}")
        for name, column in config.items():
            fmt = (column.get("type_config") or {}).get("format")
            if fmt:
                out[name] = fmt
    return out


def test_overview_headline_in_wan_yuan_and_tables_with_separators(explorer_ws):
    at = start()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["涉及基金损失（万元）"] == "0.02"  # 205.80 元
    assert _money_configs(at).get("基金损失（元）") == TABLE_FORMAT
    en = start("en")
    assert {m.label: m.value for m in en.metric}["Fund loss at stake (CNY)"] == "205.80"


def test_ring_tables_format_every_money_column(explorer_ws):
    at = open_page(start(), "screens/ring.py")
    configs = _money_configs(at)
    for name in ("基金支付（元）", "总金额（元）"):
        assert configs.get(name) == TABLE_FORMAT, (name, configs)
    assert not bare_money(" ".join(m.value for m in at.markdown))


def test_money_charts_use_separators_not_english_abbreviations():
    import pandas as pd
    import plotly.express as px

    from ringscope.app.views.overview import money_axis

    fig = money_axis(px.bar(pd.DataFrame({"scheme": ["x"], "fund_loss": [14066530.12]}), x="scheme", y="fund_loss"))
    assert fig.layout.yaxis.tickformat == ",.0f"  # 14,000,000 rather than "14M"
    assert "%{y:,.2f}" in fig.data[0].hovertemplate
