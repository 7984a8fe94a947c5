"""The core's notices: applications received and decided, stage moves, incubations due and overdue.
Registered with the core's hooks (core_hooks.py)."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..hookspecs import hookimpl
from ..organizations import stages
from ..organizations.models import Organization
from ..parks.services import managers_of
from ..dates import chinese_date
from . import Reminder, msg, notify, path_for
from .registry import CORE_KINDS

log = logging.getLogger(__name__)
DECISIONS = {"incubating", "rejected"}  # the moves out of 评审 that answer an application
DUE_NOTICES = (30, 60)  # days before the due date


@hookimpl
def incubator_notification_kinds():
    return CORE_KINDS


@hookimpl
def incubator_notification_channels():
    from .mail import channel
    email = channel()
    return [email] if email else []


def org_link(org) -> str:
    return path_for("organizations.detail", org_id=org.id)


def application_received(org) -> None:
    """A new application (入园申请) reaches its park's managers (called by the public form, after the
    application committed: a failure here is logged, the application stands)."""
    try:
        _notify_application(org)
    except Exception:
        db.session.rollback()
        log.exception("notice of application %s not sent", org.id)


def _notify_application(org) -> None:
    notify(managers_of(org.park_id), "org.application_received",
           msg("收到新的入园申请：%(org)s", org=org.name),
           msg("%(org)s 申请入驻%(park)s，请及时评审。", org=org.name, park=org.park.name),
           org_link(org), park=org.park)


def stage_moved(org, transition) -> None:
    """The organization's contacts learn of a move: the decision on their application, or the new
    stage (called by organizations.services.move inside its transaction)."""
    from ..organizations.contacts import contacts
    recipients = contacts(org)
    if not recipients:
        return
    to_label = stages.STAGES.get(transition.to_stage, transition.to_stage)
    if transition.from_stage == "reviewing" and transition.to_stage in DECISIONS:
        subject = (msg("入园申请已通过：%(org)s", org=org.name) if transition.to_stage == "incubating"
                   else msg("入园申请未通过：%(org)s", org=org.name))
        notify(recipients, "org.application_decided", subject, transition.note or "", org_link(org), park=org.park)
        return
    notify(recipients, "org.stage_moved", msg("%(org)s 的孵化阶段已变更为“%(stage)s”", org=org.name, stage=to_label),
           transition.note or "", org_link(org), park=org.park)


@hookimpl
def incubator_reminders(on):
    """Incubations due within 60 and within 30 days, and overdue ones, to their park's managers: each
    once per due date (a renewal moves the date, and the notices come again for the new one)."""
    reminders = []
    horizon = on + timedelta(days=max(DUE_NOTICES))
    rows = db.session.scalars(select(Organization).where(
        Organization.stage.in_(stages.ACTIVE_STAGES), Organization.incubation_due.is_not(None),
        Organization.incubation_due <= horizon).order_by(Organization.id))
    managers = {}
    for org in rows:
        recipients = managers.setdefault(org.park_id, managers_of(org.park_id))
        reminders.append(_due_reminder(org, on, recipients))
    return [r for r in reminders if r is not None]


def _due_reminder(org, on, recipients) -> Reminder | None:
    due = org.incubation_due
    if due < on:
        return Reminder(recipients, "org.incubation_overdue", msg("孵化已超期：%(org)s", org=org.name),
                        msg("%(org)s 的孵化已于 %(due)s 到期，请办理出壳、续驻或退出。", org=org.name, due=chinese_date(due)),
                        org_link(org), f"org.overdue:{org.id}:{due.isoformat()}", org.park)
    days = (due - on).days
    window = min(d for d in DUE_NOTICES if days <= d)
    return Reminder(recipients, "org.incubation_due",
                    msg("孵化将于 %(days)s 天后到期：%(org)s", org=org.name, days=str(days)),
                    msg("%(org)s 的孵化将于 %(due)s 到期，请安排出壳评估或续驻。", org=org.name, due=chinese_date(due)),
                    org_link(org), f"org.due{window}:{org.id}:{due.isoformat()}", org.park)
