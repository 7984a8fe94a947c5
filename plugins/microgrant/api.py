"""/api/v1/microgrant: rounds, applications, scores, decisions, tranches, mid-term reviews, reports.

Amounts are integer fen (分): `budget_fen: 150000000` is ¥1,500,000.00.
"""
import marshmallow as ma
from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.api.schemas import Name, PageQuerySchema, Reference, page_schema, paginated
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.parks.services import by_code
from incubator.permissions import can, require
from incubator.plugins import enabled_park_ids, record_for, require_enabled

from . import PLUGIN, services
from .models import Application, Round
from .schema import ApplicationFields, DecisionFields, ReviewFields, RoundFields, ScoreFields

blp = Blueprint("api_microgrant", __name__, url_prefix="/microgrant", description="Micro-grant rounds (公益微创投)")
blueprints = [blp]  # mounted under /api/v1 by convention


class CriterionSchema(ma.Schema):
    name = ma.fields.String(required=True)
    max = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))


class RoundSchema(RoundFields):
    """RoundFields (the rules the form and the service share), the park, the lists in their JSON
    shape (checked by the service as the page's are), and what the round keeps."""

    id = ma.fields.Integer(dump_only=True)
    park = Reference("park.code", required=True, metadata={"description": "park code"})
    committed_fen = ma.fields.Integer(dump_only=True)
    remaining_fen = ma.fields.Integer(dump_only=True)
    categories = ma.fields.List(Name(max_length=services.CATEGORY_MAX), required=True,
                                validate=ma.validate.Length(min=1))
    criteria = ma.fields.List(ma.fields.Nested(CriterionSchema), load_default=None)
    tranche_percents = ma.fields.List(ma.fields.Integer(), load_default=None)
    experts = ma.fields.Function(lambda r: [u.username for u in r.experts], dump_only=True)
    html_url = ma.fields.Function(lambda r: url_for("microgrant.round_detail", round_id=r.id, _external=True), dump_only=True)


class ExpertsSchema(ma.Schema):
    experts = ma.fields.List(Reference(), required=True, metadata={"description": "usernames"})


class BudgetLineSchema(ma.Schema):
    item = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))


class TrancheSchema(ma.Schema):
    seq = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    status = ma.fields.String()
    paid_on = ma.fields.Date(allow_none=True)


class ReviewSchema(ReviewFields):
    """ReviewFields (the rules the form and the service share), the verdict, and when it was given."""

    before_seq = ma.fields.Integer(dump_only=True)
    passed = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(dump_only=True)


class ApplicationSchema(ApplicationFields):
    """ApplicationFields (the rules the form and the service share), the organization, the category
    and the budget lines, and what the application keeps."""

    id = ma.fields.Integer(dump_only=True)
    round_id = ma.fields.Integer(dump_only=True)
    organization_id = ma.fields.Integer(required=True)
    organization = ma.fields.Function(lambda a: a.organization.name, dump_only=True)
    category = Reference(required=True, max_length=services.CATEGORY_MAX,
                         metadata={"description": "one of the round's categories"})
    lines = ma.fields.List(ma.fields.Nested(BudgetLineSchema), required=True)
    requested_fen = ma.fields.Integer(dump_only=True)
    status = ma.fields.String(dump_only=True)
    granted_fen = ma.fields.Integer(dump_only=True, allow_none=True)
    paid_fen = ma.fields.Integer(dump_only=True)
    average_score = ma.fields.Float(dump_only=True, allow_none=True)
    tranches = ma.fields.List(ma.fields.Nested(TrancheSchema), dump_only=True)
    reviews = ma.fields.List(ma.fields.Nested(ReviewSchema), dump_only=True)
    html_url = ma.fields.Function(lambda a: url_for("microgrant.application_detail", application_id=a.id, _external=True),
                                  dump_only=True)


class ScoreSchema(ScoreFields):
    """ScoreFields (the rules the form and the service share) and the marks by criterion."""

    marks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    total = ma.fields.Integer(dump_only=True)


class DecisionSchema(DecisionFields):
    """DecisionFields (the rules the form and the service share), the choice and the amount in fen."""

    approve = ma.fields.Boolean(required=True)
    amount_fen = ma.fields.Integer(load_default=None, allow_none=True)


class ReportRowSchema(ma.Schema):
    category = ma.fields.String()
    applications = ma.fields.Integer()
    requested_fen = ma.fields.Integer()
    approved = ma.fields.Integer()
    granted_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()


class ReportSchema(ma.Schema):
    rows = ma.fields.List(ma.fields.Nested(ReportRowSchema))
    totals = ma.fields.Nested(ReportRowSchema)
    budget_fen = ma.fields.Integer()
    committed_fen = ma.fields.Integer()
    remaining_fen = ma.fields.Integer()


def _round(round_id, action="microgrant.view"):
    return record_for(PLUGIN, Round, round_id, action, missing="轮次不存在")


def _application(application_id, action="microgrant.view"):
    return record_for(PLUGIN, Application, application_id, action, missing="申报项目不存在")


@blp.route("/rounds")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_schema(RoundSchema, "MicrograntRoundPage"))
def list_rounds(args):
    """Rounds the user may see, in parks where the plugin is enabled."""
    enabled = enabled_park_ids(PLUGIN)
    stmt = services.visible_rounds_query(current_user, enabled)
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/rounds", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(RoundSchema)
@blp.response(201, RoundSchema)
def create_round(data):
    """Open a round in a park: budget, per-project limit, categories, criteria, dates."""
    park = by_code(data.pop("park")) or abort(404)
    require_enabled(PLUGIN, park)
    require("microgrant.manage", park)
    return services.create_round(park, data, user=current_user)


@blp.route("/rounds/<int:round_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, RoundSchema)
def get_round(round_id):
    return _round(round_id)


@blp.route("/rounds/<int:round_id>/experts", methods=["PUT"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ExpertsSchema)
@blp.response(200, RoundSchema)
def put_experts(data, round_id):
    """Set the round's reviewing experts."""
    return services.set_experts(_round(round_id, "microgrant.manage"), data["experts"], user=current_user)


@blp.route("/rounds/<int:round_id>/applications")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_schema(ApplicationSchema, "MicrograntApplicationPage"))
def list_applications(args, round_id):
    """Managers and the round's experts see all; an organization's users their own."""
    rnd = _round(round_id)
    stmt = services.applications_query(rnd.id)
    if not can("microgrant.manage", rnd) and not services.is_expert(rnd.id, current_user):
        stmt = stmt.where(Application.organization_id == (current_user.organization_id or -1))
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/rounds/<int:round_id>/applications", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ApplicationSchema)
@blp.response(201, ApplicationSchema)
def create_application(data, round_id):
    """Apply with a project for an organization (a manager on its behalf, or its own user)."""
    rnd = _round(round_id, "microgrant.apply")
    org = db.session.get(Organization, data["organization_id"])
    if org is None:
        raise ValidationError(_("组织不存在"), field="organization_id")
    if not can("microgrant.manage", rnd) and org.id != current_user.organization_id:
        abort(403, description="只能为本人所在组织申报")
    data["lines"] = [(line["item"], line["amount_fen"]) for line in data["lines"]]
    return services.submit(rnd, org, data, user=current_user)


@blp.route("/applications/<int:application_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, ApplicationSchema)
def get_application(application_id):
    return _application(application_id)


@blp.route("/applications/<int:application_id>/scores", methods=["PUT"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ScoreSchema)
@blp.response(200, ScoreSchema)
def put_score(data, application_id):
    """The calling expert's marks per criterion (replaces their earlier marks until the decision)."""
    application = _application(application_id, "microgrant.score")
    return services.score(application, current_user, data["marks"], data["comment"])


@blp.route("/applications/<int:application_id>/decision", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(DecisionSchema)
@blp.response(201, ApplicationSchema)
@blp.alt_response(409, description="Already decided, or the grant would exceed the round's budget")
def post_decision(data, application_id):
    """Approve with an amount (never beyond the round's remaining budget) or decline."""
    application = _application(application_id, "microgrant.manage")
    return services.decide(application, data["approve"], data["amount_fen"], data["note"], user=current_user)


@blp.route("/applications/<int:application_id>/tranches/<int:seq>/payment", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(201, TrancheSchema)
@blp.alt_response(409, description="Not payable yet: previous tranche unpaid or mid-term review not passed")
def post_payment(application_id, seq):
    """Record that tranche `seq` was paid."""
    return services.pay(_application(application_id, "microgrant.manage"), seq, user=current_user)


@blp.route("/applications/<int:application_id>/reviews", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ReviewSchema)
@blp.response(201, ReviewSchema)
def post_review(data, application_id):
    """The mid-term review before the next tranche; a failed one cancels the rest of the grant."""
    application = _application(application_id, "microgrant.manage")
    return services.review(application, data["passed"], data["note"], user=current_user)


@blp.route("/rounds/<int:round_id>/report")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, ReportSchema)
def get_report(round_id):
    """Applications, grants and spending (paid tranches) per category."""
    return services.report(_round(round_id, "microgrant.manage"))
