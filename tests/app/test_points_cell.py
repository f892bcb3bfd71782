"""A credit-point row names a few settlements and how many there are, never a wall of ids."""
from ringscope.app.i18n import Translator
from ringscope.app.views.tips import evidence_cell


def test_a_long_evidence_list_is_cut_to_three_ids_and_the_count():
    ids = [f"S{i:04d}" for i in range(40)]
    assert evidence_cell(ids, Translator("zh")) == "S0000, S0001, S0002 等，共 40 笔"
    assert evidence_cell(ids, Translator("en")) == "S0000, S0001, S0002 … 40 in all"


def test_a_short_evidence_list_is_shown_whole():
    assert evidence_cell(["S1", "S2"], Translator("zh")) == "S1, S2"
