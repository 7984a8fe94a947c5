"""What a certificate says (`Spec`): a 结业证书's or a 出壳证书's wording and dates, and the template
and variables it is rendered with. Nothing here writes: services.py issues what a Spec describes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from incubator.dates import chinese_date, to_local
from incubator.dates import today as local_today
from incubator.extensions import db
from incubator.numbers import show_hours
from incubator.parks.models import Park
from incubator.plugins import hooks_for

from .models import KINDS, Certificate
from .names import clean_name


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


# -- a 结业证书 -----------------------------------------------------------------------------

def completion_subject(enrolment) -> str:
    """Whom a 结业证书 is for: one enrolment (one certificate each, whatever its versions)."""
    return f"enrolment:{enrolment.id}"


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
    return Spec("completion", completion_subject(enrolment), holder, park, data, user_id=user.id,
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


# -- a 出壳证书 -----------------------------------------------------------------------------

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
    return move.happened_on if move is not None else None


def district_day(when: datetime) -> date:
    """The district's day of a stored UTC time."""
    return to_local(when).date()


# -- its template and variables -------------------------------------------------------------

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


def variables(spec: Spec, serial: str, code: str, issued: date, verify_base: str) -> dict:
    """What the template is given: the spec's data, the serial and code, the issuer, the issue day
    and the verification address (`verify_base`, see services.verify_base_url)."""
    values = dict(spec.data)
    for key in ("holder_name", "organization_name"):  # data stored before names were cleaned
        if isinstance(values.get(key), str):
            values[key] = clean_name(values[key])
    if spec.kind == "completion" and not values.get("outcome"):  # issued before the wording was kept
        values["outcome"] = COMPLETION_OUTCOME[bool(values.get("assessed"))]
    values.update(
        serial=serial, code=code, kind=spec.kind, kind_label=KINDS[spec.kind], version=spec.version,
        academy=current_app.config["CERTIFICATES_ACADEMY"], issuer=spec.park.name, seal_text=spec.park.name,
        park_code=spec.park.code, issue_date=chinese_date(issued), verify_base=verify_base,
        verify_url=f"{verify_base}/{code}",  # the QR code is drawn from it where the page is rendered
    )
    values.update(spec.extra)
    return values
