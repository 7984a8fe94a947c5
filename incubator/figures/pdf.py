"""The report as a PDF (WeasyPrint): the same figures and charts as the page, laid out for A4.
Everything it shows is in the document (charts inline): it fetches nothing."""
from __future__ import annotations

from flask import render_template

from .. import charts
from ..dates import today
from .excel import TITLE, unit_name
from .report import Report


def report_pdf(report: Report) -> bytes:
    from weasyprint import HTML
    html = render_template("reports/pdf.html", report=report, title=TITLE, unit=unit_name(report),
                           made_on=today(), charts=area_charts(report))
    return HTML(string=html, url_fetcher=_refuse).write_pdf()


def area_charts(report: Report) -> dict[str, object]:
    """Each area's trend chart, for the figures counted in its first unit."""
    found = {}
    labels = [str(y) for y in report.scope.years]
    for area, figures in report.areas():
        counted = [f for f in figures if f.unit != "个月"]
        if counted:
            unit = counted[0].unit
            found[area] = charts.bars(labels, [(f.label, [f.by_year.get(y, 0) for y in report.scope.years])
                                               for f in counted if f.unit == unit])
    return found


def _refuse(url, *args, **kwargs):
    raise ValueError(f"the report loads nothing ({url[:40]!r})")
