"""Pages: record a document (from the organization page) and the overview of what is missing."""
from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from incubator.extensions import db
from incubator.forms import attempt, flash_errors
from incubator.organizations.models import Organization
from incubator.permissions import require
from incubator.plugins import record_for, visible_park_ids

from . import PLUGIN, services
from .forms import RecordForm

bp = Blueprint("checklist", __name__, url_prefix="/checklist", template_folder="templates")


@bp.route("/orgs/<int:org_id>", methods=["POST"])
@login_required
def record(org_id):
    org = record_for(PLUGIN, Organization, org_id, "checklist.record")
    form = RecordForm()
    if form.validate_on_submit():
        attempt(lambda: services.record(org, form.kind.data, form.received_on.data, form.note.data,
                                        user=current_user, scan=form.scan.data),
                _("已登记：%(document)s", document=services.DOCUMENTS[form.kind.data]))
    else:
        flash_errors(form)
    return redirect(url_for("organizations.detail", org_id=org.id))


@bp.route("")
@login_required
def overview():
    require("checklist.view")
    park_ids = visible_park_ids(current_user, PLUGIN)
    page = db.paginate(services.missing_query(park_ids).order_by(Organization.incubation_due, Organization.id),
                       per_page=50, error_out=False)
    return render_template("checklist/overview.html", page=page, documents=services.DOCUMENTS,
                           required=services.REQUIRED_FOR_GRADUATION)
