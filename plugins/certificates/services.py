"""The certificates' rules: issue (one, or a whole offering), re-issue, revoke, verify, store.

Used by the hooks, pages, API and CLI alike. A certificate's PDF is rendered once, at issue, stored
under `CERTIFICATES_DIR` as `<serial>.pdf` with its SHA-256 in the database, and served as stored.
"""
from __future__ import annotations

import hashlib
import io
import logging
import secrets
import zipfile
from collections import namedtuple
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from incubator import audit
from incubator.database import transaction
from incubator.dates import chinese_date, to_local
from incubator.dates import today as local_today
from incubator.db_types import utcnow
from incubator.errors import Conflict, DomainError, NotFound, ValidationError
from incubator.extensions import db
from incubator.numbers import show_hours
from incubator.parks.models import Park
from incubator.plugins import hook, hooks_for
from incubator.search import matches

from . import fonts, rendering, storage
from .models import KINDS, SERIAL_PREFIX, Certificate
from .names import clean_name, file_name
from .storage import pdf_path, storage_dir  # noqa: F401 (the plugin's other modules and tests use them here)

log = logging.getLogger(__name__)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by hand from paper

# The resource a permission check is made on for an offering-wide action (batch issue, ZIP).
OfferingRef = namedtuple("OfferingRef", "id park_id")


class CertificateError(DomainError):
    """Issuing refused: template variable missing, font missing, character not drawable (422)."""

    status = 422


@dataclass
class Spec:
    """What one certificate will say, before it is rendered and stored."""

    kind: str
    subject: str
    holder_name: str
    park: Park
    data: dict
    user_id: int | None = None
    organization_id: int | None = None
    offering_id: int | None = None
    enrolment_id: int | None = None
    version: int = 1
    supersedes: Certificate | None = None
    extra: dict = field(default_factory=dict)


# -- what a certificate says ----------------------------------------------------------------

def completion_spec(enrolment) -> Spec:
    """A 结业证书 for a completed enrolment (any object with the academy hook's attributes)."""
    user = enrolment.user
    offering = enrolment.offering
    course = getattr(offering, "course", None)
    park = getattr(offering, "park", None) or db.session.get(Park, offering.park_id)
    hours = getattr(enrolment, "hours", None) or getattr(course, "hours", None)
    start, end = _offering_dates(offering)
    completed = getattr(enrolment, "completed_at", None)
    if end is None and completed is not None:
        end = completed.date() if isinstance(completed, datetime) else completed
    holder = clean_name(getattr(user, "name", "") or getattr(user, "display_name", ""))
    assessed = rule_includes_assessment(course)
    data = {
        "holder_name": holder,
        "course_title": getattr(course, "title", None),
        "course_code": getattr(course, "code", None),
        "hours": show_hours(hours) or None,
        "start_date": start.isoformat() if start else None,
        "end_date": end.isoformat() if end else None,
        "period": _period(start, end),
        "assessed": assessed,
        "outcome": COMPLETION_OUTCOME[assessed],
    }
    return Spec("completion", f"enrolment:{enrolment.id}", holder, park, data, user_id=user.id,
                offering_id=offering.id, enrolment_id=enrolment.id)


# What the 结业证书 says the trainee did: "passed the assessment" only where the course's completion
# rule has one; a rule of attendance alone says the course was completed.
COMPLETION_OUTCOME = {True: "经考核合格，准予结业", False: "完成全部学习并结业"}


def rule_includes_assessment(course) -> bool:
    """Does the course's completion rule include an assessment (结业考核) besides attendance?

    The course says so itself: `completion_assessment` (the academy's front matter
    `completion: {assessment: true}`), passed with the course by `incubator_enrolment_completed`.
    Anything but True — a course without the attribute, a stand-in — is an attendance-only rule.
    """
    return getattr(course, "completion_assessment", False) is True


def graduation_spec(org, graduated_on: date | None = None) -> Spec:
    """A 出壳证书 for an organization that moved to `graduated`: its whole incubation period, from
    the start of incubation to the graduation day (孵化期：2024年11月1日至2026年12月1日)."""
    graduated_on = graduated_on or local_today()
    start = org.incubation_start or _first_admission(org.id)
    name = clean_name(org.name)
    data = {
        "holder_name": name,
        "organization_name": name,
        "uscc": org.uscc or "",
        "park_name": org.park.name,
        "start_date": start.isoformat() if start else None,
        "end_date": graduated_on.isoformat(),
        "incubation_period": f"{chinese_date(start)}至{chinese_date(graduated_on)}" if start else None,
    }
    return Spec("graduation", f"organization:{org.id}", name, org.park, data, organization_id=org.id)


def _first_admission(org_id: int) -> date | None:
    from incubator.organizations.models import Transition
    move = db.session.scalar(select(Transition).where(
        Transition.organization_id == org_id, Transition.to_stage.in_(("incubating", "virtual")))
        .order_by(Transition.id).limit(1))
    return transition_day(move) if move is not None else None


def transition_day(transition) -> date | None:
    """The day a stage move happened, in the district: its `happened_on` when it records one, else
    the day of its (UTC) timestamp where the district is."""
    day = getattr(transition, "happened_on", None)
    if isinstance(day, date):
        return day
    when = getattr(transition, "created_at", None)
    return district_day(when) if when is not None else None


def district_day(when: datetime) -> date:
    """The district's day of a stored UTC time."""
    return to_local(when).date()


def _offering_dates(offering) -> tuple[date | None, date | None]:
    """The offering's first and last day: its own fields if it has them, else its sessions' dates."""
    start = _as_date(_first_attr(offering, ("start_date", "starts_on", "start_on", "begins_on", "start")))
    end = _as_date(_first_attr(offering, ("end_date", "ends_on", "end_on", "finishes_on", "end")))
    if start is None or end is None:
        days = []
        for session in getattr(offering, "sessions", None) or []:
            day = _as_date(_first_attr(session, ("date", "day", "starts_at", "start_at", "starts_on", "start")))
            if day:
                days.append(day)
        if days:
            start, end = start or min(days), end or max(days)
    return start, end


def _first_attr(obj, names):
    for name in names:
        value = getattr(obj, name, None)
        if value is not None and not callable(value):
            return value
    return None


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _period(start: date | None, end: date | None) -> str | None:
    if start and end and start != end:
        return f"{chinese_date(start)}至{chinese_date(end)}"
    if start or end:
        return chinese_date(start or end)
    return None


# -- templates ------------------------------------------------------------------------------

def template_for(kind: str, park: Park) -> tuple[str, str | None]:
    """(label, source) of the template `park` uses for `kind`: a plugin's hook, a park's file
    (the park's own, else its parent's …), else the default (source None)."""
    source = hooks_for([park]).incubator_certificate_template(kind=kind, park=park)
    if source:
        return f"hook:{park.code}", source
    directory = Path(current_app.config["CERTIFICATES_TEMPLATES_DIR"])
    seen = set()
    node = park
    while node is not None and node.id not in seen:
        seen.add(node.id)
        path = directory / node.code / f"{kind}.html"
        if path.is_file():
            return f"file:{node.code}/{kind}.html", path.read_text(encoding="utf-8")
        node = node.parent
    return "default", None


def _variables(spec: Spec, serial: str, code: str, issued: date) -> dict:
    verify_base = verify_base_url()
    variables = dict(spec.data)
    for key in ("holder_name", "organization_name"):  # data stored before names were cleaned
        if isinstance(variables.get(key), str):
            variables[key] = clean_name(variables[key])
    if spec.kind == "completion" and not variables.get("outcome"):  # issued before the wording was kept
        variables["outcome"] = COMPLETION_OUTCOME[bool(variables.get("assessed"))]
    variables.update(
        serial=serial, code=code, kind=spec.kind, kind_label=KINDS[spec.kind], version=spec.version,
        academy=current_app.config["CERTIFICATES_ACADEMY"], issuer=spec.park.name, seal_text=spec.park.name,
        park_code=spec.park.code, issue_date=chinese_date(issued), verify_base=verify_base,
        verify_url=f"{verify_base}/{code}",  # the QR code is drawn from it where the page is rendered
    )
    variables.update(spec.extra)
    return variables


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


def verify_url(cert: Certificate) -> str:
    """The public verification address of `cert` (the API shows it)."""
    if current_app.config.get("BASE_URL") or current_app.config.get("CERTIFICATES_PUBLIC_URL"):
        return f"{verify_base_url()}/{cert.code}"
    from flask import url_for
    return url_for("certificates.verify", code=cert.code, _external=True)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalize_code(text: str) -> str:
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if len(raw) == 16 else raw


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
    commit to the caller (demo data)."""
    return _issue(specs, user=user, executor=rendering.pool({spec.park.name for spec in specs}), commit=commit)


def _issue(specs: list[Spec], *, user=None, executor=None, commit: bool = True) -> list[Certificate]:
    """Render, store and record `specs` in ONE transaction (callers keep groups small).

    The files are written to staging names and moved into place once the rows are committed
    (see storage.py): a process killed at any point leaves no file without its row."""
    if not specs:
        return []
    _check_issuable(specs)
    paths: list[Path] = []
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
            for spec, cert in zip(specs, certs):
                cert.serial = f"BH{SERIAL_PREFIX[spec.kind]}{today.year}{cert.id:07d}"
                variables = _variables(spec, cert.serial, cert.code, today)
                paths.append(storage.staged_path(cert))
                jobs.append((spec.kind, templates[(spec.kind, spec.park.id)][1], variables, str(paths[-1])))
            stored = _render_many(jobs, executor)  # rendered and written by the workers
            for spec, cert, (sha256, size) in zip(specs, certs, stored):
                cert.pdf_sha256, cert.pdf_size = sha256, size
                if spec.supersedes is not None:
                    spec.supersedes.superseded_by_id = cert.id
                audit.record("certificate.reissue" if spec.supersedes is not None else "certificate.issue", cert,
                             user=user, summary=f"{KINDS[cert.kind]} {cert.serial} {cert.holder_name}",
                             serial=cert.serial, subject=cert.subject, version=cert.version, sha256=cert.pdf_sha256)
    except BaseException:
        storage.discard(paths)  # nothing was recorded: leave no orphan files behind
        raise
    for cert in certs:  # recorded (or, with commit=False, about to be: the demo's seed)
        storage.publish(cert)
    return certs


def _template(kind, source):
    try:
        return rendering.template(kind, source)
    except rendering.TemplateProblem as exc:
        raise CertificateError(str(exc), field="template") from exc


def _render_many(jobs, executor):
    try:
        return rendering.render_many(jobs, executor=executor)
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
        return _issue([spec], user=user)[0], True
    except Conflict:  # the same completion fired twice at once: the other one won
        existing = current_for(spec.subject)
        if existing is None:
            raise
        return existing, False


def issue_for_completion(enrolment, *, user=None) -> tuple[Certificate, bool]:
    return issue_one(completion_spec(enrolment), user=user)


# The academy fires `incubator_enrolment_completed` once per trainee — 500 times in a row when a
# class of 500 is closed. One PDF document per certificate would take a minute; so the first few
# of an app context (a request, a command) are issued at once, the rest when it ends, as a batch.
INLINE_PER_CONTEXT = 5


def completion_fired(enrolment) -> None:
    state = g.setdefault("certificates_completions", {"inline": 0, "pending": []})
    if state["inline"] < INLINE_PER_CONTEXT:
        state["inline"] += 1
        issue_for_completion(enrolment)
    else:
        state["pending"].append(enrolment)


def flush_pending_completions(exc=None) -> None:
    """At the end of an app context: issue the deferred completions together (teardown handler)."""
    state = g.pop("certificates_completions", None)
    if not state or not state["pending"]:
        return
    try:
        specs = {}
        for enrolment in state["pending"]:
            spec = completion_spec(enrolment)
            specs.setdefault(spec.subject, spec)
        have = set(db.session.scalars(select(Certificate.subject).where(Certificate.subject.in_(list(specs)))))
        todo = [spec for subject, spec in specs.items() if subject not in have]
        group = rendering.CHUNK * rendering.worker_count()
        executor = rendering.pool({spec.park.name for spec in todo})
        for start in range(0, len(todo), group):
            _issue(todo[start:start + group], executor=executor)
    except Exception:  # the completions are committed; the offering page can issue what is missing
        db.session.rollback()
        log.exception("deferred completion certificates not issued")


def issue_for_graduation(org, transition=None, *, user=None) -> tuple[Certificate, bool]:
    on = transition_day(transition) if transition is not None else None
    user = user or (getattr(transition, "user", None) if transition is not None else None)
    return issue_one(graduation_spec(org, on), user=user)


def reissue(cert: Certificate, *, user, holder_name: str | None = None, reason: str = "") -> Certificate:
    """A new version of `cert` (e.g. a corrected name); the old one is then shown as superseded."""
    if cert.superseded_by_id is not None:
        raise Conflict(_("该证书已有更新的版本，请对最新版本操作"))
    if cert.revoked_at is not None:
        raise Conflict(_("已撤销的证书不能重新颁发"))
    name = clean_name(holder_name) or clean_name(_current_holder_name(cert))
    if len(name) > 120:
        raise ValidationError(_("姓名不能超过120字"), field="holder_name")
    data = dict(cert.data, holder_name=name)
    if cert.kind == "graduation":
        data["organization_name"] = name
    spec = Spec(cert.kind, cert.subject, name, cert.park, data, user_id=cert.user_id,
                organization_id=cert.organization_id, offering_id=cert.offering_id,
                enrolment_id=cert.enrolment_id, version=cert.version + 1, supersedes=cert)
    return _issue([spec], user=user)[0]


def _current_holder_name(cert: Certificate) -> str:
    if cert.user is not None:
        return cert.user.name or cert.user.display_name
    if cert.organization is not None:
        return cert.organization.name
    return cert.holder_name


def revoke(cert: Certificate, reason: str, *, user) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写撤销理由"), field="reason")
    if len(reason) > 500:
        raise ValidationError(_("撤销理由不能超过500字"), field="reason")
    if cert.revoked_at is not None:
        raise Conflict(_("该证书已撤销"))
    with transaction():
        cert.revoked_at, cert.revoked_by_id, cert.revoke_reason = utcnow(), user.id, reason
        audit.record("certificate.revoke", cert, user=user, summary=f"撤销 {cert.serial}：{reason}",
                     serial=cert.serial, reason=reason)
    return cert


# -- batch issue for an offering ------------------------------------------------------------

def verify_limit() -> str:
    """The rate limit of the public verification page and API, per address."""
    return current_app.config["CERTIFICATES_VERIFY_RATE_LIMIT"]


def completions(offering_id: int) -> list:
    """The completed enrolments of an offering, from whichever plugin provides them (the academy)."""
    result = hook().incubator_certificate_completions(offering_id=offering_id)
    if result is None:
        raise NotFound(_("班次不存在"))
    return list(result)


def offering_ref(offering_id: int, items=None) -> OfferingRef:
    """The offering as a permission resource: its park comes from its certificates or completions."""
    park_id = db.session.scalar(select(Certificate.park_id).where(Certificate.offering_id == offering_id).limit(1))
    if park_id is None:
        items = completions(offering_id) if items is None else items
        if items:
            offering = items[0].offering
            park_id = getattr(offering, "park_id", None) or offering.park.id
    if park_id is None:
        raise NotFound(_("班次不存在"))
    return OfferingRef(offering_id, park_id)


def start_batch(offering_id: int, *, user):
    """Queue the batch issue of an offering (see jobs.py)."""
    from . import jobs
    return jobs.start_batch(offering_id, user=user)


def run_batch(job_id: int, progress=None):
    from . import jobs
    return jobs.run_batch(job_id, progress=progress)


# -- reading --------------------------------------------------------------------------------

def by_code(code: str) -> Certificate | None:
    code = normalize_code(code)
    if not code:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code)
                             .options(selectinload(Certificate.park), selectinload(Certificate.superseded_by)))


def latest_version(cert: Certificate) -> Certificate:
    return current_for(cert.subject) or cert


def certificates_query(*, park_ids=None, offering_id=None, kind="", q="", current_only=True):
    """Certificates, newest first; `park_ids` (None: all) scopes what the viewer may see."""
    stmt = select(Certificate).options(selectinload(Certificate.park))
    if park_ids is not None:
        stmt = stmt.where(Certificate.park_id.in_(park_ids or [-1]))
    if offering_id:
        stmt = stmt.where(Certificate.offering_id == offering_id)
    if kind:
        stmt = stmt.where(Certificate.kind == kind)
    if current_only:
        stmt = stmt.where(Certificate.superseded_by_id.is_(None))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(matches(q, Certificate.holder_name, Certificate.serial))
    return stmt.order_by(Certificate.id.desc())


def of_user(user) -> list[Certificate]:
    """A trainee's own certificates, and their organization's graduation certificate (latest versions)."""
    cond = Certificate.user_id == user.id
    if getattr(user, "organization_id", None):
        cond = cond | (Certificate.organization_id == user.organization_id)
    return list(db.session.scalars(select(Certificate).where(cond, Certificate.superseded_by_id.is_(None))
                                   .options(selectinload(Certificate.park)).order_by(Certificate.id.desc())))


def of_organization(org_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.organization_id == org_id)
                                   .order_by(Certificate.version.desc())))


def offering_zip(offering_id: int, park_ids=None) -> tuple[io.BytesIO, int]:
    """All current certificates of an offering as one ZIP (stored, not deflated: PDFs are compressed)."""
    certs = db.session.scalars(certificates_query(park_ids=park_ids, offering_id=offering_id)).all()
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert in certs:
            if storage.promote(cert):  # a name the holder chose: made safe as an entry name
                archive.write(pdf_path(cert), file_name(cert.serial, cert.holder_name, used))
    buffer.seek(0)
    return buffer, len(certs)


def file_matches(cert: Certificate, data: bytes) -> bool:
    """Is `data` (an uploaded PDF) exactly the file issued for `cert`?"""
    return hashlib.sha256(data).hexdigest() == cert.pdf_sha256
