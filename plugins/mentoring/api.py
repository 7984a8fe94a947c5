"""/api/v1/mentoring: assignments, supervision logs, confirmations, follow-ups, hours, settings."""
import marshmallow as ma
from flask import abort, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.api.park_settings import park_settings_routes
from incubator.api.schemas import Name, PageQuerySchema, Reference, page_schema, paginated, paginated_list
from incubator.dates import today
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.parks.services import by_code
from incubator.permissions import can
from incubator.plugins import enabled_park_ids, record_for, visible_park_ids

from . import PLUGIN, assigning, reporting, services
from .models import MODES, STATUSES, FollowUpAction, SupervisionLog

blp = Blueprint("api_mentoring", __name__, url_prefix="/mentoring",
                description="Mentoring logs (督导记录): assignments, sessions, confirmations, hours")
blueprints = [blp]  # mounted under /api/v1 by convention


class MentoringAssignmentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    organization_id = ma.fields.Integer(dump_only=True)
    organization = ma.fields.Function(lambda a: a.organization.name, dump_only=True)
    expert = Reference("expert.username", required=True, metadata={"description": "the expert's username"})
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(allow_none=True, load_default=None)
    note = ma.fields.String(load_default="")


class FollowUpActionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    owner = Name(max_length=60, required=True, metadata={"description": "who follows it up (a person or a role)"})
    due_on = ma.fields.Date(required=True)
    done_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    overdue = ma.fields.Function(lambda a: a.is_overdue(), dump_only=True)


class SupervisionLogSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    organization_id = ma.fields.Integer(dump_only=True)
    expert = ma.fields.Function(lambda log: log.expert.username, dump_only=True)
    held_on = ma.fields.Date(required=True)
    # Checked by the service, so page and API say the same ("督导时长须大于 0 小时" for 0).
    hours = ma.fields.Float(required=True, metadata={"minimum": 0.5, "maximum": 24})
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(list(MODES)))
    topics = ma.fields.List(ma.fields.String(), required=True)
    findings = ma.fields.String(required=True, metadata={"description": "Markdown"})
    advice = ma.fields.String(required=True, metadata={"description": "Markdown"})
    actions = ma.fields.List(ma.fields.Nested(FollowUpActionSchema), load_default=list)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    amends_id = ma.fields.Integer(allow_none=True, load_default=None,
                                  metadata={"description": "id of the confirmed entry this one amends"})
    dispute_comment = ma.fields.String(dump_only=True)
    confirmed_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    html_url = ma.fields.Function(lambda log: url_for("mentoring.log_page", log_id=log.id, _external=True),
                                  dump_only=True)


class SupervisionLogUpdateSchema(SupervisionLogSchema):
    """The same fields; a revision sends the whole entry (actions replace the open ones)."""


class LogConfirmationSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["confirm", "dispute"]))
    comment = ma.fields.String(load_default="")


class MentoringSummarySchema(ma.Schema):
    confirmed_sessions = ma.fields.Integer(metadata={
        "description": "confirmed sessions as graduation counts them: on distinct days, or the park's minimum gap"})
    confirmed_entries = ma.fields.Integer(metadata={"description": "confirmed entries, whatever their dates"})
    required_sessions = ma.fields.Integer(allow_none=True)
    confirmed_hours = ma.fields.Float()
    unconfirmed_entries = ma.fields.Integer()
    open_actions = ma.fields.List(ma.fields.Nested(FollowUpActionSchema))


class HoursReportQuerySchema(ma.Schema):
    park = Reference(load_default="", metadata={"description": "park code"})
    year = ma.fields.Integer(load_default=lambda: today().year, validate=ma.validate.Range(min=2000, max=2100))
    month = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=12))


class HoursReportSchema(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    by_expert = ma.fields.List(ma.fields.Dict())
    by_organization = ma.fields.List(ma.fields.Dict())
    by_park = ma.fields.List(ma.fields.Dict())


class MentoringSettingsSchema(ma.Schema):
    graduation_veto = ma.fields.Boolean(required=True)
    min_confirmed_sessions = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=200))
    min_gap_days = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=365), metadata={
        "description": "sessions count toward graduation at least this many days apart (1: distinct days)"})
    topics = ma.fields.List(ma.fields.String(), required=True)


SupervisionLogPageSchema = page_schema(SupervisionLogSchema, "SupervisionLogPage")


def _org(org_id: int, action: str = "mentoring.view") -> Organization:
    return record_for(PLUGIN, Organization, org_id, action, missing="组织不存在")


def _log(log_id: int, action: str = "mentoring.view") -> SupervisionLog:
    return record_for(PLUGIN, SupervisionLog, log_id, action,
                      missing="督导记录不存在")


@blp.route("/organizations/<int:org_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, MentoringSummarySchema)
def get_summary(org_id):
    """Confirmed sessions (and how many graduation needs), confirmed hours, open follow-ups."""
    org = _org(org_id)
    s = services.summary(org)
    return {"confirmed_sessions": s["sessions"], "confirmed_entries": s["entries"], "required_sessions": s["required"],
            "confirmed_hours": float(s["hours"]), "unconfirmed_entries": s["pending"],
            "open_actions": s["open_actions"]}


class AssignmentQuerySchema(PageQuerySchema):
    active = ma.fields.Boolean(load_default=False, metadata={"description": "only assignments covering today"})


MentorAssignmentPageSchema = page_schema(MentoringAssignmentSchema, "MentorAssignmentPage")


@blp.route("/assignments")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(AssignmentQuerySchema, location="query")
@blp.response(200, MentorAssignmentPageSchema)
def my_assignments(args):
    """Experts: their own assignments; managers: those in their parks; admin: all."""
    if not can("mentoring.view"):
        abort(403, description="无权查看督导指派")
    active_on = today() if args["active"] else None
    if current_user.role == "expert":
        stmt = assigning.assignments_query(expert_id=current_user.id,
                                          park_ids=enabled_park_ids(PLUGIN), active_on=active_on)
    elif current_user.role in ("admin", "manager"):
        stmt = assigning.assignments_query(park_ids=visible_park_ids(current_user, PLUGIN),
                                          active_on=active_on)
    else:
        abort(403, description="无权查看督导指派")
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/organizations/<int:org_id>/assignments")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MentorAssignmentPageSchema)
def list_assignments(args, org_id):
    """Experts assigned to the organization, newest first."""
    return paginated_list(assigning.assignments(_org(org_id).id), args)


@blp.route("/organizations/<int:org_id>/assignments", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(MentoringAssignmentSchema)
@blp.response(201, MentoringAssignmentSchema)
def create_assignment(data, org_id):
    """Assign an expert (by username) to the organization for a period (managers)."""
    org = _org(org_id, "mentoring.assign")
    return assigning.assign(org, assigning.find_expert(data["expert"]), data["starts_on"], data["ends_on"],
                           note=data["note"], user=current_user)


@blp.route("/organizations/<int:org_id>/logs")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, SupervisionLogPageSchema)
def list_logs(args, org_id):
    """The organization's supervision log, newest session first."""
    org = _org(org_id)
    return paginated(db.paginate(services.logs_query(org.id), page=args["page"], per_page=args["per_page"],
                                 error_out=False))


@blp.route("/organizations/<int:org_id>/logs", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(SupervisionLogSchema)
@blp.response(201, SupervisionLogSchema)
@blp.alt_response(409, description="No assignment covers the date, or the amended entry is not confirmed")
def create_log(data, org_id):
    """Log a session (assigned experts); with `amends_id`, an amendment of a confirmed entry."""
    org = _org(org_id, "mentoring.log")
    amends = None
    if data.get("amends_id"):
        amends = db.session.get(SupervisionLog, data["amends_id"])
        if amends is None or amends.organization_id != org.id:
            raise ValidationError("要更正的记录不存在", field="amends_id")
    return services.create_log(org, data, user=current_user, amends=amends)


@blp.route("/logs/<int:log_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, SupervisionLogSchema)
def get_log(log_id):
    """One supervision log entry."""
    return _log(log_id)


@blp.route("/logs/<int:log_id>", methods=["PUT"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(SupervisionLogUpdateSchema)
@blp.response(200, SupervisionLogSchema)
@blp.alt_response(409, description="The entry is confirmed (amend it instead) or not yours")
def update_log(data, log_id):
    """Revise an entry that is not confirmed yet (its author only); a disputed entry returns to pending."""
    log = _log(log_id, "mentoring.log")
    return services.update_log(log, data, user=current_user)


@blp.route("/logs/<int:log_id>", methods=["DELETE"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(204)
@blp.alt_response(409, description="The entry is confirmed or not yours")
def withdraw_log(log_id):
    """Withdraw (delete) an entry nobody has confirmed yet (its author only)."""
    services.withdraw(_log(log_id, "mentoring.log"), user=current_user)


@blp.route("/logs/<int:log_id>/confirmation", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(LogConfirmationSchema)
@blp.response(200, SupervisionLogSchema)
@blp.alt_response(409, description="Already confirmed")
def confirm_log(data, log_id):
    """The organization's contact person confirms (签字确认) or disputes the entry (with a comment)."""
    log = _log(log_id, "mentoring.confirm")
    if data["decision"] == "confirm":
        return services.confirm(log, user=current_user)
    return services.dispute(log, data["comment"], user=current_user)


@blp.route("/actions/<int:action_id>/done", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, FollowUpActionSchema)
def complete_action(action_id):
    """Mark a follow-up action done."""
    action = db.session.get(FollowUpAction, action_id)
    if action is None:
        abort(404, description="跟进事项不存在")
    _log(action.log_id, "mentoring.act")
    return services.mark_done(action, user=current_user)


@blp.route("/reports/hours")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(HoursReportQuerySchema, location="query")
@blp.response(200, HoursReportSchema)
def hours_report(args):
    """Supervision hours per expert per month, per organization and per park (managers: own parks)."""
    if not can("mentoring.report"):
        abort(403, description="无权查看督导报表")
    if args["park"]:
        park = by_code(args["park"])
        if park is None:
            raise ValidationError(f"园区不存在：{args['park']}", field="park")
        if not can("mentoring.report", park):
            abort(403, description="无权查看该园区")
        park_ids = [park.id]
    else:
        park_ids = visible_park_ids(current_user, PLUGIN)
    return reporting.hours_report(park_ids=park_ids, year=args["year"], month=args["month"])


park_settings_routes(blp, PLUGIN, "mentoring.settings", MentoringSettingsSchema,
                     load=services.settings_for, save=services.save_settings)
