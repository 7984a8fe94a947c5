"""/api/v1/passport: volunteers, their ledger, activities and service records, gifts, redemption.

ID numbers are accepted on registration and never returned: answers carry `id_masked` only.
"""
import marshmallow as ma
from flask import url_for
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.api.schemas import PageQuerySchema, Reference, page_schema, paginated, paginated_list
from incubator.extensions import db
from incubator.plugins import park_for, record_for

from . import PLUGIN, services
from .models import Activity, Gift, RedemptionWindow, Volunteer
from .schema import ActivityFields, CorrectionFields, GiftFields, RedemptionFields, VolunteerFields, WindowFields

blp = Blueprint("api_passport", __name__, url_prefix="/passport", description="Volunteer passport (义粉护照)")
blueprints = [blp]  # mounted under /api/v1 by convention


class VolunteerSchema(VolunteerFields):
    """VolunteerFields (the rules the form and the service share), and what the passport keeps."""

    class Meta:
        load_only = ("phone", "id_number")  # never returned: answers carry the masked copies

    id = ma.fields.Integer(dump_only=True, metadata={"description": "passport number"})
    phone_masked = ma.fields.String(dump_only=True)
    id_masked = ma.fields.String(dump_only=True)
    park = ma.fields.Function(lambda v: v.park.code, dump_only=True)
    hours = ma.fields.Float(dump_only=True)
    minutes_served = ma.fields.Integer(dump_only=True)
    balance = ma.fields.Integer(dump_only=True)
    html_url = ma.fields.Function(lambda v: url_for("passport.passport", volunteer_id=v.id, _external=True), dump_only=True)


class LedgerEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    points = ma.fields.Integer()
    minutes = ma.fields.Integer()
    balance_after = ma.fields.Integer()
    corrects_id = ma.fields.Integer(allow_none=True)
    service_id = ma.fields.Integer(allow_none=True)
    redemption_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    created_at = ma.fields.DateTime()


class ActivitySchema(ActivityFields):
    """ActivityFields (the rules the form and the service share), its park, and what the passport keeps."""

    id = ma.fields.Integer(dump_only=True)
    park = Reference("park.code", required=True, metadata={"description": "park code"})
    points_per_half_hour = ma.fields.Integer(dump_only=True)
    html_url = ma.fields.Function(lambda a: url_for("passport.activity", activity_id=a.id, _external=True), dump_only=True)


class ServiceSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    volunteer_id = ma.fields.Integer(required=True)
    minutes = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=1440))
    points = ma.fields.Integer(dump_only=True)


class CorrectionSchema(CorrectionFields):
    """CorrectionFields (the rules the form and the service share)."""


class GiftSchema(GiftFields):
    id = ma.fields.Integer(dump_only=True)


class WindowSchema(WindowFields):
    id = ma.fields.Integer(dump_only=True)


class RedemptionSchema(RedemptionFields):
    """RedemptionFields (the rules the form and the service share), the gift, and what was taken."""

    id = ma.fields.Integer(dump_only=True)
    gift_id = ma.fields.Integer(required=True)
    points = ma.fields.Integer(dump_only=True)
    window_id = ma.fields.Integer(dump_only=True)


class RankingSchema(ma.Schema):
    rank = ma.fields.Integer()
    volunteer_id = ma.fields.Integer()
    name = ma.fields.String()
    hours = ma.fields.Float()


class VolunteerQuerySchema(PageQuerySchema):
    q = ma.fields.String(load_default="")


VolunteerPageSchema = page_schema(VolunteerSchema, "PassportVolunteerPage")
LedgerPageSchema = page_schema(LedgerEntrySchema, "PassportLedgerPage")
GiftPageSchema = page_schema(GiftSchema, "PassportGiftPage")
WindowPageSchema = page_schema(WindowSchema, "PassportWindowPage")
RankingPageSchema = page_schema(RankingSchema, "PassportRankingPage")


def _park(code, action="passport.manage"):
    return park_for(PLUGIN, code, action)


def _load(model, record_id, action):
    return record_for(PLUGIN, model, record_id, action)


@blp.route("/parks/<code>/volunteers")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(VolunteerQuerySchema, location="query")
@blp.response(200, VolunteerPageSchema)
def list_volunteers(args, code):
    """The park's volunteers (ID numbers masked)."""
    park = _park(code)
    return paginated(db.paginate(services.volunteers_query(park.id, args["q"]), page=args["page"],
                                 per_page=args["per_page"], error_out=False))


@blp.route("/parks/<code>/volunteers", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(VolunteerSchema)
@blp.response(201, VolunteerSchema)
def register_volunteer(data, code):
    """Register a volunteer; 409 when the ID number is already registered in this park."""
    return services.register(_park(code), data, user=current_user)


@blp.route("/volunteers/<int:volunteer_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, VolunteerSchema)
def get_volunteer(volunteer_id):
    """A volunteer's passport: hours and points."""
    return _load(Volunteer, volunteer_id, "passport.view")


@blp.route("/volunteers/<int:volunteer_id>/ledger")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, LedgerPageSchema)
def get_ledger(args, volunteer_id):
    """Every change of the volunteer's points, oldest first."""
    stmt = services.ledger_query(_load(Volunteer, volunteer_id, "passport.view").id)
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/volunteers/<int:volunteer_id>/corrections", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(CorrectionSchema)
@blp.response(201, LedgerEntrySchema)
def create_correction(data, volunteer_id):
    """Correct an entry with a new entry referencing it (the ledger is never edited)."""
    volunteer = _load(Volunteer, volunteer_id, "passport.manage")
    return services.correct(volunteer, data["entry_id"], data["points"], data["minutes"], data["note"], user=current_user)


@blp.route("/volunteers/<int:volunteer_id>/redemptions", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(RedemptionSchema)
@blp.response(201, RedemptionSchema)
@blp.alt_response(409, description="Outside a redemption window, out of stock, or balance too low")
def create_redemption(data, volunteer_id):
    """Redeem points for a gift, within an open window."""
    volunteer = _load(Volunteer, volunteer_id, "passport.manage")
    gift = db.session.get(Gift, data["gift_id"])
    return services.redeem(volunteer, gift, data["quantity"], user=current_user)


@blp.route("/parks/<code>/activities")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_schema(ActivitySchema, "PassportActivityPage"))
def list_activities(args, code):
    park = _park(code)
    stmt = select(Activity).where(Activity.park_id == park.id).order_by(Activity.held_on.desc(), Activity.id.desc())
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/activities", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ActivitySchema)
@blp.response(201, ActivitySchema)
def create_activity(data):
    """Create an activity (organized by the park itself or one of its organizations)."""
    park = _park(data.pop("park"))
    return services.create_activity(park, data, user=current_user)


@blp.route("/activities/<int:activity_id>/services", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ServiceSchema)
@blp.response(201, ServiceSchema)
def record_service(data, activity_id):
    """The organizer records who served and for how long; points follow the park's rule."""
    activity = _load(Activity, activity_id, "passport.record")
    volunteer = db.session.get(Volunteer, data["volunteer_id"])
    return services.record_service(activity, volunteer, data["minutes"], user=current_user)


@blp.route("/parks/<code>/gifts")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, GiftPageSchema)
def list_gifts(args, code):
    park = _park(code)
    stmt = select(Gift).where(Gift.park_id == park.id).order_by(Gift.points_cost, Gift.id)
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/parks/<code>/gifts", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(GiftSchema)
@blp.response(201, GiftSchema)
def create_gift(data, code):
    return services.save_gift(_park(code), data, user=current_user)


@blp.route("/parks/<code>/windows")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, WindowPageSchema)
def list_windows(args, code):
    park = _park(code)
    stmt = (select(RedemptionWindow).where(RedemptionWindow.park_id == park.id)
            .order_by(RedemptionWindow.opens_on, RedemptionWindow.id))
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/parks/<code>/windows", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(WindowSchema)
@blp.response(201, WindowSchema)
def create_window(data, code):
    return services.create_window(_park(code), data["name"], data["opens_on"], data["closes_on"], user=current_user)


@blp.route("/parks/<code>/ranking")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, RankingPageSchema)
def get_ranking(args, code):
    """Volunteers by hours served (names in full for managers, masked otherwise)."""
    from incubator.permissions import can
    park = _park(code, "passport.ranking")
    full = can("passport.manage", park)
    return paginated_list(({"rank": i, "volunteer_id": v.id, "hours": v.hours,
                            "name": v.name if full else v.name[:1] + "*" * (len(v.name) - 1)}
                           for i, v in enumerate(services.ranking(park.id), start=1)), args)
