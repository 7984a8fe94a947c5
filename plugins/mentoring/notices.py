"""督导 notices: a log awaiting the organization's signature (to its contacts), a disputed log (to the
expert and the park's managers), and follow-up actions due or overdue (reminders to the expert who
logged them). The services call these inside the transaction that writes the event, so a notice
commits or rolls back with it.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from incubator.dates import chinese_date
from incubator.extensions import db
from incubator.notifications import Kind, Reminder, msg, notify, path_for
from incubator.parks.services import managers_of
from incubator.organizations import stages
from incubator.organizations.contacts import contacts
from incubator.organizations.models import Organization
from incubator.plugins import enabled_park_ids, is_enabled

from . import PLUGIN
from .models import FollowUpAction, SupervisionLog

# An open follow-up is reminded as overdue the first time the worker asks within this many days of
# its date; older ones (left open for months) would otherwise be asked for every hour for good. They
# stay on the to-do lists and the park's overdue widget.
OVERDUE_DAYS = 30

KINDS = [
    Kind("mentoring.log_submitted", _l("督导记录待确认"), roles=("trainee",)),
    Kind("mentoring.log_disputed", _l("督导记录有异议"), roles=("expert", "manager")),
    Kind("mentoring.action_due", _l("督导跟进事项即将到期"), roles=("expert",)),
    Kind("mentoring.action_overdue", _l("督导跟进事项已逾期"), roles=("expert",)),
]


def log_link(log_id: int) -> str:
    """The entry's page: its organization's contacts, its expert and the park's managers may open it."""
    return path_for("mentoring.log_page", log_id=log_id)


def log_submitted(org: Organization, log: SupervisionLog, *, revised: bool = False) -> None:
    """An expert logged a session, an amendment, or revised a disputed entry: the organization's
    contacts are asked to sign it off."""
    if not is_enabled(PLUGIN, org.park_id):
        return
    db.session.flush()  # the link needs the entry's id (and the entry its expert, loaded from it)
    expert, day = log.expert.display_name, chinese_date(log.held_on)
    if revised:
        body = msg("%(expert)s 已根据异议修改了 %(day)s 的督导记录，请再次核对后签字确认。", expert=expert, day=day)
    elif log.amends_id is not None:
        body = msg("%(expert)s 对 %(day)s 的督导记录提交了补充更正，请核对后签字确认或提出异议。", expert=expert, day=day)
    else:
        body = msg("%(expert)s 记录了 %(day)s 的督导，请核对后签字确认或提出异议。", expert=expert, day=day)
    notify(contacts(org), "mentoring.log_submitted", msg("督导记录待确认：%(org)s", org=org.name), body,
           log_link(log.id), park=org.park)


def log_disputed(log: SupervisionLog) -> None:
    """The organization disputed an entry: its expert revises it, the park's managers follow it."""
    org = log.organization
    if not is_enabled(PLUGIN, org.park_id):
        return
    notify([log.expert, *managers_of(org.park_id)], "mentoring.log_disputed",
           msg("督导记录有异议：%(org)s", org=org.name),
           msg("%(org)s 对 %(day)s 的督导记录提出异议：%(comment)s", org=org.name, day=chinese_date(log.held_on),
               comment=log.dispute_comment),
           log_link(log.id), park=org.park)


# -- reminders --------------------------------------------------------------------------------

def reminders(on) -> list[Reminder]:
    """Open follow-up actions due on `on` or the day after, and those past their date, each to the
    expert who logged it: once when due (key per action and due date) and once when overdue (up to
    OVERDUE_DAYS after the date).
    Only in parks where mentoring is enabled, for organizations still in incubation or before it."""
    park_ids = enabled_park_ids(PLUGIN)
    if not park_ids:
        return []
    rows = db.session.scalars(
        select(FollowUpAction).join(Organization, Organization.id == FollowUpAction.organization_id)
        .where(FollowUpAction.done_at.is_(None), FollowUpAction.due_on <= on + timedelta(days=1),
               FollowUpAction.due_on >= on - timedelta(days=OVERDUE_DAYS),
               Organization.park_id.in_(park_ids), Organization.stage.not_in(stages.FINAL_STAGES))
        .options(joinedload(FollowUpAction.organization).joinedload(Organization.park),
                 joinedload(FollowUpAction.log).joinedload(SupervisionLog.expert))
        .order_by(FollowUpAction.due_on, FollowUpAction.id))
    return [_reminder(action, on) for action in rows]


def _reminder(action: FollowUpAction, on) -> Reminder:
    org, due = action.organization, action.due_on
    what = dict(action=action.description[:200], owner=action.owner, due=chinese_date(due))
    if due < on:
        return Reminder([action.log.expert], "mentoring.action_overdue",
                        msg("督导跟进事项已逾期：%(org)s", org=org.name),
                        msg("“%(action)s”（负责人 %(owner)s）已于 %(due)s 到期，尚未完成。", **what),
                        log_link(action.log_id), f"mentoring.overdue:{action.id}:{due.isoformat()}", org.park)
    subject = (msg("督导跟进事项今天到期：%(org)s", org=org.name) if due == on
               else msg("督导跟进事项明天到期：%(org)s", org=org.name))
    return Reminder([action.log.expert], "mentoring.action_due", subject,
                    msg("“%(action)s”（负责人 %(owner)s）的期限是 %(due)s。", **what),
                    log_link(action.log_id), f"mentoring.due:{action.id}:{due.isoformat()}", org.park)
