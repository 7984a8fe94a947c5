"""Pages: the passport home, volunteers and their printable passport, activities and the organizer's
recording page, windows and gifts, the ranking, and the Excel export."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from incubator.dates import today
from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db
from incubator.forms import attempt, flash_errors
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.permissions import can, require
from incubator.plugins import is_enabled, park_for, record_for, visible_parks
from incubator.users.models import User

from . import PLUGIN, services
from .exports import rows_for
from .forms import (
    ActivityForm,
    CorrectionForm,
    GenerateWindowsForm,
    GiftForm,
    RedeemForm,
    ServiceForm,
    SettingsForm,
    VolunteerEditForm,
    VolunteerForm,
    WindowForm,
)
from .models import Activity, Gift, RedemptionWindow, Volunteer
from .permissions import own_organization_park, own_volunteers

bp = Blueprint("passport", __name__, url_prefix="/passport", template_folder="templates")


def _park(code):
    return park_for(PLUGIN, code)


def _load(model, record_id, action):
    return record_for(PLUGIN, model, record_id, action)


@bp.route("/")
@login_required
def index():
    """Parks the user manages, activities their organization organizes, their own passports."""
    parks = [p for p in visible_parks(current_user, PLUGIN) if can("passport.manage", p)]
    activities = []
    if current_user.organization_id:
        activities = db.session.scalars(select(Activity).where(
            Activity.organization_id == current_user.organization_id).order_by(Activity.held_on.desc()).limit(50)).all()
        activities = [a for a in activities if is_enabled(PLUGIN, a.park_id)]
    volunteers = own_volunteers(current_user)
    org_park = own_organization_park(current_user)
    form = None
    if org_park is not None and can("passport.organize", org_park):
        form = ActivityForm()
        form.organization_id.choices = [(current_user.organization_id, current_user.organization.name)]
        form.held_on.data = today()
    if len(parks) == 1 and not activities and not volunteers and form is None:
        return redirect(url_for("passport.park_home", code=parks[0].code))
    if not (parks or activities or volunteers or form):
        abort(404)
    return render_template("passport/index.html", parks=parks, activities=activities, volunteers=volunteers,
                           org_park=org_park, form=form)


@bp.route("/<code>/activities/new", methods=["POST"])
@login_required
def organize(code):
    """An organization's user starts an activity of their organization (managers use the list page)."""
    park = _park(code)
    require("passport.organize", park)
    form = ActivityForm()
    del form.organization_id  # always the user's own organization
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ("title", "held_on", "place", "points_cap", "description")}
        data["organization_id"] = current_user.organization_id
        activity = attempt(lambda: services.create_activity(park, data, user=current_user), _("已新建活动"))
        if activity:
            return redirect(url_for("passport.activity", activity_id=activity.id))
    else:
        flash_errors(form)
    return redirect(url_for("passport.index"))


@bp.route("/<code>/")
@login_required
def park_home(code):
    park = _park(code)
    require("passport.manage", park)
    q = request.args.get("q", "")
    page = db.paginate(services.volunteers_query(park.id, q), per_page=20, error_out=False)
    activities = db.session.scalars(select(Activity).where(Activity.park_id == park.id)
                                    .options(joinedload(Activity.organization))
                                    .order_by(Activity.held_on.desc(), Activity.id.desc()).limit(10)).all()
    return render_template("passport/park.html", park=park, page=page, q=q, activities=activities,
                           totals=services.totals([park.id]), window=services.open_window(park.id))


@bp.route("/<code>/volunteers/new", methods=["GET", "POST"])
@login_required
def register(code):
    park = _park(code)
    require("passport.manage", park)
    form = VolunteerForm()
    if form.validate_on_submit():
        user_id = None
        if form.username.data:
            linked = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
            if linked is None:
                flash(_("未找到该平台账号"), "danger")
                return render_template("passport/volunteer_form.html", park=park, form=form), 422
            user_id = linked.id
        data = {"name": form.name.data, "phone": form.phone.data, "id_number": form.id_number.data, "user_id": user_id}
        try:
            volunteer = services.register(park, data, user=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
            return render_template("passport/volunteer_form.html", park=park, form=form), exc.status
        flash(_("已登记志愿者 %(name)s，护照编号 %(id)s", name=volunteer.name, id=volunteer.id), "success")
        return redirect(url_for("passport.passport", volunteer_id=volunteer.id))
    flash_errors(form)
    return render_template("passport/volunteer_form.html", park=park, form=form), 422 if form.errors else 200


@bp.route("/volunteers/<int:volunteer_id>")
@login_required
def passport(volunteer_id):
    """The volunteer's printable passport: hours, points, history."""
    volunteer = _load(Volunteer, volunteer_id, "passport.view")
    manage = can("passport.manage", volunteer)
    redeem_form = correction_form = None
    if manage:
        redeem_form = RedeemForm()
        gifts = db.session.scalars(select(Gift).where(Gift.park_id == volunteer.park_id, Gift.active.is_(True))
                                   .order_by(Gift.points_cost)).all()
        redeem_form.gift_id.choices = [(g.id, _("%(name)s（%(points_cost)s 分，库存 %(stock)s）", name=g.name, points_cost=g.points_cost, stock=g.stock)) for g in gifts]
        correction_form = CorrectionForm()
    return render_template("passport/passport.html", volunteer=volunteer, entries=services.ledger(volunteer.id),
                           manage=manage, redeem_form=redeem_form, correction_form=correction_form,
                           window=services.open_window(volunteer.park_id), today=today())


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_volunteer(volunteer_id):
    volunteer = _load(Volunteer, volunteer_id, "passport.manage")
    form = VolunteerEditForm(obj=volunteer)
    if request.method == "GET" and volunteer.user_id:
        form.username.data = volunteer.user.username
    if form.validate_on_submit():
        user_id = None
        if form.username.data:
            linked = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
            if linked is None:
                flash(_("未找到该平台账号"), "danger")
                return render_template("passport/volunteer_form.html", park=volunteer.park, form=form), 422
            user_id = linked.id
        data = {"name": form.name.data, "phone": form.phone.data, "user_id": user_id}
        if attempt(lambda: services.update_volunteer(volunteer, data, user=current_user), _("已保存")):
            return redirect(url_for("passport.passport", volunteer_id=volunteer.id))
    else:
        flash_errors(form)
    return render_template("passport/volunteer_form.html", park=volunteer.park, form=form, volunteer=volunteer)


@bp.route("/volunteers/<int:volunteer_id>/redeem", methods=["POST"])
@login_required
def redeem(volunteer_id):
    volunteer = _load(Volunteer, volunteer_id, "passport.manage")
    form = RedeemForm()
    form.gift_id.choices = [(g.id, g.name) for g in db.session.scalars(select(Gift).where(Gift.park_id == volunteer.park_id))]
    if form.validate_on_submit():
        gift = db.session.get(Gift, form.gift_id.data)
        attempt(lambda: services.redeem(volunteer, gift, form.quantity.data, user=current_user),
                 _("已兑换：%(name)s × %(data)s", name=gift.name, data=form.quantity.data))
    else:
        flash_errors(form)
    return redirect(url_for("passport.passport", volunteer_id=volunteer.id))


@bp.route("/volunteers/<int:volunteer_id>/corrections", methods=["POST"])
@login_required
def correct(volunteer_id):
    volunteer = _load(Volunteer, volunteer_id, "passport.manage")
    form = CorrectionForm()
    if form.validate_on_submit():
        attempt(lambda: services.correct(volunteer, form.entry_id.data, form.points.data or 0,
                                          form.minutes.data or 0, form.note.data, user=current_user),
                 _("已记录更正"))
    else:
        flash_errors(form)
    return redirect(url_for("passport.passport", volunteer_id=volunteer.id))


def _activity_form(park):
    form = ActivityForm()
    orgs = db.session.execute(select(Organization.id, Organization.name).where(Organization.park_id == park.id)
                              .order_by(Organization.name)).all()
    form.organization_id.choices = [(0, _("%(name)s（社区自办）", name=park.name))] + [(i, n) for i, n in orgs]
    return form


@bp.route("/<code>/activities", methods=["GET", "POST"])
@login_required
def activities(code):
    park = _park(code)
    require("passport.manage", park)
    form = _activity_form(park)
    if request.method == "GET":
        form.held_on.data = today()
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ("title", "organization_id", "held_on", "place", "points_cap", "description")}
        activity = attempt(lambda: services.create_activity(park, data, user=current_user), _("已新建活动"))
        if activity:
            return redirect(url_for("passport.activity", activity_id=activity.id))
    else:
        flash_errors(form)
    page = db.paginate(select(Activity).where(Activity.park_id == park.id).options(joinedload(Activity.organization))
                       .order_by(Activity.held_on.desc(), Activity.id.desc()), per_page=20, error_out=False)
    return render_template("passport/activities.html", park=park, page=page, form=form,
                           settings=services.settings_for(park.id))


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@login_required
def activity(activity_id):
    """The organizer's recording page (谁组织谁记录)."""
    activity = _load(Activity, activity_id, "passport.record")
    form = ServiceForm()
    if form.validate_on_submit():
        volunteer = services.find_volunteer(activity.park_id, form.volunteer.data)
        if attempt(lambda: services.record_service(activity, volunteer, form.minutes.data, user=current_user),
                    _("已记录服务时长")):
            return redirect(url_for("passport.activity", activity_id=activity.id))
    else:
        flash_errors(form)
    return render_template("passport/activity.html", activity=activity, form=form,
                           services=services.services_of(activity.id))


@bp.route("/<code>/redemption", methods=["GET", "POST"])
@login_required
def redemption_setup(code):
    """The manager's windows, gifts and points rule."""
    park = _park(code)
    require("passport.manage", park)
    forms = {"window": WindowForm(prefix="window"), "generate": GenerateWindowsForm(prefix="gen"),
             "gift": GiftForm(prefix="gift"), "settings": SettingsForm(prefix="settings", obj=services.settings_for(park.id))}
    if request.method == "POST":
        which = request.form.get("form")
        form = forms.get(which) or abort(400)
        if form.validate_on_submit():
            if which == "window":
                attempt(lambda: services.create_window(park, form.name.data, form.opens_on.data, form.closes_on.data,
                                                        user=current_user), _("已新建兑换窗口"))
            elif which == "generate":
                created = services.generate_windows(park, form.year.data, user=current_user)
                flash(_("按规则新建了 %(count)s 个兑换窗口", count=len(created)), "success")
            elif which == "gift":
                data = {k: getattr(form, k).data for k in ("name", "points_cost", "stock", "active")}
                attempt(lambda: services.save_gift(park, data, user=current_user), _("已保存礼品"))
            else:
                data = {k: getattr(form, k).data for k in ("points_per_half_hour", "default_points_cap", "window_months", "window_days")}
                attempt(lambda: services.save_settings(park, data, user=current_user), _("已保存积分规则"))
            return redirect(url_for("passport.redemption_setup", code=park.code))
        flash_errors(form)
    windows = db.session.scalars(select(RedemptionWindow).where(RedemptionWindow.park_id == park.id)
                                 .order_by(RedemptionWindow.opens_on.desc())).all()
    gifts = db.session.scalars(select(Gift).where(Gift.park_id == park.id).order_by(Gift.points_cost)).all()
    forms["generate"].year.data = forms["generate"].year.data or today().year
    return render_template("passport/redemption.html", park=park, forms=forms, windows=windows, gifts=gifts,
                           today=today())


@bp.route("/gifts/<int:gift_id>", methods=["POST"])
@login_required
def edit_gift(gift_id):
    gift = _load(Gift, gift_id, "passport.manage")
    park = db.session.get(Park, gift.park_id)
    form = GiftForm(prefix="gift")
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ("name", "points_cost", "stock", "active")}
        attempt(lambda: services.save_gift(park, data, user=current_user, gift=gift), _("已更新礼品"))
    else:
        flash_errors(form)
    return redirect(url_for("passport.redemption_setup", code=park.code))


@bp.route("/<code>/ranking")
def ranking(code):
    """Hours served, for recognition; full names only for those who manage the park."""
    park = _park(code)
    require("passport.ranking", park)
    full_names = current_user.is_authenticated and can("passport.manage", park)
    return render_template("passport/ranking.html", park=park, rows=services.ranking(park.id), full_names=full_names)


@bp.route("/<code>/export.xlsx")
@login_required
def export(code):
    """Volunteers (ID numbers masked) and the whole ledger."""
    park = _park(code)
    require("passport.manage", park)
    header, rows, ledger_sheet = rows_for(park)
    return xlsx_response(f"义粉护照-{park.name}-{today().isoformat()}.xlsx", header, rows,
                         sheet="志愿者", extra_sheets={"积分流水": ledger_sheet})
