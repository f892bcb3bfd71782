"""Chinese documents speak one vocabulary: no ASCII code word in the referral summary or the weekly report."""
from __future__ import annotations

from tests.export.unpack import member
from tests.vocabulary import code_words_in, visible_text


def test_referral_summary_zh_has_no_code_words(masked_zip):
    text = visible_text(member(masked_zip, "data/summary/summary-zh.html").decode("utf-8"))
    assert "团伙编号" in text
    assert code_words_in(text) == []
