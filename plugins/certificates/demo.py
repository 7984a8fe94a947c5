"""Demo data: graduation certificates for a few graduated demo organizations."""
from sqlalchemy import func, select

from incubator.organizations.models import Organization, Transition

from . import fonts, services
from .models import Certificate
from .specs import district_day, graduation_spec

DEMO_COUNT = 3


def seed(session) -> None:
    from flask import g
    # Without BASE_URL, the demo's certificates (these, and the academy's demo completions that
    # follow in the same command) print the local server's address, with a warning.
    g.certificates_demo = True
    if session.scalar(select(func.count()).select_from(Certificate).where(Certificate.kind == "graduation")):
        return
    if fonts.problem():
        return  # no CJK font here: the demo goes without certificates
    orgs = session.scalars(select(Organization).where(Organization.stage == "graduated")
                           .order_by(Organization.id).limit(DEMO_COUNT)).all()
    graduated = dict(session.execute(
        select(Transition.organization_id, func.max(Transition.created_at))
        .where(Transition.organization_id.in_([o.id for o in orgs] or [-1]), Transition.to_stage == "graduated")
        .group_by(Transition.organization_id)).all())
    specs = [graduation_spec(org, district_day(graduated[org.id]) if org.id in graduated else None) for org in orgs]
    services.issue_many(specs, commit=False)
