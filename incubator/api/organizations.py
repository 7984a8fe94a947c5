"""/api/v1/organizations and their transitions, renewals and transfers."""
import marshmallow as ma
from flask import abort, url_for
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core_hooks import scope_parks
from ..errors import ValidationError
from ..extensions import db
from ..organizations import merging
from ..organizations import services as orgs
from ..organizations import stages
from ..organizations.models import Organization, Transition
from ..organizations.schema import OrganizationFields
from ..parks import services as parks
from ..permissions import can
from ..plugins import record_for
from . import BEARER
from .auth import token_required
from .schemas import PageQuerySchema, Reference, page_schema, paginated

blp = Blueprint("api_organizations", __name__, url_prefix="/organizations",
                description="Organizations (社会组织) and their incubation stages")


class OrganizationSchema(OrganizationFields):
    """The editable fields and their rules (OrganizationFields, shared with the forms and the
    service), the park, and what the platform keeps."""

    id = ma.fields.Integer(dump_only=True)
    park = Reference("park.code", required=True, error_messages={"required": "请填写园区"},
                     metadata={"description": "park code"})
    stage = ma.fields.String(dump_only=True, metadata={"enum": list(stages.STAGES)})
    stage_label = ma.fields.Function(lambda o: stages.label(o.stage), dump_only=True)
    incubation_start = ma.fields.Date(dump_only=True, allow_none=True)
    incubation_due = ma.fields.Date(dump_only=True, allow_none=True)
    overdue = ma.fields.Function(lambda o: o.is_overdue(), dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)
    html_url = ma.fields.Function(
        lambda o: url_for("organizations.detail", org_id=o.id, _external=True), dump_only=True)


class OrganizationPatchSchema(OrganizationSchema):
    """The same fields, all optional (PATCH)."""


class OrganizationQuerySchema(PageQuerySchema):
    q = ma.fields.String(load_default="", metadata={"description": "name, USCC or pinyin initials"})
    park = Reference(load_default="", metadata={"description": "park code"})
    stage = ma.fields.String(load_default="", validate=ma.validate.OneOf([""] + list(stages.STAGES)))
    category = ma.fields.String(load_default="")
    overdue = ma.fields.Boolean(load_default=False)


def _timeline_url(record):
    """A transition, renewal or transfer is shown on its organization's page (the timeline)."""
    return url_for("organizations.detail", org_id=record.organization_id, _external=True)


class TransitionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    from_stage = ma.fields.String(dump_only=True, allow_none=True)
    to_stage = ma.fields.String(required=True)
    note = ma.fields.String(load_default="")
    happened_on = ma.fields.Date(load_default=None, metadata={
        "description": "the day the move happened (default today; not in the future, not before the previous move)"})
    user = ma.fields.Function(lambda t: t.user.username if t.user else None, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True, metadata={"description": "when the move was recorded"})
    html_url = ma.fields.Function(_timeline_url, dump_only=True)


class RenewalSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    old_due = ma.fields.Date(dump_only=True)
    new_due = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(dump_only=True)
    html_url = ma.fields.Function(_timeline_url, dump_only=True)


class TransferSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    from_park = ma.fields.Function(lambda t: t.from_park.code, dump_only=True)
    park = Reference("to_park.code", required=True, metadata={"description": "target park code"})
    note = ma.fields.String(load_default="")
    created_at = ma.fields.DateTime(dump_only=True)
    html_url = ma.fields.Function(_timeline_url, dump_only=True)


OrganizationPageSchema = page_schema(OrganizationSchema, "OrganizationPage", total_is_exact=ma.fields.Boolean(
    metadata={"description": "false when a search or filter matches more than `total` (1,000): the count "
                             "stops there, as the list page's does"}))
TransitionPageSchema = page_schema(TransitionSchema, "TransitionPage")


def _load_org(org_id: int, action: str = "org.view") -> Organization:
    return record_for(None, Organization, org_id, action, missing="组织不存在")


def _park_or_422(code, field="park"):
    park = parks.by_code(code or "")
    if park is None:
        raise ValidationError(f"园区不存在：{code}", field=field)
    return park


@blp.route("")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.response(200, OrganizationPageSchema)
def list_organizations(args):
    """Organizations the user may see, newest first, with search and filters."""
    if not can("org.view"):
        abort(403, description="无权查看组织列表")
    park_id = _park_or_422(args["park"]).id if args["park"] else None
    page = orgs.list_page(page=args["page"], per_page=args["per_page"], park_ids=scope_parks(current_user),
                          q=args["q"], park_id=park_id, stage=args["stage"], category=args["category"],
                          overdue=args["overdue"])
    return paginated(page)


@blp.route("", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(OrganizationSchema)
@blp.response(201, OrganizationSchema)
def create_organization(data):
    """Register an organization in the `applied` stage of a park."""
    park = _park_or_422(data.pop("park"))
    if not can("org.create", park):
        abort(403, description="无权在该园区新建组织")
    return orgs.create(data, park=park, user=current_user)


@blp.route("/<int:org_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, OrganizationSchema)
def get_organization(org_id):
    """One organization."""
    return _load_org(org_id)


@blp.route("/<int:org_id>", methods=["PATCH"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(OrganizationPatchSchema(partial=True))
@blp.response(200, OrganizationSchema)
def update_organization(data, org_id):
    """Change an organization's fields (its park changes by transfer, its stage by transition)."""
    org = _load_org(org_id, "org.edit")
    if "park" in data:
        raise ValidationError("园区请通过转园（transfers）变更", field="park")
    return orgs.edit(org, data, user=current_user)


@blp.route("/<int:org_id>/transitions")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, TransitionPageSchema)
def list_transitions(args, org_id):
    """The organization's stage history, oldest first."""
    org = _load_org(org_id)
    stmt = (select(Transition).where(Transition.organization_id == org.id)
            .options(selectinload(Transition.user)).order_by(Transition.id))
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/<int:org_id>/transitions", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(TransitionSchema)
@blp.response(201, TransitionSchema)
@blp.alt_response(409, description="Illegal move, vetoed by a plugin, or changed concurrently")
def create_transition(data, org_id):
    """Move the organization to another stage; 409 with the reasons when refused."""
    org = _load_org(org_id, "org.transition")
    return orgs.move(org, data["to_stage"], user=current_user, note=data["note"], happened_on=data["happened_on"])


@blp.route("/<int:org_id>/renewals", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(RenewalSchema)
@blp.response(201, RenewalSchema)
def create_renewal(data, org_id):
    """Renew (续驻): extend the incubation due date, with a reason."""
    org = _load_org(org_id, "org.renew")
    return orgs.renew(org, data["new_due"], data["reason"], user=current_user)


@blp.route("/<int:org_id>/transfers", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(TransferSchema)
@blp.response(201, TransferSchema)
def create_transfer(data, org_id):
    """Transfer the organization to another park."""
    org = _load_org(org_id, "org.transfer")
    return orgs.transfer(org, _park_or_422(data["park"]), data["note"], user=current_user)


class MergeSchema(ma.Schema):
    duplicate_id = ma.fields.Integer(required=True, strict=True, metadata={
        "description": "the duplicate's id: its records join this organization, then it is deleted"})
    note = ma.fields.String(load_default="")


class MergeResultSchema(ma.Schema):
    organization = ma.fields.Nested(OrganizationSchema, attribute="kept", dump_only=True)
    merged_id = ma.fields.Integer(attribute="gone_id", dump_only=True)
    merged_name = ma.fields.String(attribute="gone_name", dump_only=True)
    moved = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), dump_only=True,
                           metadata={"description": "rows moved, per kind (in Chinese)"})
    resolved = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), dump_only=True,
                              metadata={"description": "duplicate rows folded into the kept organization's"})
    filled = ma.fields.List(ma.fields.String(), dump_only=True,
                            metadata={"description": "empty fields taken from the duplicate"})


@blp.route("/<int:org_id>/merge", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(MergeSchema)
@blp.response(200, MergeResultSchema)
@blp.alt_response(403, description="Only administrators merge organizations")
@blp.alt_response(409, description="The two cannot be merged (different USCCs, records that collide)")
def merge_organization(data, org_id):
    """Merge a duplicate (合并重复组织) into this organization: its history, contacts and every
    plugin's records move here, then the duplicate is deleted (administrators only)."""
    org = _load_org(org_id)
    duplicate = db.session.get(Organization, data["duplicate_id"])
    if duplicate is None and can("org.merge"):
        raise ValidationError("要合并的组织不存在", field="duplicate_id")
    return merging.merge(org, duplicate, user=current_user, note=data["note"])

