"""The referral's graph PNG: the entity picture, in Chinese, with no label overlapping another."""
from __future__ import annotations

from ringscope.app.entity_view import layout
from ringscope.app.export.case import gather_case
from ringscope.app.export.graph_files import build_picture, write_png
from ringscope.app.ring_source import find_ring


def test_png_labels_in_chinese_never_overlap(case, tmp_path):
    ring = find_ring(case.config.workspace, case.store.relational(), "R-000001", None)
    pic = build_picture(gather_case(case.store.relational().cursor(), ring, masked=True))
    keys = sorted(layout(pic))
    # squeeze all nodes but one into a corner, so that naive labels collide: placement must keep them apart
    pos = {k: (i * 0.01, (i % 3) * 0.01) for i, k in enumerate(keys[:-1])} | {keys[-1]: (10.0, 10.0)}
    labels = write_png(pic, pos, tmp_path / "g.png", "团伙编号 R-000001", "zh")
    boxes = [box for _text, box in labels]
    assert len(labels) >= 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0, (a, b)
    words = " ".join(text for text, _box in labels)
    assert "倒卖者" in words  # roles in Chinese
    assert not any(code in words for code in ("seller", "reseller", "shell employer", "admitting"))
