"""Reminders: every hour the worker asks the core and the plugins (`incubator_reminders`) what is due
on the district's date, and sends each occasion once (the notice's key, unique per recipient).

Most of what is asked was sent an hour ago (an overdue incubation stays overdue for weeks): the
occasions already told are found in one query and left out before anything is written. `notify`'s
INSERT … ON CONFLICT still settles two workers asking at the same moment.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from ..dates import today
from ..extensions import db
from . import notify
from .models import Notification
from .services import users_named

log = logging.getLogger(__name__)
KEYS_PER_QUERY = 500


def send_reminders(on=None) -> int:
    """Send what is due on `on` (the district's today by default); the number of notices sent."""
    on = on or today()
    due = []
    for reminders in current_app.extensions["incubator_plugins"].call_each("incubator_reminders", on=on):
        for reminder in reminders or ():
            if reminder.key:
                due.append(reminder)
            else:
                log.error("reminder of kind %s without a key: skipped (it would be sent every hour)", reminder.kind)
    told = already_told({r.key for r in due})
    sent = 0
    for reminder in due:
        recipients = [u for u in users_named(reminder.recipients) if (u.id, reminder.key) not in told]
        if not recipients:
            continue
        notice = notify(recipients, reminder.kind, reminder.subject, reminder.body, reminder.link,
                        key=reminder.key, park=reminder.park)
        sent += notice is not None
    return sent


def already_told(keys: set[str]) -> set[tuple[int, str]]:
    """The (user id, key) pairs of these occasions that are in someone's inbox already."""
    keys, told = sorted(keys), set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        told.update(db.session.execute(select(Notification.user_id, Notification.key)
                                       .where(Notification.key.in_(keys[start:start + KEYS_PER_QUERY]))).tuples())
    return told
