"""社区治理学院 notices: a seat from the waitlist (候补转正), the park's decision on an enrolment that
needs approval, completion (结业) — each to the trainee — and classes tomorrow (reminders to the
seated trainees and to the instructor of each session). The services call these inside the
transaction that writes the event, so a notice commits or rolls back with it.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from incubator.dates import chinese_date, to_local, to_utc
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.notifications import Kind, Reminder, msg, notify, path_for
from incubator.plugins import enabled_park_ids, is_enabled
from incubator.users.models import User

from . import PLUGIN
from .models import SEATED, Enrolment, Offering, Session

# Who learns at the academy (imports.ENROLLABLE_ROLES): the kinds of a trainee's notices are offered
# to them on /me/notifications. A manager who enrols still gets the notices.
LEARNERS = ("trainee", "expert")

KINDS = [
    Kind("enrolment.promoted", _l("候补转为正式学员"), roles=LEARNERS),
    # The answer to an enrolment the trainee asked for, as the core's answer to an application.
    Kind("enrolment.decided", _l("报名审核结果"), optional=False, roles=LEARNERS),
    Kind("enrolment.class_tomorrow", _l("明天上课"), roles=LEARNERS),
    Kind("enrolment.teaching_tomorrow", _l("明天授课"), roles=("expert",)),  # instructors are experts
    Kind("enrolment.completed", _l("课程结业"), roles=LEARNERS),
]


def offering_link(offering: Offering) -> str:
    """The offering's page: anyone may open it, and a trainee sees their own enrolment there."""
    return path_for("enrolment.offering", offering_id=offering.id)


def _when(session: Session) -> str:
    """2026年12月1日 09:00–12:00 (the district's wall clock)."""
    starts, ends = to_local(session.starts_at), to_local(session.ends_at)
    return f"{chinese_date(starts.date())} {starts:%H:%M}–{ends:%H:%M}"


def _next_session(offering: Offering) -> Session | None:
    now = utcnow()
    return next((s for s in sorted(offering.sessions, key=lambda s: s.starts_at) if s.starts_at > now), None)


def promoted(offering: Offering, enrolments: list[Enrolment]) -> None:
    """Seats freed (a cancellation, a removal, a raised capacity) went to the head of the waitlist."""
    if not enrolments or not is_enabled(PLUGIN, offering.park_id):
        return
    title, upcoming = offering.display_title, _next_session(offering)
    body = (msg("《%(title)s》有了空位，您已由候补转为正式学员，请按时上课。下次课：%(when)s，%(venue)s。",
                title=title, when=_when(upcoming), venue=offering.venue) if upcoming
            else msg("《%(title)s》有了空位，您已由候补转为正式学员，请按时上课。", title=title))
    notify([e.user for e in enrolments], "enrolment.promoted", msg("候补转正：《%(title)s》", title=title), body,
           offering_link(offering), park=offering.park)


def decided(enrolment: Enrolment, *, by, position: int | None = None) -> None:
    """The park approved (a seat, or the waitlist at `position` when full) or rejected an enrolment
    that needed approval. Nobody is told of their own act."""
    offering = enrolment.offering
    if enrolment.user_id == getattr(by, "id", None) or not is_enabled(PLUGIN, offering.park_id):
        return
    title = offering.display_title
    if enrolment.status == "rejected":
        subject = msg("报名未通过：《%(title)s》", title=title)
        body = (msg("园区未通过您对《%(title)s》的报名。说明：%(note)s", title=title, note=enrolment.note)
                if enrolment.note else msg("园区未通过您对《%(title)s》的报名，如有疑问请联系园区管理员。", title=title))
    elif enrolment.status == "waitlisted":
        subject = msg("报名已通过：《%(title)s》", title=title)
        body = msg("园区已通过您对《%(title)s》的报名，但班次已满，您现在候补第 %(n)s 位；有人取消时将按顺序自动递补。",
                   title=title, n=str(position or ""))
    else:
        subject, upcoming = msg("报名已通过：《%(title)s》", title=title), _next_session(offering)
        body = (msg("园区已通过您对《%(title)s》的报名，请按时上课。下次课：%(when)s，%(venue)s。",
                    title=title, when=_when(upcoming), venue=offering.venue) if upcoming
                else msg("园区已通过您对《%(title)s》的报名，请按时上课。", title=title))
    notify([enrolment.user], "enrolment.decided", subject, body, offering_link(offering), park=offering.park)


def completed(offering: Offering, enrolments: list[Enrolment]) -> None:
    """Trainees met the course's rule (考勤达标) and completed: their hours are on 我的学习."""
    if not enrolments or not is_enabled(PLUGIN, offering.park_id):
        return
    notify([e.user for e in enrolments], "enrolment.completed",
           msg("恭喜结业：《%(title)s》", title=offering.display_title),
           msg("您已完成《%(title)s》的学习，获得 %(hours)s 学时，可在“我的学习”查看。", title=offering.display_title,
               hours=f"{float(offering.course.hours):g}"),
           path_for("enrolment.my"), park=offering.park)


# -- reminders --------------------------------------------------------------------------------

def reminders(on) -> list[Reminder]:
    """Sessions starting tomorrow (the district's date after `on`), in parks where the academy is
    enabled: one reminder to the seated trainees and one to the instructor, each once per session."""
    park_ids = enabled_park_ids(PLUGIN)
    if not park_ids:
        return []
    start = to_utc(datetime.combine(on + timedelta(days=1), time()))
    end = to_utc(datetime.combine(on + timedelta(days=2), time()))
    sessions = db.session.scalars(
        select(Session).join(Offering, Offering.id == Session.offering_id)
        .where(Offering.park_id.in_(park_ids), Session.starts_at >= start, Session.starts_at < end)
        .options(joinedload(Session.offering).joinedload(Offering.instructor))
        .order_by(Session.starts_at, Session.id)).all()
    if not sessions:
        return []
    seated = defaultdict(list)
    for offering_id, user in db.session.execute(
            select(Enrolment.offering_id, User).join(User, User.id == Enrolment.user_id)
            .where(Enrolment.offering_id.in_({s.offering_id for s in sessions}), Enrolment.status.in_(SEATED))
            .order_by(Enrolment.id)):
        seated[offering_id].append(user)
    found = []
    for session in sessions:
        trainees = seated[session.offering_id]
        if trainees:
            found.append(_class_tomorrow(session, trainees))
        if session.offering.instructor is not None:
            found.append(_teaching_tomorrow(session, len(trainees)))
    return found


def _class_tomorrow(session: Session, trainees: list[User]) -> Reminder:
    offering = session.offering
    what = dict(title=offering.display_title, when=_when(session), venue=offering.venue)
    body = (msg("时间：%(when)s；地点：%(venue)s；本次内容：%(topic)s。", topic=session.topic, **what) if session.topic
            else msg("时间：%(when)s；地点：%(venue)s。", **what))
    return Reminder(trainees, "enrolment.class_tomorrow", msg("明天上课：《%(title)s》", **what), body,
                    offering_link(offering), f"enrolment.class_tomorrow:{session.id}", offering.park)


def _teaching_tomorrow(session: Session, seats: int) -> Reminder:
    """To the instructor, with a link to the roster (their sign-in sheet and attendance are there)."""
    offering = session.offering
    what = dict(title=offering.display_title, when=_when(session), venue=offering.venue, n=str(seats))
    return Reminder([offering.instructor], "enrolment.teaching_tomorrow", msg("明天授课：《%(title)s》", **what),
                    msg("时间：%(when)s；地点：%(venue)s；正式学员 %(n)s 人。", **what),
                    path_for("enrolment.roster", offering_id=offering.id),
                    f"enrolment.teaching_tomorrow:{session.id}", offering.park)
