"""Pages: the manager's list and certificate page, an offering's batch issue, downloads, public verification."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from incubator.errors import DomainError
from incubator.extensions import db, limiter
from incubator.forms import attempt, flash_errors
from incubator.permissions import can, require
from incubator.plugins import record_for, require_enabled, visible_park_ids

from . import PLUGIN, jobs, offerings, queries, services, storage, verification
from .forms import BatchForm, CompareForm, ReissueForm, RevokeForm, VerifyForm
from .models import KIND_LABELS, BatchJob, Certificate
from .names import file_name

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="templates")


def load(cert_id: int, action: str) -> Certificate:
    return record_for(PLUGIN, Certificate, cert_id, action)


@bp.route("")
@login_required
def index():
    require("certificate.view")
    offering = request.args.get("offering", type=int)
    stmt = queries.certificates_query(park_ids=visible_park_ids(current_user, PLUGIN), offering_id=offering,
                                      kind=request.args.get("kind", ""), q=request.args.get("q", ""))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"])
    return render_template("certificates/index.html", page=page, kinds=KIND_LABELS, offering=offering)


@bp.route("/<int:cert_id>")
@login_required
def detail(cert_id):
    cert = load(cert_id, "certificate.view")
    return render_template("certificates/detail.html", cert=cert, versions=queries.versions(cert),
                           revoke_form=RevokeForm(), reissue_form=ReissueForm(),
                           may_revoke=can("certificate.revoke", cert) and not services.revoke_refusal(cert),
                           may_reissue=can("certificate.issue", cert) and not services.reissue_refusal(cert))


@bp.route("/<int:cert_id>/pdf")
@login_required
def download(cert_id):
    cert = load(cert_id, "certificate.view")
    if not storage.promote(cert):
        abort(404)
    return send_file(storage.pdf_path(cert), mimetype="application/pdf",
                     as_attachment=request.args.get("inline") is None,
                     download_name=file_name(cert.serial, cert.holder_name), max_age=0, etag=cert.pdf_sha256)


@bp.route("/<int:cert_id>/revoke", methods=["POST"])
@login_required
def revoke(cert_id):
    cert = load(cert_id, "certificate.revoke")
    form = RevokeForm()
    if form.validate_on_submit():
        attempt(lambda: services.revoke(cert, form.reason.data, user=current_user),
                _("已撤销证书 %(serial)s", serial=cert.serial))
    else:
        flash_errors(form)
    return redirect(url_for(".detail", cert_id=cert.id))


@bp.route("/<int:cert_id>/reissue", methods=["POST"])
@login_required
def reissue(cert_id):
    cert = load(cert_id, "certificate.issue")
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            new = services.reissue(cert, user=current_user, holder_name=form.holder_name.data)
            flash(_("已重新颁发：%(serial)s（第 %(version)s 版），原证书已标记为被取代", serial=new.serial, version=new.version), "success")
            return redirect(url_for(".detail", cert_id=new.id))
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return redirect(url_for(".detail", cert_id=cert.id))


# -- an offering: batch issue, progress, ZIP -------------------------------------------------

def _offering(offering_id: int, action: str, items=None):
    ref = offerings.offering_ref(offering_id, items)
    require_enabled(PLUGIN, ref.park_id)
    require(action, ref)
    return ref


@bp.route("/offerings/<int:offering_id>")
@login_required
def offering(offering_id):
    items = offerings.completed_enrolments(offering_id)
    ref = _offering(offering_id, "certificate.view", items)
    rows = offerings.with_certificates(offering_id, items)
    course = getattr(items[0].offering, "course", None) if items else None
    return render_template("certificates/offering.html", offering_id=offering_id, rows=rows,
                           jobs=jobs.recent(offering_id), title=getattr(course, "title", ""),
                           form=BatchForm(), may_issue=can("certificate.issue", ref),
                           issued=sum(1 for _e, c in rows if c is not None))


@bp.route("/offerings/<int:offering_id>/batch", methods=["POST"])
@login_required
def batch(offering_id):
    _offering(offering_id, "certificate.issue")
    form = BatchForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".offering", offering_id=offering_id))
    try:
        job = jobs.start_batch(offering_id, user=current_user)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".offering", offering_id=offering_id))
    if job.notice:
        flash(job.notice, "warning")
    return redirect(url_for(".job", job_id=job.id))


@bp.route("/jobs/<int:job_id>")
@login_required
def job(job_id):
    job = record_for(PLUGIN, BatchJob, job_id, "certificate.issue")
    return render_template("certificates/job.html", job=job)


@bp.route("/offerings/<int:offering_id>/zip")
@login_required
def offering_zip(offering_id):
    ref = _offering(offering_id, "certificate.view")
    buffer, count = offerings.offering_zip(offering_id, park_ids=[ref.park_id])
    if not count:
        flash(_("该班次还没有已颁发的证书"), "warning")
        return redirect(url_for(".offering", offering_id=offering_id))
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"certificates-offering-{offering_id}.zip")


# -- public verification --------------------------------------------------------------------

@bp.route("/verify")
@limiter.limit(verification.verify_limit)
def verify_form():
    form = VerifyForm(request.args)
    if request.args.get("code") and form.validate():
        return redirect(url_for(".verify", code=verification.normalize_code(form.code.data)))
    return render_template("certificates/verify.html", form=form, cert=None, searched=False)


@bp.route("/verify/<code>", methods=["GET", "POST"])
@limiter.limit(verification.verify_limit)
def verify(code):
    cert = verification.lookup(code)
    compare = CompareForm()
    match = None
    if cert is not None and request.method == "POST" and compare.validate_on_submit():
        match = verification.file_matches(cert, compare.file.data.read(20 * 1024 * 1024))
    status = 200 if cert is not None else 404
    latest = verification.latest_version(cert) if cert is not None else None
    return render_template("certificates/verify.html", form=VerifyForm(data={"code": code}), cert=cert,
                           latest=latest, searched=True, code=code, compare=compare, match=match), status
