"""/api/v1/checklist: documents on file per organization."""
import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.organizations.models import Organization
from incubator.plugins import record_for

from . import services

blp = Blueprint("api_checklist", __name__, url_prefix="/checklist", description="Document checklist (材料清单)")
blueprints = [blp]  # mounted under /api/v1 by convention


class DocumentSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(services.DOCUMENTS)))
    label = ma.fields.Function(lambda d: str(services.DOCUMENTS[d.kind]), dump_only=True)
    received_on = ma.fields.Date(required=True)
    note = ma.fields.String(load_default="")


class ChecklistSchema(ma.Schema):
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema))
    missing_for_graduation = ma.fields.List(ma.fields.String())


def _org(org_id, action):
    return record_for("checklist", Organization, org_id, action)


@blp.route("/organizations/<int:org_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, ChecklistSchema)
def get_checklist(org_id):
    """Documents on file and those graduation still needs."""
    org = _org(org_id, "org.view")
    return {"documents": list(services.on_file(org.id).values()), "missing_for_graduation": services.missing(org.id)}


@blp.route("/organizations/<int:org_id>", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(DocumentSchema)
@blp.response(201, DocumentSchema)
def record_document(data, org_id):
    """Record a received document."""
    org = _org(org_id, "checklist.record")
    return services.record(org, data["kind"], data["received_on"], data["note"], user=current_user)
