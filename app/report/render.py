"""Render a :class:`ReportData` to stand-alone HTML and to PDF.

HTML: one file, styles inline, charts as SVG data URIs, no script and no
external URL except the links into the explorer (one per ring).  PDF:
the same HTML through WeasyPrint, which embeds Noto Sans CJK SC as a named
subset font so that the Chinese text can be searched and extracted.

Output is deterministic: everything printed comes from the data (the
stamp is the data's latest time, also written as the PDF's creation date),
so re-rendering the same week gives byte-identical HTML.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterable

import jinja2

from ringscope.app.figures import headline, yuan
from ringscope.app.report.charts import bar_chart, data_uri, trend_chart
from ringscope.app.report.data import ReportData
from ringscope.app.report.messages import LANGUAGES, Messages

SECTIONS = ("summary", "new", "changed", "triage", "top", "by-scheme", "by-region", "charts", "dissolved",
            "tips-points", "drg")
FORMATS = ("html", "pdf")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
)


def money(value: float | Decimal | None) -> str:
    """Money in 元 with separators and two decimals (``app.figures``, the rule of every output);
    a Decimal is formatted as it is, never through float."""
    return yuan(value)


def summary_paragraphs(d: ReportData, msg: Messages) -> list[str]:
    """The executive summary, a few generated sentences."""
    scheme = lambda s: msg.get(f"scheme.{s}", s)  # noqa: E731
    out = []
    if d.activity is not None:
        week = dict(monday=d.monday, sunday=d.sunday)
        if not d.activity.has_data:
            out.append(msg("summary.text_no_data", **week))
        out.append(msg("summary.text_week", **week, settlements=f"{d.activity.settlements:,}",
                       claims=f"{d.activity.claims:,}", new=d.status_counts.get("new", 0),
                       txns=f"{d.activity.ring_transactions:,}", week_loss=money(d.activity.ring_loss)))
    out.append(msg("summary.text", week=d.week, rings=d.totals["rings"], fund_loss=money(d.totals["fund_loss"])))
    if d.previous_totals is None:
        out.append(msg("summary.text_first"))
    else:
        delta = d.totals["fund_loss"] - d.previous_totals["fund_loss"]
        out.append(msg("summary.text_change", new=d.status_counts.get("new", 0), grown=d.status_counts.get("grown", 0),
                       merged=d.status_counts.get("merged", 0), dissolved=d.status_counts.get("dissolved", 0),
                       direction=msg("summary.up") if delta >= 0 else msg("summary.down"), delta=money(abs(delta))))
    if d.top_rings:
        top = d.top_rings[0]
        out.append(msg("summary.text_top", ring_id=top.ring_id, scheme=scheme(top.scheme),
                       fund_loss=money(top.fund_loss), members=top.members))
    if d.triage_available:
        out.append(msg("summary.text_triage", confirmed=len(d.confirmed), dismissed=len(d.dismissed)))
    return out


def charts(d: ReportData, msg: Messages) -> list[dict[str, str]]:
    scheme = lambda s: msg.get(f"scheme.{s}", s)  # noqa: E731
    trend = trend_chart(
        [t["week"] for t in d.trend], [int(t["rings"] or 0) for t in d.trend],
        [round(float(t["week_loss"]) / 10_000, 2) for t in d.trend],  # chart scale only
        msg("chart.trend_title"), msg("chart.trend_rings"), msg("chart.trend_loss"),
    )
    by_scheme = bar_chart([(scheme(s["scheme"]), round(float(s["fund_loss"] or 0) / 10_000, 2)) for s in d.by_scheme],
                          msg("chart.scheme_title"))
    return [{"title": msg("chart.trend_title"), "uri": data_uri(trend)},
            {"title": msg("chart.scheme_title"), "uri": data_uri(by_scheme)}]


def render_html(d: ReportData, lang: str = "zh") -> str:
    from ringscope.app.views.regions import province_name

    msg = Messages(lang)
    template = _env.get_template("report.html.j2")
    stamp_iso = d.data_as_of.strftime("%Y-%m-%dT%H:%M:%S+08:00") if d.data_as_of else f"{d.sunday}T23:59:59+08:00"
    return template.render(
        d=d, lang=lang, msg=msg, sections=SECTIONS, money=money, headline=lambda v: headline(v, lang), summary_text=summary_paragraphs(d, msg),
        charts=charts(d, msg), stamp_iso=stamp_iso,
        scheme=lambda s: msg.get(f"scheme.{s}", s),
        province=lambda code: "—" if not code or code == "—" else f"{province_name(code, lang)}",
    )


def render_pdf(html: str, path: Path) -> Path:
    """Write the PDF (WeasyPrint); fonts come from the system (fonts-noto-cjk)."""
    import weasyprint

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pdf.tmp")
    weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(str(tmp))
    tmp.replace(path)
    return path


def report_basename(week: str, lang: str) -> str:
    return f"ringscope-report-{week}-{lang}"


def write_report(d: ReportData, out_dir: Path, formats: Iterable[str] = FORMATS,
                 langs: Iterable[str] = LANGUAGES) -> list[Path]:
    """Write each language in each format into ``out_dir``; returns the files, Chinese first."""
    formats, langs = list(formats), list(langs)
    for f in formats:
        if f not in FORMATS:
            raise ValueError(f"unknown report format {f!r}: use html and/or pdf")
    for lang in langs:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown report language {lang!r}: use zh and/or en")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for lang in sorted(langs, key=LANGUAGES.index):
        html = render_html(d, lang)
        base = out_dir / report_basename(d.week, lang)
        if "html" in formats:
            path = base.with_suffix(".html")
            tmp = path.with_suffix(".html.tmp")
            tmp.write_text(html, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
        if "pdf" in formats:
            written.append(render_pdf(html, base.with_suffix(".pdf")))
    return written
