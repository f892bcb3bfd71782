"""The summary document: one HTML per language, printed to PDF by WeasyPrint.

WeasyPrint embeds Noto Sans CJK SC as a named subset font, so the Chinese
text can be extracted again (``pdftotext``) and searched; Chromium's
print-to-PDF would embed it as unnamed Type 3 glyphs (platform notes).
The PDF carries no creation date, and WeasyPrint's output is a pure function
of the HTML, so the same case gives the same bytes.

Long lists are cut in the document (a referral is read by a person) and
given whole in the annexes; the document says how many rows it left out.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import jinja2

from ringscope.app.export import wording
from ringscope.app.export.case import CaseFile
from ringscope.app.export.safe_names import safe_component
from ringscope.app.figures import headline_with_exact, yuan
from ringscope.app.i18n import Translator

# How much the document itself lists; the annexes always hold every row.  A referral is read by a
# person, and WeasyPrint lays out ~1-2 pages a second on this machine, so the document stays short.
TIMELINE_ROWS = 62  # periods: days when the ring was active on at most this many days, else weeks, else months
CHAIN_ROWS = 40  # trace-code chains (trace_chains.csv holds all)
MEMBER_ROWS = 60  # members in the members table and in the per-member loss table (members.csv holds all)
SHARED_ROWS = 30  # devices / operators / co-admissions
INLINE_TRANSACTIONS = 150  # up to this many settlements are listed in the document itself
EVIDENCE_ITEMS = 40  # evidence items whose rows the document shows (evidence_rows.csv holds every item's rows)
EVIDENCE_ROWS = 12  # rows shown per evidence item

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
)
_ENV.filters["money"] = yuan  # one rule for money in every output (app.figures)


def _period_key(day: str, period: str) -> str:
    if period == "day":
        return day
    if period == "month":
        return day[:7]
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()  # the Monday of its ISO week


def coarsen_timeline(days: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Per day when that fits the document, else per week (from Monday), else per month."""
    for period in ("day", "week", "month"):
        keys = {_period_key(d["date"], period) for d in days}
        if len(keys) <= TIMELINE_ROWS or period == "month":
            break
    if period == "day":
        return period, days
    merged: dict[str, dict[str, Any]] = {}
    for d in days:
        key = _period_key(d["date"], period)
        m = merged.setdefault(key, {"date": key, "n_settlements": 0, "fund_paid": Decimal("0.00"), "facilities": set(),
                                    "cards": set(), "n_claims": 0, "claims_amount": Decimal("0.00"), "admissions": 0})
        for k in ("n_settlements", "fund_paid", "n_claims", "claims_amount", "admissions"):
            m[k] += d[k]
        m["cards"].update(d["cards"])
        m["facilities"].update(d["facilities"])
    out = []
    for key in sorted(merged):
        m = merged[key]
        m["facilities"] = sorted(m["facilities"])
        m["n_cards"] = len(m.pop("cards"))
        out.append(m)
    return period, out


def render_html(case: CaseFile, lang: str, version: str, files: Sequence[str], graph_png: str | None) -> str:
    """The summary in ``lang`` ("zh" or "en") as a self-standing HTML page."""
    ring = case.ring
    period, timeline_all = coarsen_timeline(case.timeline)
    timeline = timeline_all[:TIMELINE_ROWS]
    context: dict[str, Any] = {
        "lang": lang, "t": wording.terms(ring.scheme, lang), "ring": ring, "case": case, "fl": case.fund_loss,
        "ev": case.evidence, "version": version, "files": list(files), "graph_png": graph_png,
        "ring_id_css": safe_component(ring.ring_id),
        "scheme_name": wording.scheme_name(ring.scheme, lang),
        "entity": lambda t: wording.entity_name(t, lang),
        "role": lambda r: wording.role_name(r, lang),
        # codes and record fields in the reader's language (app/messages [value] and [field])
        "value": lambda v: Translator(lang).maybe(f"value.{v}", str(v)) if isinstance(v, str) else v,
        "field": lambda k: Translator(lang).maybe(f"field.{k}", k),
        "timeline": timeline,
        "period": period,
        "timeline_more": max(0, len(timeline_all) - TIMELINE_ROWS),
        "members": case.members[:MEMBER_ROWS],
        "members_more": max(0, len(case.members) - MEMBER_ROWS),
        "per_member": case.fund_loss.per_member[:MEMBER_ROWS],
        "shared_rows": SHARED_ROWS,
        "chains": case.evidence.trace_chains[:CHAIN_ROWS],
        "chains_more": max(0, len(case.evidence.trace_chains) - CHAIN_ROWS),
        "transactions": case.settlements if len(case.settlements) <= INLINE_TRANSACTIONS else [],
        "det_items": case.evidence_items[:len(case.evidence.detection)],
        "data_items": case.evidence_items[len(case.evidence.detection):],
        "shown_items": case.evidence_items[:EVIDENCE_ITEMS],
        "items_more": max(0, len(case.evidence_items) - EVIDENCE_ITEMS),
        "evidence_rows": EVIDENCE_ROWS,
        "status": lambda s: wording.T[lang]["status"].get(s, s),
        "total_headline": headline_with_exact(case.fund_loss.total, lang),
    }
    return _ENV.get_template("summary.html.j2").render(**context)


PDF_BASE = "file:///referral/summary/"  # fixed, so names WeasyPrint derives from URLs do not vary


def write_pdf(html: str, payload: Path, out: Path) -> None:
    """Print ``html`` to ``out``; relative links (the graph image) resolve inside ``payload``.

    The base URL is a fixed pseudo-path mapped onto ``payload`` by the URL fetcher, because
    WeasyPrint names embedded images after a hash of their URL: a temporary folder in the URL
    would make two otherwise identical PDFs differ.  Nothing outside the package is fetched.
    """
    import weasyprint  # imported late: it loads Pango
    from weasyprint.urls import URLFetcherResponse

    root = payload.resolve()

    def fetch(url: str):
        if not url.startswith("file:///referral/"):
            raise ValueError(f"refusing to fetch {url!r}: a referral only embeds its own files")
        target = (root / url[len("file:///referral/"):]).resolve()
        if root not in target.parents:
            raise ValueError(f"refusing to fetch {url!r}: outside the package")
        kind = "image/png" if target.suffix == ".png" else "application/octet-stream"
        return URLFetcherResponse(url, body=target.read_bytes(), headers={"Content-Type": kind})

    weasyprint.HTML(string=html, base_url=PDF_BASE, url_fetcher=fetch).write_pdf(str(out))
