"""Reminders: every hour the worker asks the core and the plugins (`incubator_reminders`) what is due
on the district's date, and sends each occasion once (the notice's key, unique per recipient)."""
from __future__ import annotations

import logging

from flask import current_app

from ..dates import today
from . import notify

log = logging.getLogger(__name__)


def send_reminders(on=None) -> int:
    """Send what is due on `on` (the district's today by default); the number of notices sent."""
    on = on or today()
    sent = 0
    for reminders in current_app.extensions["incubator_plugins"].call_each("incubator_reminders", on=on):
        for reminder in reminders or ():
            if not reminder.key:
                log.error("reminder of kind %s without a key: skipped (it would be sent every hour)", reminder.kind)
                continue
            notice = notify(reminder.recipients, reminder.kind, reminder.subject, reminder.body, reminder.link,
                            key=reminder.key, park=reminder.park)
            sent += notice is not None
    return sent
