"""What waits for whom in the academy (待办), for the core's landing pages and the menu count.

- trainees: a class today or tomorrow, an enrolment awaiting the park's approval, a promotion from
  the waitlist they have not yet seen (seen = they opened 我的学习 or the offering's page);
- instructors (the expert teaching an offering): attendance to record for a session that has begun;
- managers (and the administrator): enrolments awaiting approval in their parks' offerings.

It runs on every page a user opens, so each part is one or two bounded queries.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from incubator.dates import show_datetime, today, to_local, to_utc
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.plugins import is_enabled
from incubator.ui import Todo

from . import PLUGIN
from .models import SEATED, Attendance, Enrolment, Offering, Session

ATTENDANCE_LOOKBACK = timedelta(days=60)  # older sessions without a record are left to the roster
LIMIT = 10


def for_user(user) -> list[Todo]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.role in ("trainee", "expert"):
        items += trainee_todos(user)
    if user.role == "expert":
        items += instructor_todos(user)
    if user.role in ("admin", "manager"):
        items += manager_todos(user)
    return items


def trainee_todos(user) -> list[Todo]:
    now, day = utcnow(), today()
    until = to_utc(datetime.combine(day + timedelta(days=2), time()))
    items = []
    classes = db.session.execute(
        select(Session, Offering).join(Offering, Offering.id == Session.offering_id)
        .join(Enrolment, Enrolment.offering_id == Offering.id)
        .where(Enrolment.user_id == user.id, Enrolment.status == "enrolled",
               Session.ends_at > now, Session.starts_at < until)
        .order_by(Session.starts_at).limit(LIMIT)).all()
    for session, offering in classes:
        if not is_enabled(PLUGIN, offering.park_id):
            continue
        when = to_local(session.starts_at)
        label = _("今天上课：《%(title)s》%(time)s，%(venue)s", title=offering.display_title,
                  time=f"{when:%H:%M}", venue=offering.venue) if when.date() == day else \
            _("明天上课：《%(title)s》%(time)s，%(venue)s", title=offering.display_title, time=f"{when:%H:%M}",
              venue=offering.venue)
        items.append(Todo(label, url_for("enrolment.offering", offering_id=offering.id), order=20))
    waiting = db.session.scalars(
        select(Enrolment).join(Offering, Offering.id == Enrolment.offering_id)
        .where(Enrolment.user_id == user.id,
               or_(Enrolment.status == "pending",
                   (Enrolment.status == "enrolled") & Enrolment.promoted_at.is_not(None)
                   & Enrolment.promotion_seen_at.is_(None)))
        .order_by(Offering.starts_at).limit(LIMIT)).all()
    for enrolment in waiting:
        offering = enrolment.offering
        if not is_enabled(PLUGIN, offering.park_id):
            continue
        url = url_for("enrolment.offering", offering_id=offering.id)
        if enrolment.status == "pending":
            items.append(Todo(_("《%(title)s》的报名等待园区审核", title=offering.display_title), url, order=22))
        else:
            items.append(Todo(_("您已由候补转为《%(title)s》的正式学员，请按时上课", title=offering.display_title),
                              url, order=21))
    return items


def instructor_todos(user) -> list[Todo]:
    """Sessions of the offerings `user` teaches that have begun and lack someone's attendance."""
    now = utcnow()
    seated = (select(func.count()).select_from(Enrolment)
              .where(Enrolment.offering_id == Session.offering_id, Enrolment.status.in_(SEATED))
              .correlate(Session).scalar_subquery())
    marked = (select(func.count()).select_from(Attendance)
              .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
              .where(Attendance.session_id == Session.id, Enrolment.status.in_(SEATED))
              .correlate(Session).scalar_subquery())
    rows = db.session.execute(
        select(Session, Offering).join(Offering, Offering.id == Session.offering_id)
        .where(Offering.instructor_id == user.id, Session.starts_at <= now,
               Session.starts_at >= now - ATTENDANCE_LOOKBACK, seated > marked)
        .order_by(Session.starts_at).limit(LIMIT)).all()
    return [Todo(_("记录考勤：《%(title)s》%(time)s 的课", title=offering.display_title,
                   time=show_datetime(session.starts_at)),
                 url_for("enrolment.attendance", session_id=session.id), order=15)
            for session, offering in rows if is_enabled(PLUGIN, offering.park_id)]


def manager_todos(user) -> list[Todo]:
    """Offerings of the user's parks with enrolments awaiting approval (one to-do per offering)."""
    stmt = (select(Enrolment.offering_id, func.count()).join(Offering, Offering.id == Enrolment.offering_id)
            .where(Enrolment.status == "pending").group_by(Enrolment.offering_id))
    if user.role != "admin":
        stmt = stmt.where(Offering.park_id.in_(list(user.park_ids) or [-1]))
    pending = dict(db.session.execute(stmt.limit(50)).all())
    if not pending:
        return []
    offerings = db.session.scalars(select(Offering).where(Offering.id.in_(list(pending)))
                                   .order_by(Offering.starts_at, Offering.id)).all()
    return [Todo(_("《%(title)s》有报名待审核", title=o.display_title),
                 url_for("enrolment.roster", offering_id=o.id), count=pending[o.id], order=25)
            for o in offerings if is_enabled(PLUGIN, o.park_id)][:LIMIT]
