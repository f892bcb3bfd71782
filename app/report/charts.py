"""Charts for the report as plain SVG, built from numbers with no library.

Hand-written SVG keeps the report stand-alone (no CDN, no script), the
output byte-for-byte deterministic (a re-run gives the same file), and the
Chinese labels in the PDF drawn with the same embedded Noto Sans CJK font
as the text.  Each chart is embedded as an ``<img>`` with a
``data:image/svg+xml;base64`` URI.
"""
from __future__ import annotations

import base64
import math
from typing import Sequence
from xml.sax.saxutils import escape

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
BAR = "#c0392b"
LINE = "#1f4e79"
GRID = "#d9d9d9"
TEXT = "#333333"


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^k)."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp  # pragma: no cover


def _num(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v)):,}"
    return f"{v:,.1f}"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="12" fill="{TEXT}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{width / 2:.1f}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{escape(title)}</text>'
        + "".join(body) + "</svg>"
    )


def bar_chart(items: Sequence[tuple[str, float]], title: str, width: int = 640) -> str:
    """Horizontal bars, one per (label, value), in the order given."""
    row, left, right, top = 26, 170, 70, 34
    height = top + max(1, len(items)) * row + 16
    vmax = _nice_max(max((v for _l, v in items), default=0.0))
    plot_w = width - left - right
    body: list[str] = []
    for i in range(5):
        x = left + plot_w * i / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 14}" stroke="{GRID}"/>')
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = plot_w * (value / vmax) if vmax else 0
        body.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>')
        body.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}">{escape(_num(value))}</text>')
    if not items:
        body.append(f'<text x="{width / 2:.1f}" y="{top + 16}" text-anchor="middle">—</text>')
    return _svg(width, height, body, title)


def trend_chart(weeks: Sequence[str], rings: Sequence[int], loss: Sequence[float], title: str,
                rings_label: str, loss_label: str, width: int = 640, height: int = 260) -> str:
    """Fund loss per week as bars (left axis) and ring count as a line (right axis)."""
    left, right, top, bottom = 64, 56, 48, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(weeks))
    lmax = _nice_max(max(loss, default=0.0))
    rmax = _nice_max(max(rings, default=0))
    slot = plot_w / n
    body: list[str] = []
    for i in range(5):
        y = top + plot_h * (1 - i / 4)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_num(lmax * i / 4))}</text>')
        body.append(f'<text x="{width - right + 6}" y="{y + 4:.1f}">{escape(_num(rmax * i / 4))}</text>')
    points = []
    for i, week in enumerate(weeks):
        cx = left + slot * (i + 0.5)
        h = plot_h * (loss[i] / lmax) if lmax else 0
        body.append(f'<rect x="{cx - slot * 0.3:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.6:.1f}" '
                    f'height="{h:.1f}" fill="{BAR}" opacity="0.8"/>')
        body.append(f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(week)}</text>')
        points.append((cx, top + plot_h * (1 - (rings[i] / rmax if rmax else 0))))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for (x, y), r in zip(points, rings):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"/>')
        body.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" fill="{LINE}">{r}</text>')
    # legend
    ly = 34
    body.append(f'<rect x="{left}" y="{ly - 9}" width="12" height="10" fill="{BAR}"/>')
    body.append(f'<text x="{left + 16}" y="{ly}">{escape(loss_label)}</text>')
    body.append(f'<line x1="{left + 200}" y1="{ly - 4}" x2="{left + 220}" y2="{ly - 4}" stroke="{LINE}" stroke-width="2"/>')
    body.append(f'<text x="{left + 226}" y="{ly}">{escape(rings_label)}</text>')
    return _svg(width, height, body, title)
