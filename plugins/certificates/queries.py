"""Lists of certificates: the managers' list, a certificate's versions, a trainee's own, an
organization's."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from incubator.extensions import db
from incubator.plugins import is_enabled
from incubator.search import matches

from . import PLUGIN
from .models import Certificate


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


def versions(cert: Certificate) -> list[Certificate]:
    """Every version of what `cert` certifies, the latest first."""
    return list(db.session.scalars(select(Certificate).where(Certificate.subject == cert.subject)
                                   .order_by(Certificate.version.desc())))


def of_user(user) -> list[Certificate]:
    """A trainee's own certificates, and their organization's graduation certificate (latest
    versions), from the parks where the plugin is on."""
    cond = Certificate.user_id == user.id
    if getattr(user, "organization_id", None):
        cond = cond | (Certificate.organization_id == user.organization_id)
    certs = db.session.scalars(select(Certificate).where(cond, Certificate.superseded_by_id.is_(None))
                               .options(selectinload(Certificate.park)).order_by(Certificate.id.desc()))
    return [cert for cert in certs if is_enabled(PLUGIN, cert.park_id)]


def of_organization(org_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.organization_id == org_id)
                                   .order_by(Certificate.version.desc())))
