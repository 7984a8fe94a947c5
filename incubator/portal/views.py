"""The portal (/portal): a contact's own organization — stage, incubation period, to-dos, its own
materials and the plugins' panels — /portal/materials, where the contact uploads those materials, and
/portal/join, where an invitation code from the park makes one a contact."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..dates import today
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import attempt, flash_errors, show_domain_error
from ..organizations import contacts
from ..organizations.models import Organization
from ..organizations.stages import ACTIVE_STAGES
from ..permissions import require
from ..plugins import collect, hooks_for
from . import materials
from .forms import JoinForm, MaterialsForm

bp = Blueprint("portal", __name__, url_prefix="/portal")


def _join_limit():
    return current_app.config.get("JOIN_RATE_LIMIT", "10 per minute")


@bp.route("")
@login_required
def index():
    user = current_user._get_current_object()
    org = db.session.get(Organization, user.organization_id) if user.organization_id else None
    if org is None:
        return render_template("portal/none.html", form=JoinForm())
    require("org.view", org)
    panels = sorted(collect(hooks_for([org.park]).incubator_org_panels(org=org, user=user)),
                    key=lambda panel: panel.order)
    days_left = None
    if org.stage in ACTIVE_STAGES and org.incubation_due:
        days_left = (org.incubation_due - today()).days
    return render_template("portal/index.html", org=org, panels=panels, days_left=days_left,
                           materials=materials.of(org.id), materials_form=MaterialsForm())


@bp.route("/materials", methods=["POST"])
@login_required
def upload_materials():
    """The contact uploads the organization's own materials (登记证书、章程、年度报告 …)."""
    user = current_user._get_current_object()
    org = db.session.get(Organization, user.organization_id) if user.organization_id else None
    if org is None:
        abort(404)
    require("org.view", org)
    form = MaterialsForm()
    if form.validate_on_submit():
        attempt(lambda: materials.add(org, form.file.data, user=user), _("已上传组织材料"))
    else:
        flash_errors(form)
    return redirect(url_for(".index") + "#materials")


@bp.app_template_global()
def organization_materials(org):
    """The organization's materials for its page, or None when the current user may not see them."""
    return materials.of(org.id) if materials.may_see(current_user, org) else None


@bp.route("/join", methods=["GET", "POST"])
@login_required
@limiter.limit(_join_limit, methods=["POST"])  # codes must not be guessable by trying many
def join():
    form = JoinForm()
    if form.validate_on_submit():
        try:
            org = contacts.redeem(form.code.data, user=current_user._get_current_object())
        except DomainError as exc:
            show_domain_error(form, exc)
            return render_template("portal/none.html", form=form), exc.status
        flash(_("你已成为“%(name)s”的联系人。", name=org.name), "success")
        return redirect(url_for(".index"))
    return render_template("portal/none.html", form=form), (422 if form.errors else 200)
