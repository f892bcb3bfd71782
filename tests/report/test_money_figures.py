"""The weekly report writes money by the one rule (app.figures): 元 with separators in tables and sentences,
headline cards in 万元 for the Chinese reader."""
from __future__ import annotations

import re

from tests.money_scan import bare_money


def test_report_has_no_bare_money_and_headline_cards_in_wan_yuan(rendered):
    for name in ("zh.html", "en.html"):
        html = rendered[name].read_text(encoding="utf-8")
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
        text = re.sub(r"<[^>]+>|data:[^\"' ]+", " ", text)
        assert bare_money(text) == [], name
    zh = rendered["zh.html"].read_text(encoding="utf-8")
    assert "累计基金损失（万元）" in zh
    card = re.search(r'<div class="v">([^<]+)</div><div class="k">累计基金损失（万元）', zh)
    assert card and re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d", card.group(1)), card
