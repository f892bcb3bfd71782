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

from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import jinja2

from ringscope.app.export import wording
from ringscope.app.export.case import CaseFile
from ringscope.app.export.safe_names import safe_component

TIMELINE_ROWS = 200  # days shown in the document; the annexes hold every transaction
CHAIN_ROWS = 100  # trace-code chains shown in the document; trace_chains.csv holds all
INLINE_TRANSACTIONS = 300  # up to this many settlements are listed in the document itself

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
)
_ENV.filters["money"] = lambda v: f"{Decimal(v):,.2f}"


def render_html(case: CaseFile, lang: str, version: str, files: Sequence[str], graph_png: str | None) -> str:
    """The summary in ``lang`` ("zh" or "en") as a self-standing HTML page."""
    ring = case.ring
    context: dict[str, Any] = {
        "lang": lang, "t": wording.T[lang], "ring": ring, "case": case, "fl": case.fund_loss,
        "ev": case.evidence, "version": version, "files": list(files), "graph_png": graph_png,
        "ring_id_css": safe_component(ring.ring_id),
        "scheme_name": wording.scheme_name(ring.scheme, lang),
        "entity": lambda t: wording.entity_name(t, lang),
        "role": lambda r: wording.role_name(r, lang),
        "timeline": case.timeline[:TIMELINE_ROWS],
        "timeline_more": max(0, len(case.timeline) - TIMELINE_ROWS),
        "chains": case.evidence.trace_chains[:CHAIN_ROWS],
        "chains_more": max(0, len(case.evidence.trace_chains) - CHAIN_ROWS),
        "transactions": case.settlements if len(case.settlements) <= INLINE_TRANSACTIONS else [],
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
