"""/api/v1/notifications: the user's own inbox, and marking notices read."""
import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from ..api import BEARER
from ..api.auth import token_required
from ..api.schemas import PageQuerySchema, page_schema, paginated
from ..extensions import db
from . import services
from .sending import absolute_url

blp = Blueprint("api_notifications", __name__, url_prefix="/notifications",
                description="The user's notifications (站内通知)")


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    kind = ma.fields.Function(lambda n: n.notice.kind, dump_only=True)
    subject = ma.fields.Function(lambda n: services.rendered(n.notice)[0], dump_only=True)
    body = ma.fields.Function(lambda n: services.rendered(n.notice)[1], dump_only=True)
    url = ma.fields.Function(lambda n: absolute_url(n.notice.link) or None, dump_only=True,
                             metadata={"description": "the page the notice is about"})
    created_at = ma.fields.DateTime(dump_only=True)
    read_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    read = ma.fields.Function(lambda n: n.read_at is not None, dump_only=True)


class NotificationQuerySchema(PageQuerySchema):
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "only unread notices"})


class ReadAllSchema(ma.Schema):
    marked = ma.fields.Integer(metadata={"description": "how many were unread"})


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


@blp.route("")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """The user's notices, newest first (`?unread=true` for the unread ones)."""
    stmt = services.inbox_query(current_user, unread_only=args["unread"])
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/<int:notification_id>/read", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one notice read (again: no change)."""
    notification = services.own_notification(notification_id, current_user)
    services.mark_read(notification)
    return notification


@blp.route("/read-all", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, ReadAllSchema)
def mark_all_read():
    """Mark every unread notice read."""
    return {"marked": services.mark_all_read(current_user)}
