"""Pages for organizations: list with search and filters, detail with timeline, moves."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core_hooks import scope_parks
from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error
from ..parks.models import Park
from ..permissions import can, require
from ..plugins import collect, hooks_for, visible_parks
from . import services, stages
from .forms import MoveForm, OrganizationForm, RenewForm, TransferForm
from .models import CATEGORIES, Organization

bp = Blueprint("organizations", __name__, url_prefix="/orgs")



def load(org_id: int, action: str = "org.view") -> Organization:
    org = db.session.get(Organization, org_id) or abort(404)
    require(action, org)
    return org


@bp.route("")
@login_required
def index():
    require("org.view")
    args = request.args
    parks = visible_parks(current_user)
    park_id = args.get("park", type=int)
    stmt = services.list_query(park_ids=scope_parks(current_user), q=args.get("q", ""), park_id=park_id,
                               stage=args.get("stage", ""), category=args.get("category", ""),
                               overdue=args.get("overdue") == "1")
    page = db.paginate(stmt, per_page=20, max_per_page=100, error_out=False)
    return render_template("organizations/index.html", page=page, parks=parks, categories=CATEGORIES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require("org.create")
    form = OrganizationForm()
    form.park.choices = [(p.id, p.name) for p in visible_parks(current_user)]
    # A park the user may not create in is refused as such (403), not as an invalid choice.
    posted = db.session.get(Park, request.form.get("park", type=int) or 0) if request.method == "POST" else None
    if posted is not None and not can("org.create", posted):
        abort(403)
    if form.validate_on_submit():
        park = db.session.get(Park, form.park.data)
        if park is None or not can("org.create", park):
            abort(403)
        try:
            org = services.create(form.data_for_service(), park=park, user=current_user, note=_("由园区登记"))
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已登记：%(name)s", name=org.name), "success")
            return redirect(url_for(".detail", org_id=org.id))
    return render_template("organizations/form.html", form=form, org=None)


@bp.route("/<int:org_id>")
@login_required
def detail(org_id):
    return _render_detail(load(org_id), status=200)


def _action_forms(org, **given):
    move_form = given.get("move_form") or MoveForm(prefix="move")
    move_form.to_stage.choices = [(s, stages.label(s)) for s in services.allowed_moves(org)]
    transfer_form = given.get("transfer_form") or TransferForm(prefix="transfer")
    transfer_form.park.choices = [(p.id, p.name) for p in db.session.scalars(select(Park).order_by(Park.id))
                                  if p.id != org.park_id]
    return {"move_form": move_form, "renew_form": given.get("renew_form") or RenewForm(prefix="renew"),
            "transfer_form": transfer_form}


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id):
    org = load(org_id, "org.edit")
    form = OrganizationForm(obj=org)
    form.park.choices = [(org.park_id, org.park.name)]
    form.park.data = org.park_id
    if form.validate_on_submit():
        try:
            services.edit(org, form.data_for_service(), user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".detail", org_id=org.id))
    return render_template("organizations/form.html", form=form, org=org)


def _render_detail(org, status=422, **forms):
    """The organization page; after a refused action, with that form's errors."""
    user = current_user._get_current_object()
    panels = sorted(collect(hooks_for([org.park_id]).incubator_org_panels(org=org, user=user)),
                    key=lambda panel: panel.order)
    return render_template("organizations/detail.html", org=org, timeline=services.timeline(org),
                           panels=panels, **_action_forms(org, **forms)), status


@bp.route("/<int:org_id>/move", methods=["POST"])
@login_required
def move(org_id):
    org = load(org_id, "org.transition")
    form = MoveForm(prefix="move")
    # Accept any stage key here: the service explains illegal moves better than "not a valid choice".
    form.to_stage.choices = [(s, s) for s in stages.STAGES]
    if not form.validate_on_submit():
        return _render_detail(org, move_form=form)
    try:
        services.move(org, form.to_stage.data, user=current_user, note=form.note.data)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, move_form=form)
    flash(_("阶段已变更为：%(stage)s", stage=stages.label(org.stage)), "success")
    return redirect(url_for(".detail", org_id=org.id))


@bp.route("/<int:org_id>/renew", methods=["POST"])
@login_required
def renew(org_id):
    org = load(org_id, "org.renew")
    form = RenewForm(prefix="renew")
    if not form.validate_on_submit():
        return _render_detail(org, renew_form=form)
    try:
        services.renew(org, form.new_due.data, form.reason.data, user=current_user)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, renew_form=form)
    flash(_("已续驻至 %(due)s", due=org.incubation_due), "success")
    return redirect(url_for(".detail", org_id=org.id))


@bp.route("/<int:org_id>/transfer", methods=["POST"])
@login_required
def transfer(org_id):
    org = load(org_id, "org.transfer")
    form = TransferForm(prefix="transfer")
    form.park.choices = [(p.id, p.name) for p in db.session.scalars(select(Park))]
    if not form.validate_on_submit():
        return _render_detail(org, transfer_form=form)
    try:
        services.transfer(org, db.session.get(Park, form.park.data), form.note.data, user=current_user)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, transfer_form=form)
    flash(_("已转入 %(park)s", park=org.park.name), "success")
    return redirect(url_for(".detail", org_id=org.id))
