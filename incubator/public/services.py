"""What an applicant may learn about their own application (申请进度查询).

The applicant proves it is theirs with two things they know: the application number shown after
submitting (the organization's id) and the contact phone given in the form. A wrong pair answers
exactly as an unknown number does, so the lookup tells a stranger nothing; reviewers' notes and
scores are never part of the answer.
"""
from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..extensions import db
from ..organizations import stages
from ..organizations.matching import find_matches, phone_digits
from ..organizations.models import Organization, Transition

# The moves that decide an application: admitted (into incubation, or straight into virtual
# incubation), refused, or withdrawn by the applicant.
DECISIONS = ("incubating", "virtual", "rejected", "withdrawn")
MAX_NUMBER = 2**31 - 1
# An application that is still open, or an organization being incubated: applying again makes no
# second record. After a refusal, a withdrawal or the end of incubation, one may apply anew.
OPEN_STAGES = ("applied", "reviewing", *stages.ACTIVE_STAGES)
# What identifies the applicant's own organization on a public form: the USCC, or the name with the
# contact phone. The name alone is not enough (anyone may type a third party's name).
PUBLIC_REASONS = ("uscc", "name_phone")


@dataclass(frozen=True)
class ApplicationStatus:
    number: int
    name: str
    park: str
    stage: str
    submitted_at: datetime
    decided_at: date | None

    @property
    def stage_label(self) -> str:
        return stages.label(self.stage)


def application_number(org: Organization) -> str:
    """The number an applicant is given, and types back in to look the application up."""
    return str(org.id)


def _number(text: str) -> int | None:
    """"37", " 37 ", "＃３７", "No.37" → 37; anything else → None."""
    text = unicodedata.normalize("NFKC", text or "").strip().lstrip("#").strip()
    text = re.sub(r"^(?i:no\.?)\s*", "", text)
    if not text.isdigit() or len(text) > 10 or int(text) > MAX_NUMBER:
        return None
    return int(text)


def find_application(number: str, phone: str) -> ApplicationStatus | None:
    """The application with this number whose contact phone is `phone` (spaces and dashes
    ignored), or None — whether the number is unknown or the phone does not match."""
    org_id, given = _number(number), phone_digits(phone)
    org = db.session.get(Organization, org_id) if org_id else None
    stored = phone_digits(org.contact_phone) if org is not None else ""
    # Compared in constant time, and compared even when nothing was found.
    matches = hmac.compare_digest(stored.encode() or b"-", given.encode() or b"--")
    if org is None or not given or not matches:
        return None
    decided = db.session.scalars(
        select(Transition).where(Transition.organization_id == org.id, Transition.to_stage.in_(DECISIONS))
        .order_by(Transition.id).limit(1)).first()
    decided_at = None
    if decided is not None and org.stage not in ("applied", "reviewing"):
        decided_at = decided.happened_on
    return ApplicationStatus(number=org.id, name=org.name, park=org.park.name, stage=org.stage,
                             submitted_at=org.created_at, decided_at=decided_at)


def existing_application(data: dict, park=None) -> Organization | None:
    """The organization the applicant already applied for, if its application is open or it is
    being incubated (matched by USCC, or by normalized name and contact phone); else None."""
    for match in find_matches(data.get("name"), data.get("uscc"), data.get("contact_phone"), park=park):
        if match.reason in PUBLIC_REASONS and match.organization.stage in OPEN_STAGES:
            return match.organization
    return None
