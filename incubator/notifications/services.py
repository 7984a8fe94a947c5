"""Sending a notice: the inbox entries now, the other channels' deliveries queued for the worker; the
inbox; people's choices of channels."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import selectinload

from .. import queue
from ..database import after_commit, insert_new, transaction
from ..db_types import utcnow
from ..errors import NotFound
from ..extensions import db
from ..users.models import User
from . import Message
from .models import Delivery, Notice, Notification
from .registry import kind as kind_named
from .registry import park_channels, user_channels

MAX_SUBJECT = 500


def notify(recipients, kind: str, subject, body="", link: str = "", *, key: str | None = None,
           park=None) -> Notice | None:
    """Tell `recipients` (users; ids will do) about something of `kind`. `link` is a path on this
    site (`url_for(...)`); `key` names the occasion, so each recipient gets it once however often it is
    sent; `park` (a Park) lets the park's group channels post it too, when the kind asks. Joins the
    caller's transaction; the worker sends after it commits. The Notice, or None if nobody was new."""
    declared = kind_named(kind)
    users = users_named(recipients)
    subject_text, body_text, params = _texts(subject, body)
    # (a path on this site only: "//host" and "/\\host" would send the reader elsewhere when opened)
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link):
        raise ValueError(f"notice link {link!r}: a path on this site (url_for), not an address")
    with transaction():
        notice = Notice(kind=kind, subject=subject_text[:MAX_SUBJECT], body=body_text, params=params,
                        link=link, park_id=getattr(park, "id", None), key=key, created_at=utcnow())
        db.session.add(notice)
        if key:  # each recipient once per occasion: only those who have not had it yet
            users = _new_recipients(notice, users)
            if not users:
                db.session.delete(notice)
                return None
        else:
            notice.notifications = [Notification(user_id=u.id, created_at=notice.created_at) for u in users]
        # (the notice, its inbox entries and deliveries go out in one flush, at the commit)
        notice.deliveries = _deliveries(declared, users, park)
        if notice.deliveries:
            after_commit(lambda: queue.enqueue("notifications.deliver", inspect(notice).identity[0]))
    return notice


def _new_recipients(notice, users) -> list[User]:
    """INSERT … ON CONFLICT DO NOTHING of the inbox entries: the users who had not had this occasion."""
    db.session.flush()  # (the notice's id)
    reached = set(insert_new(Notification.__table__, [
        {"notice_id": notice.id, "user_id": user.id, "key": notice.key, "created_at": notice.created_at}
        for user in users], unique=["user_id", "key"], returning=Notification.user_id))
    return [user for user in users if user.id in reached]


def users_named(recipients) -> list[User]:
    """The distinct active users named (by User or id), in a stable order."""
    ids, users = set(), []
    for item in recipients or ():
        user = item if isinstance(item, User) else db.session.get(User, int(item))
        if user is not None and user.active and user.id not in ids:
            ids.add(user.id)
            users.append(user)
    return users


def _texts(subject, body) -> tuple[str, str, dict]:
    params = {}
    texts = []
    for part in (subject, body):
        if isinstance(part, Message):
            params.update(part.params)
            texts.append(part.text)
        else:
            texts.append(str(part or ""))
    # Parameters are kept in Chinese (the catalog's source language: a stage's label is its msgid)
    # and translated with the text for each reader.
    if all(isinstance(v, str) for v in params.values()):
        return texts[0], texts[1], params
    with force_locale("zh"):
        return texts[0], texts[1], {k: str(v) for k, v in params.items()}


def _deliveries(declared, users, park) -> list[Delivery]:
    rows = []
    chosen, channels = chosen_channels(users, declared), user_channels()
    for user in users:
        for key, channel in channels.items():
            if key in chosen[user.id] and (address := channel.address(user)):
                rows.append(Delivery(channel=key, target=f"user:{user.id}", user_id=user.id, address=address))
    if park is not None and declared.park_group:
        for key, channel in park_channels().items():
            if address := channel.address(park):
                rows.append(Delivery(channel=key, target=f"park:{park.id}", address=address))
    return rows


def chosen_channels(users, declared) -> dict[int, set[str]]:
    """For each user, the channels (beside the inbox) they get `declared` notices on: the kind's
    defaults, with their own choices over them (unless it cannot be turned off)."""
    chosen = {}
    for user in users:
        channels = set(declared.channels)
        if declared.optional:
            for channel, wanted in ((user.notification_choices or {}).get(declared.key) or {}).items():
                (channels.add if wanted else channels.discard)(channel)
        chosen[user.id] = channels
    return chosen


# -- reading ------------------------------------------------------------------------------------
def own_notification(notification_id: int, user) -> Notification:
    """One of `user`'s own notices; anyone else's is NotFound (404), like one that does not exist."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("通知不存在")
    return notification


def rendered(notice: Notice, locale: str | None = None) -> tuple[str, str]:
    """The notice's subject and body in `locale` (the current one when None)."""
    def translate(text):
        if not text:
            return ""
        if not notice.params:
            return _(text)
        return _(text, **{k: _(v) if v else v for k, v in notice.params.items()})
    if locale is None:
        return translate(notice.subject), translate(notice.body)
    with force_locale(locale):
        return translate(notice.subject), translate(notice.body)


def inbox_query(user, *, unread_only: bool = False):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        with transaction():
            notification.read_at = utcnow()


def mark_all_read(user) -> int:
    with transaction():
        result = db.session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount


def set_preferences(user, choices: dict[str, set[str]]) -> None:
    """`choices`: for each kind the user may choose, the channels they want (beside the inbox). Only
    what differs from a kind's defaults is kept; kinds that cannot be turned off keep theirs."""
    from .registry import kinds_for
    kept = {}
    for declared in kinds_for(user):
        if not declared.optional or declared.key not in choices:
            continue
        differ = {channel: channel in choices[declared.key] for channel in user_channels()
                  if (channel in choices[declared.key]) != (channel in declared.channels)}
        if differ:
            kept[declared.key] = differ
    with transaction():
        user.notification_choices = kept


def save_settings(user, *, email: str, phone: str, choices: dict[str, set[str]]) -> None:
    """/me/notifications: how to reach the user (checked as any user's address and phone are), and
    their channels per kind, in one transaction."""
    from .. import audit
    from ..users.services import validate
    clean = validate({"email": email.strip(), "phone": phone.strip()}, existing=user)
    with transaction():
        changed = sorted(k for k in ("email", "phone") if getattr(user, k) != clean[k])
        user.email, user.phone = clean["email"], clean["phone"]
        set_preferences(user, choices)
        audit.record("user.notification_settings", user, user=user, summary=user.username, changed=changed)


# -- the administrator's view ----------------------------------------------------------------------
def deliveries_query(status: str):
    """Deliveries by status for /admin/notifications: "pending" includes those being sent."""
    statuses = ("pending", "sending") if status == "pending" else (status,)
    order = Delivery.next_attempt_at if status == "pending" else Delivery.created_at.desc()
    return (select(Delivery).where(Delivery.status.in_(statuses)).options(selectinload(Delivery.user))
            .order_by(order, Delivery.id.desc()))


def delivery_counts() -> dict[str, int]:
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    counts = dict(rows.all())
    return {"failed": counts.get("failed", 0), "pending": counts.get("pending", 0) + counts.get("sending", 0),
            "sent": counts.get("sent", 0)}


def unread_notifications(user) -> int:
    """The bell's number (one COUNT per page, for a logged-in user)."""
    return unread_count(user) if getattr(user, "is_authenticated", False) else 0
