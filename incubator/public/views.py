"""What the public sees: the park directory, the application form and its status, health, language."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from .. import health
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..organizations import services as orgs
from ..organizations.forms import ApplyForm
from ..organizations.models import Organization
from ..organizations.stages import ACTIVE_STAGES
from ..parks import services as parks
from ..parks.models import Park
from ..plugins import registry
from ..notifications.triggers import application_received
from ..users import services as users
from . import services
from .forms import StatusLookupForm

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    if current_user.is_authenticated and current_user.role in ("admin", "manager"):
        return redirect(url_for("dashboard.index"))
    return redirect(url_for(".park_directory"))


@bp.route("/parks")
def park_directory():
    all_parks = parks.all_parks()
    counts = dict(db.session.execute(
        select(Organization.park_id, func.count()).where(Organization.stage.in_(ACTIVE_STAGES))
        .group_by(Organization.park_id)).all())
    return render_template("public/parks.html", tree=parks.tree(all_parks), counts=counts,
                           total_area=sum(p.area_m2 for p in all_parks))


@bp.route("/parks/<code>")
def park(code):
    found = parks.by_code(code)
    if found is None:
        abort(404, description=_("园区不存在"))
    incubating = db.session.scalar(select(func.count()).where(
        Organization.park_id == found.id, Organization.stage.in_(ACTIVE_STAGES)))
    return render_template("public/park.html", park=found, incubating=incubating)


def _apply_limit():
    return current_app.config["APPLY_RATE_LIMIT"]


def _status_limit():
    return current_app.config["STATUS_RATE_LIMIT"]


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit(_apply_limit, methods=["POST"])
def apply():
    form = ApplyForm()
    form.park.choices = [(p.id, f"{'—' * depth} {p.name}".strip()) for p, depth in parks.tree()]
    if request.method == "GET" and request.args.get("park"):
        chosen = parks.by_code(request.args["park"])
        if chosen:
            form.park.data = chosen.id
    if form.validate_on_submit():
        park = db.session.get(Park, form.park.data)
        data = form.data_for_service()
        existing = services.existing_application(data, park=park)
        if existing is not None:
            return render_template("public/already_applied.html", org=existing,
                                   number=services.application_number(existing))
        try:
            org = orgs.create(data, park=park, user=None, note=_("在线提交入园申请"))
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            application_received(org)
            return render_template("public/applied.html", org=org, number=services.application_number(org))
    status = 422 if request.method == "POST" else 200
    return render_template("public/apply.html", form=form), status


@bp.route("/apply/status", methods=["GET", "POST"])
@limiter.limit(_status_limit, methods=["POST"])
def application_status():
    """申请进度查询: number + contact phone → the organization, its stage and the decision date."""
    form = StatusLookupForm()
    if request.method == "GET" and request.args.get("number"):
        form.number.data = request.args["number"][:20]
    found, not_found = None, False
    if form.validate_on_submit():
        found = services.find_application(form.number.data, form.phone.data)
        not_found = found is None
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("public/status.html", form=form, found=found, not_found=not_found), status


@bp.route("/healthz")
def healthz():
    """{"status": "ok", "database": "ok", …}: 200 when every dependency answers (the core's and the
    plugins', see `incubator_health_checks`), else 503 with "down" naming the ones that do not."""
    results = health.run_checks(registry())
    down = sorted(name for name, outcome in results.items() if outcome != "ok")
    if down:
        return {**results, "status": "unavailable", "down": down}, 503
    return {**results, "status": "ok"}


@bp.route("/lang/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        users.remember_language(current_user, code)
    target = request.referrer or url_for(".home")
    if not target.startswith(request.host_url):
        target = url_for(".home")
    return redirect(target)
