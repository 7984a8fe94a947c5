"""Demo data: graduation certificates for a few graduated demo organizations."""
from sqlalchemy import func, select

from incubator.organizations.models import Organization

from . import services
from .models import Certificate

DEMO_COUNT = 3


def seed(session) -> None:
    if session.scalar(select(func.count()).select_from(Certificate)):
        return
    if services.fonts.problem():
        return  # no CJK font here: the demo goes without certificates
    orgs = session.scalars(select(Organization).where(Organization.stage == "graduated")
                           .order_by(Organization.id).limit(DEMO_COUNT)).all()
    specs = [services.graduation_spec(org, org.updated_at.date() if org.updated_at else None) for org in orgs]
    services.issue_many(specs, commit=False)
