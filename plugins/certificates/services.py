"""Issuing certificates: one or many, a new version (re-issue), revocation.

Used by the hooks, pages, API, CLI and batch jobs alike. A certificate's PDF is rendered once, at
issue, stored under `CERTIFICATES_DIR` as `<serial>.pdf` with its SHA-256 in the database, and
served as stored. Beside this module: what a certificate says (specs.py), the completions as the
academy reports them (completions.py), an offering's batch (jobs.py) and its page (offerings.py),
lists (queries.py) and the public verification (verification.py).
"""
from __future__ import annotations

import logging
import secrets
from contextlib import nullcontext
from pathlib import Path

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.database import transaction
from incubator.dates import today as local_today
from incubator.db_types import utcnow
from incubator.errors import Conflict, DomainError, ValidationError
from incubator.extensions import db

from . import fonts, notices, rendering, storage
from .models import KINDS, SERIAL_PREFIX, Certificate
from .names import clean_name
from .specs import Spec, completion_spec, graduation_spec, template_for, variables

log = logging.getLogger(__name__)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by hand from paper


class CertificateError(DomainError):
    """Issuing refused: template variable missing, font missing, character not drawable (422)."""

    status = 422


# -- what every certificate prints: the platform's address and a code -----------------------

DEV_BASE_URL = "http://127.0.0.1:5000/"
_warned_dev_base = False


def public_base_url() -> str:
    """The platform's public address printed on certificates: config `BASE_URL` (env
    INCUBATOR_BASE_URL). Never a request's Host header: it is whatever the client sent, and a
    worker or a command has none. In debug, tests and the demo: the local server, with a warning.
    Elsewhere, issuing is refused rather than print an address nobody can reach."""
    global _warned_dev_base
    base = current_app.config.get("BASE_URL") or current_app.config.get("CERTIFICATES_PUBLIC_URL")
    if base:
        return base
    if current_app.debug or current_app.testing or g.get("certificates_demo"):
        if not _warned_dev_base:
            _warned_dev_base = True
            log.warning("BASE_URL (INCUBATOR_BASE_URL) is not set: certificates print %s as their "
                        "verification address", DEV_BASE_URL)
        return DEV_BASE_URL
    raise CertificateError(_("未设置平台的公开网址（配置 BASE_URL，环境变量 INCUBATOR_BASE_URL），"
                             "无法在证书上印制验证地址，未颁发"), field="base_url")


def verify_base_url() -> str:
    return public_base_url().rstrip("/") + "/certificates/verify"


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


# -- issuing --------------------------------------------------------------------------------

def _check_issuable(specs: list[Spec]) -> None:
    try:
        fonts.require()
    except fonts.FontMissing as exc:
        raise CertificateError(str(exc)) from exc
    public_base_url()
    for spec in specs:
        spec.holder_name = clean_name(spec.holder_name)
        if not spec.holder_name:
            raise CertificateError(_("持证人姓名为空，未颁发"), field="holder_name")
        missing = fonts.uncovered(spec.holder_name)
        if missing:
            raise CertificateError(_("“%(holder_name)s”中的“%(missing)s”字没有可用字体，"
                                     "请安装含该字的字体（如 fonts-noto-cjk-extra）后再颁发",
                                     holder_name=spec.holder_name, missing="".join(missing)), field="holder_name")


def issue_many(specs: list[Spec], *, user=None, commit: bool = True) -> list[Certificate]:
    """Issue several new certificates at once (one document per worker); `commit=False` leaves the
    commit to the caller and sends no notices (demo data)."""
    return issue(specs, user=user, executor=rendering.pool({spec.park.name for spec in specs}), commit=commit)


def issue(specs: list[Spec], *, user=None, executor=None, commit: bool = True) -> list[Certificate]:
    """Render, store and record `specs` in ONE transaction (callers keep groups small), with a notice
    to each holder (notices.py: its e-mail is sent by the worker); `executor` (rendering.pool)
    renders them in parallel, None here.

    The files are written to staging names and moved into place once the rows are committed
    (see storage.py): a process killed at any point leaves no file without its row."""
    if not specs:
        return []
    _check_issuable(specs)
    paths: list[Path] = []
    rendered = None
    try:
        with (transaction() if commit else nullcontext()):
            certs, jobs = [], []
            today = local_today()
            templates = {}
            for spec in specs:
                key = (spec.kind, spec.park.id)
                if key not in templates:
                    label, source = template_for(spec.kind, spec.park)
                    _template(spec.kind, source)  # a syntax error is reported before any work
                    templates[key] = (label, source)
                label, _source = templates[key]
                code = new_code()
                cert = Certificate(kind=spec.kind, subject=spec.subject, version=spec.version,
                                   holder_name=spec.holder_name, user_id=spec.user_id,
                                   organization_id=spec.organization_id, park_id=spec.park.id,
                                   offering_id=spec.offering_id, enrolment_id=spec.enrolment_id,
                                   data=spec.data, template=label, serial=code, code=code,
                                   pdf_sha256="", pdf_size=0, issued_by_id=getattr(user, "id", None))
                db.session.add(cert)
                certs.append(cert)
            db.session.flush()  # ids → serials
            verify_base = verify_base_url()
            for spec, cert in zip(specs, certs):
                cert.serial = f"BH{SERIAL_PREFIX[spec.kind]}{today.year}{cert.id:07d}"
                values = variables(spec, cert.serial, cert.code, today, verify_base)
                paths.append(storage.staged_path(cert))
                jobs.append((spec.kind, templates[(spec.kind, spec.park.id)][1], values, str(paths[-1])))
            rendered = _start_rendering(jobs, executor)  # rendered and written by the workers…
            if commit:  # … while the notices are written (the demo's seed, commit=False, tells nobody)
                notices.certificates_issued([(cert, spec.supersedes is not None) for spec, cert in zip(specs, certs)])
                db.session.flush()
            for spec, cert, (sha256, size) in zip(specs, certs, _rendered(rendered)):
                cert.pdf_sha256, cert.pdf_size = sha256, size
                if spec.supersedes is not None:
                    spec.supersedes.superseded_by_id = cert.id
                audit.record("certificate.reissue" if spec.supersedes is not None else "certificate.issue", cert,
                             user=user, summary=f"{KINDS[cert.kind]} {cert.serial} {cert.holder_name}",
                             serial=cert.serial, subject=cert.subject, version=cert.version, sha256=cert.pdf_sha256)
            finals = [storage.pdf_path(cert) for cert in certs]  # (read now: the commit expires the rows)
    except BaseException:
        if rendered is not None:
            rendered.settle()
        storage.discard(paths)  # nothing was recorded: leave no orphan files behind
        raise
    for staged, final in zip(paths, finals):  # recorded (or, with commit=False, about to be: the demo's seed)
        storage.publish(staged, final)
    return certs


def _template(kind, source):
    try:
        return rendering.template(kind, source)
    except rendering.TemplateProblem as exc:
        raise CertificateError(str(exc), field="template") from exc


def _start_rendering(jobs, executor):
    try:
        return rendering.start_many(jobs, executor=executor)
    except rendering.TemplateProblem as exc:
        raise CertificateError(str(exc), field="template") from exc


def _rendered(results):
    try:
        return results()
    except rendering.TemplateProblem as exc:
        raise CertificateError(str(exc), field="template") from exc


def current_for(subject: str) -> Certificate | None:
    """The latest version for `subject` (whatever its status)."""
    return db.session.scalar(select(Certificate).where(Certificate.subject == subject)
                             .order_by(Certificate.version.desc()).limit(1))


def issue_one(spec: Spec, *, user=None) -> tuple[Certificate, bool]:
    """Issue `spec` unless its subject already has a certificate: (certificate, newly issued?)."""
    existing = current_for(spec.subject)
    if existing is not None:
        return existing, False
    try:
        return issue([spec], user=user)[0], True
    except Conflict:  # the same completion fired twice at once: the other one won
        existing = current_for(spec.subject)
        if existing is None:
            raise
        return existing, False


def issue_for_completion(enrolment, *, user=None) -> tuple[Certificate, bool]:
    return issue_one(completion_spec(enrolment), user=user)


def issue_for_graduation(org, transition=None, *, user=None) -> tuple[Certificate, bool]:
    on = transition.happened_on if transition is not None else None
    user = user or (getattr(transition, "user", None) if transition is not None else None)
    return issue_one(graduation_spec(org, on), user=user)


# -- a new version, revocation --------------------------------------------------------------

def reissue_refusal(cert: Certificate) -> str:
    """Why `cert` cannot have a new version ("" if it can): only the latest, unrevoked one can."""
    if cert.superseded_by_id is not None:
        return _("该证书已有更新的版本，请对最新版本操作")
    if cert.revoked_at is not None:
        return _("已撤销的证书不能重新颁发")
    return ""


def reissue(cert: Certificate, *, user, holder_name: str | None = None, reason: str = "") -> Certificate:
    """A new version of `cert` (e.g. a corrected name); the old one is then shown as superseded."""
    refusal = reissue_refusal(cert)
    if refusal:
        raise Conflict(refusal)
    name = clean_name(holder_name) or clean_name(_current_holder_name(cert))
    if len(name) > 120:
        raise ValidationError(_("姓名不能超过120字"), field="holder_name")
    data = dict(cert.data, holder_name=name)
    if cert.kind == "graduation":
        data["organization_name"] = name
    spec = Spec(cert.kind, cert.subject, name, cert.park, data, user_id=cert.user_id,
                organization_id=cert.organization_id, offering_id=cert.offering_id,
                enrolment_id=cert.enrolment_id, version=cert.version + 1, supersedes=cert)
    return issue([spec], user=user)[0]


def _current_holder_name(cert: Certificate) -> str:
    if cert.user is not None:
        return cert.user.name or cert.user.display_name
    if cert.organization is not None:
        return cert.organization.name
    return cert.holder_name


def revoke_refusal(cert: Certificate) -> str:
    """Why `cert` cannot be revoked ("" if it can): once is enough (a superseded version can be)."""
    return _("该证书已撤销") if cert.revoked_at is not None else ""


def revoke(cert: Certificate, reason: str, *, user) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写撤销理由"), field="reason")
    if len(reason) > 500:
        raise ValidationError(_("撤销理由不能超过500字"), field="reason")
    refusal = revoke_refusal(cert)
    if refusal:
        raise Conflict(refusal)
    with transaction():
        cert.revoked_at, cert.revoked_by_id, cert.revoke_reason = utcnow(), user.id, reason
        audit.record("certificate.revoke", cert, user=user, summary=f"撤销 {cert.serial}：{reason}",
                     serial=cert.serial, reason=reason)
    return cert
