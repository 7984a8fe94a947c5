"""The counts behind mentoring's to-dos (待办): logs awaiting a contact's signature, disputes,
follow-ups due."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, false, func, select, true

from incubator.dates import today
from incubator.extensions import db
from incubator.organizations.models import Organization

from .models import FollowUpAction, SupervisionLog

TODO_HORIZON_DAYS = 7  # follow-up actions due within a week show as to-dos


# -- to-dos (待办) ------------------------------------------------------------------------------

def _enabled_condition():
    """Organizations in parks where the plugin is enabled, as a WHERE condition (no query)."""
    from incubator.plugins import enablement
    state = enablement().get("mentoring")
    if state is None or state.scope == "none":
        return false()
    if state.scope == "all":
        return true()
    return Organization.park_id.in_(list(state.park_ids) or [-1])


def expert_todo_counts(user) -> dict:
    """What waits for an expert: their entries pending or disputed, follow-ups of their sessions due
    within a week or overdue (two queries)."""
    pending, disputed, first_disputed = db.session.execute(
        select(func.count(case((SupervisionLog.status == "pending", 1))),
               func.count(case((SupervisionLog.status == "disputed", 1))),
               func.min(case((SupervisionLog.status == "disputed", SupervisionLog.id))))
        .join(Organization, Organization.id == SupervisionLog.organization_id)
        .where(SupervisionLog.expert_id == user.id, SupervisionLog.status != "confirmed", _enabled_condition())).one()
    due, first_due = db.session.execute(
        select(func.count(), func.min(FollowUpAction.due_on))
        .join(SupervisionLog, SupervisionLog.id == FollowUpAction.log_id)
        .join(Organization, Organization.id == FollowUpAction.organization_id)
        .where(SupervisionLog.expert_id == user.id, FollowUpAction.done_at.is_(None),
               FollowUpAction.due_on <= today() + timedelta(days=TODO_HORIZON_DAYS), _enabled_condition())).one()
    return {"pending": pending, "disputed": disputed, "first_disputed": first_disputed,
            "actions_due": due, "first_due": first_due}


def contact_todo_counts(user) -> dict:
    """What waits for an organization's contact: entries to sign, the organization's follow-ups due
    within a week or overdue (two queries; nothing when the plugin is off in its park)."""
    org_id = user.organization_id
    pending, first_pending = db.session.execute(
        select(func.count(), func.min(SupervisionLog.id))
        .join(Organization, Organization.id == SupervisionLog.organization_id)
        .where(SupervisionLog.organization_id == org_id, SupervisionLog.status == "pending",
               _enabled_condition())).one()
    due, first_due = db.session.execute(
        select(func.count(), func.min(FollowUpAction.due_on))
        .join(Organization, Organization.id == FollowUpAction.organization_id)
        .where(FollowUpAction.organization_id == org_id, FollowUpAction.done_at.is_(None),
               FollowUpAction.due_on <= today() + timedelta(days=TODO_HORIZON_DAYS), _enabled_condition())).one()
    return {"pending": pending, "first_pending": first_pending, "actions_due": due, "first_due": first_due}


def disputed_in_parks(park_ids) -> int:
    """Disputed entries in these parks (None: every park), for the managers' to-dos (one query)."""
    stmt = (select(func.count()).select_from(SupervisionLog)
            .join(Organization, Organization.id == SupervisionLog.organization_id)
            .where(SupervisionLog.status == "disputed", _enabled_condition()))
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(list(park_ids) or [-1]))
    return db.session.scalar(stmt)
