"""The annual report pages (/reports): the figures of a year for the user's parks or the district,
the trend charts, the Excel a bureau files and the PDF; the targets (administrator); the public
showcase's choice."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..dates import today
from ..errors import DomainError
from ..exports import XLSX
from ..permissions import require
from ..plugins import visible_parks
from . import AREAS, Scope, collect, showcase
from . import report as reports
from . import targets as target_service

bp = Blueprint("reports", __name__, url_prefix="/reports")
public_bp = Blueprint("showcase", __name__)  # /showcase, for everyone


def _report() -> reports.Report:
    """The report the request asks for: ?year= (this year by default) and ?park=CODE (the user's
    parks, or the district for the administrator, by default)."""
    require("report.view")
    try:
        return reports.for_user(current_user, request.args.get("year", type=int), request.args.get("park", ""))
    except DomainError as exc:
        abort(404, description=exc.message)


def _filename(report: reports.Report, suffix: str) -> str:
    who = "包河区" if report.district else "、".join(p.name for p in report.parks[:2])
    return f"{who}{report.year}年度统计.{suffix}"


@bp.route("")
@login_required
def index():
    report = _report()
    years = list(range(reports.first_year(), today().year + 1))[::-1]
    return render_template("reports/index.html", report=report, years=years,
                           parks=visible_parks(current_user), chosen=request.args.get("park", ""),
                           areas=report.areas(), area_index={a: i for i, a in enumerate(AREAS)})


@bp.route("/charts/<int:area>.svg")
@login_required
def chart(area):
    """One area's trend (its figures counted in 家/人次/次…, grouped by year) as an SVG image, so the
    page itself is not held up by drawing."""
    if not 0 <= area < len(AREAS):
        abort(404)
    report = _report()
    figures = [f for f in report.figures if f.area == AREAS[area] and f.unit != "个月"]
    if not figures:
        abort(404)
    unit = figures[0].unit
    series = [(f.label, [f.by_year.get(y, 0) for y in report.scope.years]) for f in figures if f.unit == unit]
    from .. import charts  # pygal: 0.1 s to import, only once a chart is drawn
    svg = charts.bars([str(y) for y in report.scope.years], series)
    response = Response(str(svg), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/export.xlsx")
@login_required
def excel():
    from .excel import report_workbook  # openpyxl: 0.3 s to import, only for this download
    report = _report()
    response = Response(report_workbook(report), mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=report-{report.year}.xlsx; filename*=UTF-8''{quote(_filename(report, 'xlsx'))}")
    return response


@bp.route("/export.pdf")
@login_required
def pdf():
    from .pdf import report_pdf
    report = _report()
    response = Response(report_pdf(report), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=report-{report.year}.pdf; filename*=UTF-8''{quote(_filename(report, 'pdf'))}")
    return response


@bp.route("/targets", methods=["GET", "POST"])
@login_required
def targets():
    """目标管理: the administrator sets each park's targets for a year."""
    require("report.manage")
    year = request.values.get("year", type=int) or today().year
    if not 2000 <= year <= today().year + 1:
        abort(404)
    typed = {}
    if request.method == "POST":
        try:
            changed = target_service.save(year, request.form, user=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
            typed = request.form  # what was typed stays in the grid, to be corrected
        else:
            flash(_("已保存 %(year)s 年度目标（%(n)s 项变更）。", year=year, n=changed), "success")
            return redirect(url_for(".targets", year=year))
    return render_template("reports/targets.html", year=year, typed=typed, **target_service.grid(year))


@bp.route("/showcase", methods=["GET", "POST"])
@login_required
def showcase_settings():
    """The administrator chooses the public showcase's figures, their captions and order."""
    require("report.manage")
    figures = collect(Scope((today().year,), None))
    if request.method == "POST":
        rows = []
        for key in request.form.getlist("figure"):
            rows.append({"figure_key": key, "caption": request.form.get(f"caption-{key}", ""),
                         "cumulative": request.form.get(f"cumulative-{key}") == "1",
                         "position": request.form.get(f"position-{key}", type=int) or 0})
        rows.sort(key=lambda r: r["position"])
        try:
            showcase.save(rows, user=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("成果展示已更新。"), "success")
            return redirect(url_for(".showcase_settings"))
    current = {item.figure_key: item for item in showcase.chosen()}
    return render_template("reports/showcase_settings.html", figures=figures, current=current)


@public_bp.route("/showcase")
def showcase_page():
    """成果展示: the district's headline figures, for everyone."""
    year, headlines = showcase.headlines()
    return render_template("reports/showcase.html", year=year, headlines=headlines)
