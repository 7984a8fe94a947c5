"""/api/v1/reports/figures: the district's figures of a year (the annual report's), and the targets'
progress — for managers (their parks) and the administrator (the district)."""
import marshmallow as ma
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from ..errors import DomainError
from ..figures import report as reports
from ..permissions import can
from . import BEARER
from .auth import token_required

blp = Blueprint("api_reports", __name__, url_prefix="/reports",
                description="The district's figures (年度统计) and targets (目标管理)")


class FigureQuerySchema(ma.Schema):
    year = ma.fields.Integer(load_default=None, metadata={"description": "the report's year (default: this year)"})
    park = ma.fields.String(load_default="", metadata={"description": "a park code (default: every park the "
                                                                          "user may see; the district for the administrator)"})


class FigureSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "e.g. orgs.graduated"})
    label = ma.fields.String(metadata={"description": "Chinese label, e.g. 出壳"})
    unit = ma.fields.String(metadata={"description": "家, 人次, 次, 小时, 元 …"})
    area = ma.fields.String(metadata={"description": "孵化, 培训, 督导, 评估, 资金, 志愿服务"})
    value = ma.fields.Method("_value", metadata={"description": "the value in the report's year"})
    by_year = ma.fields.Method("_by_year", metadata={"description": "{year: value} over the last five years"})
    cumulative = ma.fields.Float(allow_none=True, metadata={"description": "since the first record"})
    breakdowns = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict(keys=ma.fields.String(),
                                                                                values=ma.fields.Float()))
    note = ma.fields.String()

    def _value(self, figure):
        return figure.value(max(figure.by_year)) if figure.by_year else 0

    def _by_year(self, figure):
        return {str(year): value for year, value in sorted(figure.by_year.items())}


class ProgressSchema(ma.Schema):
    park = ma.fields.Function(lambda p: p.target.park.code)
    figure = ma.fields.Function(lambda p: p.target.figure_key)
    target = ma.fields.Function(lambda p: p.target.value)
    done = ma.fields.Float()
    ratio = ma.fields.Float()


class FigureReportSchema(ma.Schema):
    year = ma.fields.Integer()
    district = ma.fields.Boolean(metadata={"description": "the whole district (else the parks listed)"})
    parks = ma.fields.Function(lambda r: [p.code for p in r.parks])
    figures = ma.fields.List(ma.fields.Nested(FigureSchema))
    targets = ma.fields.List(ma.fields.Nested(ProgressSchema), attribute="progress")


@blp.route("/figures")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(FigureQuerySchema, location="query")
@blp.response(200, FigureReportSchema)
def figures(args):
    """The figures of a year (keys, labels, units, values by year, breakdowns) and the targets' progress."""
    if not can("report.view"):
        abort(403, description="无权查看统计")
    try:
        return reports.for_user(current_user, args["year"], args["park"])
    except DomainError as exc:
        abort(404, description=exc.message)
