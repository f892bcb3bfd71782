"""The Chinese weekly report speaks one vocabulary: no ASCII code word (scheme, role, edge type...)."""
from __future__ import annotations

from tests.vocabulary import code_words_in, visible_text


def test_weekly_report_zh_has_no_code_words(rendered):
    text = visible_text(rendered["zh.html"].read_text(encoding="utf-8"))
    assert "医保基金欺诈团伙周报" in text or "周报" in text
    assert code_words_in(text) == []
