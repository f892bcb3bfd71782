"""File names inside a package are safe whatever the ring id holds."""
from __future__ import annotations

import zipfile

import pytest

from ringscope.app.export import verify_package
from ringscope.app.export.safe_names import safe_component
from tests.export.referral_case import WEIRD_ID


@pytest.mark.parametrize("raw", ["../../etc/x", "..", ".", "", "中文", "a\x00b\nc", "R-000123", "/abs", "a" * 300,
                                 "con", "x/../../y"])
def test_safe_component(raw):
    name = safe_component(raw)
    assert name and name not in (".", "..")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert not name.startswith(".") and len(name) <= 60


def test_distinct_ids_stay_distinct():
    assert safe_component("a/b") != safe_component("a_b") != safe_component("a b")


def test_package_of_a_hostile_ring_id(case):
    out = case.export("weird.zip", ring_id=WEIRD_ID, lang=("en",))
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    roots = {n.split("/")[0] for n in names}
    assert len(roots) == 1
    root = roots.pop()
    assert root.startswith("referral-") and root.isascii() and ".." not in root
    assert all(".." not in n.split("/") and n.isascii() and n.isprintable() for n in names)
    report = verify_package(out)
    assert report.ok, report.lines()
    ring_id = report.info["Ring-Id"]
    assert isinstance(ring_id, str) and "\\x07" in ring_id  # the control character is shown, not written raw
