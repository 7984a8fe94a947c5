"""The academy's figures: per offering, per park, per organization (报名、结业、学时)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.users.models import User

from .models import (
    SEATED,
    Enrolment,
    Offering,
    TraineeProfile,
)
from .services import counts, offerings_query, seats_taken


# -- reports ---------------------------------------------------------------------------------

def offering_report(park_ids, year: int | None = None) -> list[dict]:
    """Per offering: capacity, seated, waitlisted, pending, completed, fill and completion rates."""
    stmt = offerings_query(park_ids)
    if year:
        stmt = stmt.where(func.extract("year", Offering.starts_at) == year)
    offerings = db.session.scalars(stmt).all()
    c = counts([o.id for o in offerings])
    rows = []
    for offering in offerings:
        oc = c.get(offering.id, {})
        seated = seats_taken(oc)
        rows.append({"offering": offering, "capacity": offering.capacity, "seated": seated,
                     "waitlisted": oc.get("waitlisted", 0), "pending": oc.get("pending", 0),
                     "completed": oc.get("completed", 0), "cancelled": oc.get("cancelled", 0) + oc.get("removed", 0),
                     "fill": seated / offering.capacity if offering.capacity else 0,
                     "finished": bool(offering.sessions) and max(x.starts_at for x in offering.sessions) <= utcnow(),
                     "completion": oc.get("completed", 0) / seated if seated else 0})
    return rows


def park_report(park_ids, year: int | None = None) -> list[dict]:
    """Per park: offerings, seats, seated, completed, hours earned."""
    parks: dict[int, dict] = {}
    for row in offering_report(park_ids, year):
        park = row["offering"].park
        entry = parks.setdefault(park.id, {"park": park, "offerings": 0, "capacity": 0, "seated": 0,
                                           "waitlisted": 0, "completed": 0, "hours": Decimal(0)})
        entry["offerings"] += 1
        for key in ("capacity", "seated", "waitlisted", "completed"):
            entry[key] += row[key]
        entry["hours"] += row["completed"] * row["offering"].course.hours
    for entry in parks.values():
        entry["completion"] = entry["completed"] / entry["seated"] if entry["seated"] else 0
    return sorted(parks.values(), key=lambda e: e["park"].id)


def organization_report(park_ids, year: int | None = None) -> list[dict]:
    """Per organization the trainees belong to (or the name they gave): trainees, enrolments, completions, hours."""
    org_name = func.coalesce(Organization.name, func.nullif(TraineeProfile.organization_name, ""), "")
    stmt = (select(org_name.label("org"), func.count(func.distinct(Enrolment.user_id)),
                   func.count(Enrolment.id),
                   func.sum(case((Enrolment.status == "completed", 1), else_=0)),
                   func.coalesce(func.sum(Enrolment.hours), 0))
            .select_from(Enrolment)
            .join(Offering, Offering.id == Enrolment.offering_id)
            .join(User, User.id == Enrolment.user_id)
            .outerjoin(Organization, Organization.id == User.organization_id)
            .outerjoin(TraineeProfile, TraineeProfile.user_id == User.id)
            .where(Enrolment.status.in_(SEATED))
            .group_by(org_name).order_by(func.count(Enrolment.id).desc(), org_name))
    if park_ids is not None:
        stmt = stmt.where(Offering.park_id.in_(park_ids or [-1]))
    if year:
        stmt = stmt.where(func.extract("year", Offering.starts_at) == year)
    rows = []
    for name, trainees, enrolments, completed, hours in db.session.execute(stmt):
        rows.append({"organization": name or _("（未填写单位）"), "trainees": trainees, "enrolments": enrolments,
                     "completed": int(completed or 0), "hours": Decimal(hours or 0),
                     "completion": (completed or 0) / enrolments if enrolments else 0})
    return rows


def trainee_organization(user: User, profiles: dict[int, TraineeProfile] | None = None) -> str:
    if user.organization is not None:
        return user.organization.name
    profile = (profiles or {}).get(user.id) if profiles is not None else db.session.get(TraineeProfile, user.id)
    return profile.organization_name if profile else ""


def profiles_for(user_ids) -> dict[int, TraineeProfile]:
    return {p.user_id: p for p in db.session.scalars(
        select(TraineeProfile).where(TraineeProfile.user_id.in_(list(user_ids) or [-1])))}
