"""/api/v1/certificates: list, read, download, revoke, re-issue, batch-issue an offering, verify."""
import marshmallow as ma
from flask import abort, send_file, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.api.schemas import Name, PageQuerySchema, page_schema, paginated
from incubator.extensions import db, limiter
from incubator.permissions import require
from incubator.plugins import record_for, require_enabled, visible_park_ids

from . import PLUGIN, jobs, offerings, queries, services, storage, verification
from .models import KINDS, BatchJob, Certificate

blp = Blueprint("api_certificates", __name__, url_prefix="/certificates",
                description="Certificates (结业证书, 出壳证书) and their public verification")
blueprints = [blp]  # mounted under /api/v1 by convention


class CertificateSchema(ma.Schema):
    id = ma.fields.Integer()
    serial = ma.fields.String()
    code = ma.fields.String(metadata={"description": "verification code (验证码)"})
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    kind_label = ma.fields.String()
    version = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["valid", "revoked", "superseded"]})
    holder_name = ma.fields.String()
    user_id = ma.fields.Integer(allow_none=True)
    organization_id = ma.fields.Integer(allow_none=True)
    offering_id = ma.fields.Integer(allow_none=True)
    park = ma.fields.Function(lambda c: c.park.code)
    data = ma.fields.Dict(metadata={"description": "what the certificate says (course, hours, period …)"})
    pdf_sha256 = ma.fields.String()
    pdf_size = ma.fields.Integer()
    issued_at = ma.fields.DateTime()
    revoked_at = ma.fields.DateTime(allow_none=True)
    revoke_reason = ma.fields.String()
    superseded_by_id = ma.fields.Integer(allow_none=True)
    pdf_url = ma.fields.Function(lambda c: url_for("api_certificates.get_pdf", cert_id=c.id, _external=True))
    verify_url = ma.fields.Function(verification.verify_url)
    html_url = ma.fields.Function(lambda c: url_for("certificates.detail", cert_id=c.id, _external=True))


class VerificationSchema(ma.Schema):
    """What the public verification shows: no internal ids."""

    serial = ma.fields.String()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    version = ma.fields.Integer()
    status = ma.fields.String()
    holder_name = ma.fields.String()
    issuer = ma.fields.Function(lambda c: c.park.name)
    data = ma.fields.Function(lambda c: {k: v for k, v in c.data.items() if k != "uscc"})
    issued_at = ma.fields.DateTime()
    revoked_at = ma.fields.DateTime(allow_none=True)
    revoke_reason = ma.fields.String()
    superseded_by_serial = ma.fields.Function(lambda c: c.superseded_by.serial if c.superseded_by else None)
    pdf_sha256 = ma.fields.String()


class CertificateQuerySchema(PageQuerySchema):
    q = ma.fields.String(load_default="", metadata={"description": "holder name or serial"})
    kind = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *KINDS]))
    offering = ma.fields.Integer(load_default=None, allow_none=True)


class RevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class ReissueSchema(ma.Schema):
    holder_name = Name(max_length=120, min_length=0, load_default="",
                       metadata={"description": "corrected name; empty: the account's current name"})


class JobSchema(ma.Schema):
    id = ma.fields.Integer()
    offering_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    total = ma.fields.Integer()
    done = ma.fields.Integer()
    issued = ma.fields.Integer()
    percent = ma.fields.Integer()
    error = ma.fields.String()
    notice = ma.fields.Function(lambda j: getattr(j, "notice", ""),
                                metadata={"description": "e.g. the queue is down: the job waits for a worker"})
    html_url = ma.fields.Function(lambda j: url_for("certificates.job", job_id=j.id, _external=True))


CertificatePageSchema = page_schema(CertificateSchema, "CertificatePage")


def _load(cert_id: int, action: str) -> Certificate:
    return record_for(PLUGIN, Certificate, cert_id, action, missing="证书不存在")


@blp.route("")
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(CertificateQuerySchema, location="query")
@blp.response(200, CertificatePageSchema)
def list_certificates(args):
    """Current certificates in the parks the caller manages (a trainee: their own)."""
    if current_user.role in ("admin", "manager"):
        stmt = queries.certificates_query(park_ids=visible_park_ids(current_user, PLUGIN), offering_id=args["offering"],
                                          kind=args["kind"], q=args["q"])
    else:
        ids = [c.id for c in queries.of_user(current_user)]
        stmt = queries.certificates_query(kind=args["kind"], q=args["q"]).where(Certificate.id.in_(ids or [-1]))
    return paginated(db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False))


@blp.route("/<int:cert_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, CertificateSchema)
def get_certificate(cert_id):
    """One certificate."""
    return _load(cert_id, "certificate.view")


@blp.route("/<int:cert_id>/pdf")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, description="the PDF exactly as issued", content_type="application/pdf")
def get_pdf(cert_id):
    """The stored PDF, byte for byte as issued."""
    cert = _load(cert_id, "certificate.view")
    if not storage.promote(cert):
        abort(404, description="证书文件不存在")
    return send_file(storage.pdf_path(cert), mimetype="application/pdf", download_name=cert.filename, max_age=0)


@blp.route("/<int:cert_id>/revoke", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(RevokeSchema)
@blp.response(200, CertificateSchema)
def revoke_certificate(data, cert_id):
    """Revoke with a reason (verification then shows it)."""
    cert = _load(cert_id, "certificate.revoke")
    return services.revoke(cert, data["reason"], user=current_user)


@blp.route("/<int:cert_id>/reissue", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.arguments(ReissueSchema)
@blp.response(201, CertificateSchema)
def reissue_certificate(data, cert_id):
    """Issue a new version (new serial and code); the old one becomes superseded."""
    cert = _load(cert_id, "certificate.issue")
    return services.reissue(cert, user=current_user, holder_name=data["holder_name"])


@blp.route("/offerings/<int:offering_id>/batch", methods=["POST"])
@token_required
@blp.doc(security=[BEARER])
@blp.response(202, JobSchema)
def batch_issue(offering_id):
    """Queue certificates for every completed enrolment of an offering; poll the job for progress."""
    ref = offerings.offering_ref(offering_id)
    require_enabled(PLUGIN, ref.park_id)
    require("certificate.issue", ref)
    return jobs.start_batch(offering_id, user=current_user)


@blp.route("/jobs/<int:job_id>")
@token_required
@blp.doc(security=[BEARER])
@blp.response(200, JobSchema)
def get_job(job_id):
    """A batch job's progress."""
    return record_for(PLUGIN, BatchJob, job_id, "certificate.issue", missing="任务不存在")


@blp.route("/verify/<code>")
@limiter.limit(verification.verify_limit)
@blp.response(200, VerificationSchema)
@blp.alt_response(404, description="No certificate has this code")
def verify_certificate(code):
    """Public: what the certificate with this verification code certifies, and its status."""
    cert = verification.lookup(code)
    if cert is None:
        abort(404, description="未找到该证书")
    return cert
