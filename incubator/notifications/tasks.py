"""The notifications' work on the platform's queue: a new notice's deliveries, what is due again
(retries; what a dead worker left) every minute, reminders every hour."""
from huey import crontab

from ..queue import Periodic, Task
from .reminders import send_reminders
from .sending import deliver_notice, send_due

TASKS = [
    Task("notifications.deliver", deliver_notice),
    Periodic("notifications.send_due", send_due, crontab(minute="*")),
    # Every hour, so a worker that was down at some hour still sends the day's reminders; each
    # occasion reaches each recipient once (the notice's key).
    Periodic("notifications.reminders", lambda: send_reminders(), crontab(minute="7")),
]
