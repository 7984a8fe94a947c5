"""/api/v1/assessment: rubrics, assessments (start, score, finish), results report, park settings."""
import marshmallow as ma
from flask import abort, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.api.park_settings import park_settings_routes
from incubator.api.schemas import PageQuerySchema, Reference, page_schema, paginated_list
from incubator.errors import ValidationError
from incubator.organizations.models import Organization
from incubator.parks.services import by_code
from incubator.permissions import can
from incubator.plugins import record_for, visible_park_ids

from . import PLUGIN, rubrics, services
from .models import KINDS, STATUSES, Assessment
from .permissions import readable

blp = Blueprint("api_assessment", __name__, url_prefix="/assessment",
                description="Capacity assessments (能力评估): rubrics, entry/mid-term/exit assessments, results")
blueprints = [blp]  # mounted under /api/v1 by convention


class RubricIndicatorSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    points = ma.fields.Float()
    guidance = ma.fields.String()


class RubricDimensionSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    points = ma.fields.Float()
    indicators = ma.fields.List(ma.fields.Nested(RubricIndicatorSchema))


class RubricSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    version = ma.fields.Integer()
    total = ma.fields.Float()
    grades = ma.fields.Function(lambda r: [{"grade": g, "min": m} for g, m in r.grades])
    parks = ma.fields.List(ma.fields.String())
    dimensions = ma.fields.List(ma.fields.Nested(RubricDimensionSchema))


class IndicatorScoreSchema(ma.Schema):
    indicator = Reference(required=True, attribute="indicator_code", data_key="indicator",
                          metadata={"description": "indicator code"})
    score = ma.fields.Float(allow_none=True, load_default=None)
    evidence = ma.fields.String(load_default="")


class AssessmentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    organization_id = ma.fields.Integer(dump_only=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(KINDS)))
    status = ma.fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    assessor = Reference("assessor.username", required=True,
                         metadata={"description": "username of an expert or the park's manager"})
    assessed_on = ma.fields.Date(load_default=None)
    rubric_code = ma.fields.String(dump_only=True)
    total = ma.fields.Function(lambda a: float(a.total) if a.total is not None else None, dump_only=True)
    running_total = ma.fields.Function(lambda a: float(services.running_total(a)), dump_only=True)
    grade = ma.fields.String(dump_only=True)
    summary = ma.fields.String(dump_only=True)
    finished_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    scores = ma.fields.List(ma.fields.Nested(IndicatorScoreSchema), dump_only=True)
    dimensions = ma.fields.Function(lambda a: services.dimension_scores(a), dump_only=True)
    missing = ma.fields.Function(lambda a: services.missing(a), dump_only=True,
                                 metadata={"description": "indicators still without score or evidence"})
    html_url = ma.fields.Function(
        lambda a: url_for("assessment.detail", assessment_id=a.id, _external=True), dump_only=True)


class AssessmentUpdateSchema(ma.Schema):
    scores = ma.fields.List(ma.fields.Nested(IndicatorScoreSchema), load_default=list)
    summary = ma.fields.String(load_default=None, allow_none=True)
    assessed_on = ma.fields.Date(load_default=None, allow_none=True)


class AssessmentReportQuerySchema(PageQuerySchema):
    park = Reference(load_default="", metadata={"description": "park code"})
    cohort = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=2000, max=2100),
                               metadata={"description": "year the incubation started (入园批次)"})


class AssessmentReportRowSchema(ma.Schema):
    organization_id = ma.fields.Integer()
    organization = ma.fields.String()
    park = ma.fields.String(attribute="park_code")
    stage = ma.fields.String()
    cohort = ma.fields.Integer(allow_none=True)
    entry_total = ma.fields.Float(allow_none=True)
    entry_grade = ma.fields.String(allow_none=True)
    midterm_total = ma.fields.Float(allow_none=True)
    exit_total = ma.fields.Float(allow_none=True)
    exit_grade = ma.fields.String(allow_none=True)
    change = ma.fields.Float(allow_none=True)


class AssessmentSettingsSchema(ma.Schema):
    rubric_code = Reference(required=True, metadata={"description": "rubric code"})
    graduation_veto = ma.fields.Boolean(required=True)
    exit_threshold = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))


RubricPageSchema = page_schema(RubricSchema, "RubricPage")
AssessmentPageSchema = page_schema(AssessmentSchema, "AssessmentPage")
AssessmentReportPageSchema = page_schema(AssessmentReportRowSchema, "AssessmentReportPage")


def _org(org_id: int, action: str = "assessment.view") -> Organization:
    return record_for(PLUGIN, Organization, org_id, action, missing="组织不存在")


def _assessment(assessment_id: int, action: str = "assessment.view") -> Assessment:
    return record_for(PLUGIN, Assessment, assessment_id, action,
                      missing="评估不存在")


@blp.route("/rubrics")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, RubricPageSchema)
def list_rubrics(args):
    """The rubrics loaded from YAML files (refused files are not listed)."""
    if not can("assessment.view"):
        abort(403, description="无权查看评估体系")
    return paginated_list(rubrics.current().rubrics.values(), args)


@blp.route("/rubrics/<code>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, RubricSchema)
def get_rubric(code):
    """One rubric with its dimensions, indicators and grade bands."""
    if not can("assessment.view"):
        abort(403, description="无权查看评估体系")
    return rubrics.current().get(code) or abort(404, description="评估体系不存在")


@blp.route("/organizations/<int:org_id>/assessments")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, AssessmentPageSchema)
def list_assessments(args, org_id):
    """The organization's assessments, oldest first (its contact: the finished ones)."""
    return paginated_list(readable(services.for_org(_org(org_id).id)), args)


@blp.route("/organizations/<int:org_id>/assessments", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(AssessmentSchema)
@blp.response(201, AssessmentSchema)
@blp.alt_response(409, description="An entry assessment or an open draft of that kind exists")
def start_assessment(data, org_id):
    """Start a draft assessment with the park's rubric and name its assessor (managers)."""
    org = _org(org_id, "assessment.create")
    assessor = services.find_assessor(data["assessor"], org)
    return services.start(org, data["kind"], assessor, data["assessed_on"], user=current_user)


@blp.route("/assessments/<int:assessment_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, AssessmentSchema)
def get_assessment(assessment_id):
    """One assessment with its scores, per-dimension results and what is still missing."""
    return _assessment(assessment_id)


@blp.route("/assessments/<int:assessment_id>", methods=["PATCH"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(AssessmentUpdateSchema)
@blp.response(200, AssessmentSchema)
@blp.alt_response(409, description="The assessment is finished and locked")
def save_assessment(data, assessment_id):
    """Save scores and evidence into the draft (the assessor or the park's managers)."""
    assessment = _assessment(assessment_id, "assessment.score")
    scores = {}
    for entry in data["scores"]:
        code = entry["indicator_code"]
        if code in scores:
            raise ValidationError(f"指标重复：{code}", field="scores")
        scores[code] = {"score": entry["score"], "evidence": entry["evidence"]}
    return services.save_scores(assessment, scores, summary=data["summary"], assessed_on=data["assessed_on"],
                                user=current_user)


@blp.route("/assessments/<int:assessment_id>", methods=["DELETE"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(204)
@blp.alt_response(409, description="A finished assessment cannot be deleted")
def discard_assessment(assessment_id):
    """Delete a draft started by mistake (managers of the park)."""
    assessment = _assessment(assessment_id, "assessment.view")
    if not can("assessment.create", assessment.organization):
        abort(403, description="无权删除该评估")
    services.discard(assessment, user=current_user)


@blp.route("/assessments/<int:assessment_id>/finish", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, AssessmentSchema)
@blp.alt_response(422, description="Indicators without score or evidence")
@blp.alt_response(409, description="Already finished")
def finish_assessment(assessment_id):
    """Finish: every indicator scored with evidence; the total and grade are fixed and the assessment locked."""
    return services.finish(_assessment(assessment_id, "assessment.score"), user=current_user)


@blp.route("/reports")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(AssessmentReportQuerySchema, location="query")
@blp.response(200, AssessmentReportPageSchema)
def results_report(args):
    """Assessment results per organization (entry, mid-term, exit, change), by park and cohort."""
    if not can("assessment.report"):
        abort(403, description="无权查看评估报表")
    if args["park"]:
        park = by_code(args["park"])
        if park is None:
            raise ValidationError(f"园区不存在：{args['park']}", field="park")
        if not can("assessment.report", park):
            abort(403, description="无权查看该园区")
        park_ids = [park.id]
    else:
        park_ids = visible_park_ids(current_user, PLUGIN)
    return paginated_list(services.report(park_ids=park_ids, cohort=args["cohort"]), args)


park_settings_routes(blp, PLUGIN, "assessment.settings", AssessmentSettingsSchema,
                     load=services.settings_for, save=services.save_settings)
