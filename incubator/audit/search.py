"""Finding entries in the audit log: by words (who, what object, the summary), dates, kind of action."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..dates import to_utc
from ..search import matches
from .labels import LOGIN
from .models import AuditEntry


@dataclass
class AuditFilter:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    action: str = ""  # an action key, or a prefix ending in "." ("org.")
    hide_logins: bool = True


def district_midnight_utc(day: date) -> datetime:
    """The start of `day` in the district, as the naive UTC time the log stores."""
    return to_utc(datetime.combine(day, time.min))


def statement(f: AuditFilter):
    """The entries matching `f`, newest first, with the person who wrote each loaded alongside."""
    from ..organizations.models import Organization
    from ..parks.models import Park
    from ..users.models import User

    stmt = select(AuditEntry).options(selectinload(AuditEntry.user)).order_by(AuditEntry.id.desc())
    if f.action:
        stmt = stmt.where(AuditEntry.action.startswith(f.action, autoescape=True) if f.action.endswith(".")
                          else AuditEntry.action == f.action)
    if f.hide_logins and f.action != LOGIN:
        stmt = stmt.where(AuditEntry.action != LOGIN)
    if f.date_from:
        stmt = stmt.where(AuditEntry.created_at >= district_midnight_utc(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditEntry.created_at < district_midnight_utc(f.date_to + timedelta(days=1)))
    q = f.q.strip()
    if q:
        actor = aliased(User)
        person = aliased(User)

        def named(model, *columns):
            return select(cast(model.id, String)).where(matches(q, *columns))
        stmt = stmt.outerjoin(actor, AuditEntry.user_id == actor.id).where(or_(
            matches(q, AuditEntry.summary, actor.name, actor.username),
            and_(AuditEntry.object_type == "Organization",
                 AuditEntry.object_id.in_(named(Organization, Organization.name))),
            and_(AuditEntry.object_type == "User", AuditEntry.object_id.in_(named(person, person.name, person.username))),
            and_(AuditEntry.object_type == "Park", AuditEntry.object_id.in_(named(Park, Park.name))),
        ))
    return stmt
