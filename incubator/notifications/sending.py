"""Delivering notices on channels other than the inbox, in the worker.

A delivery is claimed (one conditional UPDATE: pending and due, or sending with an expired lease) before
it is sent, so two workers never send the same one; a failure is tried again after
NOTIFY_RETRY_DELAYS (1 min, 5 min, 30 min, 2 h), then marked failed and shown to the administrator
(/admin/notifications). A worker killed while sending leaves a lease that expires: the delivery is
sent again (at least once, at most one worker at a time).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import and_, or_, select, update

from ..database import transaction
from ..db_types import utcnow
from ..extensions import db
from ..parks.models import Park
from . import Outgoing
from .models import Delivery
from .registry import channels
from .services import rendered

log = logging.getLogger(__name__)
DUE_BATCH = 200


def deliver_notice(notice_id: int) -> None:
    """Send a new notice's deliveries (the task `notify` queues)."""
    ids = db.session.scalars(select(Delivery.id).where(Delivery.notice_id == notice_id, _due(utcnow())))
    for delivery_id in list(ids):
        deliver(delivery_id)


def send_due() -> int:
    """Send what is due: retries, and what a dead worker or a queue outage left (every minute)."""
    ids = list(db.session.scalars(select(Delivery.id).where(_due(utcnow())).order_by(Delivery.id).limit(DUE_BATCH)))
    return sum(deliver(delivery_id) for delivery_id in ids)


def _due(now):
    return or_(and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
               and_(Delivery.status == "sending", Delivery.lease_until < now))


def deliver(delivery_id: int) -> bool:
    """Claim, send and record one delivery; True if it was sent now."""
    if not _claim(delivery_id):
        return False
    delivery = db.session.get(Delivery, delivery_id)
    channel = channels().get(delivery.channel)
    try:
        if channel is None:
            raise LookupError(f"channel {delivery.channel!r} is not available (plugin off or not configured)")
        channel.send(outgoing(delivery))
    except Exception as exc:  # any channel's failure: record it, try again later
        _failed(delivery, exc)
        return False
    with transaction():
        delivery.status, delivery.sent_at, delivery.lease_until, delivery.last_error = "sent", utcnow(), None, ""
    return True


def _claim(delivery_id: int) -> bool:
    now = utcnow()
    lease = timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])
    with transaction():
        result = db.session.execute(update(Delivery).where(Delivery.id == delivery_id, _due(now)).values(
            status="sending", lease_until=now + lease, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _failed(delivery: Delivery, exc: Exception) -> None:
    db.session.rollback()
    delays = current_app.config["NOTIFY_RETRY_DELAYS"]
    error = describe(exc)[:2000]
    with transaction():
        delivery.last_error, delivery.lease_until = error, None
        if delivery.attempts > len(delays):
            delivery.status = "failed"
            log.error("notice %s on %s to %s failed for good: %s", delivery.notice_id, delivery.channel,
                      delivery.target, error)
        else:
            delivery.status = "pending"
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delays[delivery.attempts - 1])
            log.warning("notice %s on %s to %s failed (attempt %s), will retry: %s", delivery.notice_id,
                        delivery.channel, delivery.target, delivery.attempts, error)


def describe(exc: Exception) -> str:
    """A failure as the administrator reads it: an SMTP reply as the server wrote it (550 5.1.1 …)."""
    code, reply = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if code and reply:
        return f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
    return f"{type(exc).__name__}: {exc}"


def retry(delivery: Delivery) -> None:
    """The administrator's 重新发送: a failed delivery is due again, with its attempts counted anew."""
    with transaction():
        delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()


def outgoing(delivery: Delivery) -> Outgoing:
    notice = delivery.notice
    locale = (delivery.user.locale if delivery.user else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    subject, body = rendered(notice, locale)
    url = absolute_url(notice.link)
    park = db.session.get(Park, notice.park_id) if notice.park_id else None
    from flask_babel import force_locale
    with force_locale(locale):
        text = render_template("notifications/message.txt", subject=subject, body=body, url=url)
        html = render_template("notifications/message.html", subject=subject, body=body, url=url,
                               lang="en" if locale == "en" else "zh-CN")
    return Outgoing(kind=notice.kind, subject=subject, body=body, text=text, html=html, url=url,
                    address=delivery.address, locale=locale, park_code=park.code if park else None)


def absolute_url(link: str) -> str:
    """A stored path as an address people can open from their mail: BASE_URL + path."""
    if not link:
        return ""
    base = current_app.config.get("BASE_URL") or "http://localhost:5000/"
    return base.rstrip("/") + link
