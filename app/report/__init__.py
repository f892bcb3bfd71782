"""The weekly ring report: data assembly, charts, HTML and PDF, Chinese and English.

``data.build_report_data`` reads the ring history and the catalogue into a
:class:`~ringscope.app.report.data.ReportData`; ``render`` turns it into a
stand-alone HTML page (charts inlined as SVG data URIs, no script, no
external URL) and a PDF (WeasyPrint, Noto Sans CJK SC embedded).
"""
