"""Attendance (考勤) and completion (结业): who was there, who meets the course's rule, and the
`incubator_enrolment_completed` hook fired after each completion is committed."""
from __future__ import annotations

import logging
import math
from collections import defaultdict
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from incubator import audit
from incubator.database import transaction
from incubator.dates import chinese_date, to_local
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.numbers import show_hours
from incubator.users.models import User

from . import notices
from .models import (
    ATTENDANCE,
    ATTENDED,
    Attendance,
    Course,
    Enrolment,
    Offering,
    Session,
)
from .services import lock_offering, seated_roster

log = logging.getLogger(__name__)


# -- attendance and completion ---------------------------------------------------------------

def required_sessions(course: Course, n_sessions: int) -> int:
    """How many sessions must be attended to complete (at least one)."""
    return max(1, math.ceil(course.min_attendance * n_sessions / 100 - 1e-9))


ATTENDANCE_EARLY = timedelta(hours=12)  # a class's attendance may be taken from the morning of the class


def attendance_open(session: Session, now: datetime | None = None) -> bool:
    return session.starts_at <= (now or utcnow()) + ATTENDANCE_EARLY


def record_attendance(session: Session, marks: dict[int, str], *, by: User) -> list[Enrolment]:
    """Record attendance at `session` ({enrolment id: status}); returns enrolments that completed by it.

    Only seated people can be marked. Changing a completed trainee's record so that the completion
    rule no longer holds is refused: a completion (and its certificate) stands on its attendance.
    """
    for enrolment_id, status in marks.items():
        if status not in ATTENDANCE:
            raise ValidationError(_("考勤状态应为 %(statuses)s", statuses='、'.join(ATTENDANCE)), field="status")
    with transaction():
        offering = lock_offering(session.offering_id)
        if not attendance_open(session):
            raise Conflict(_("这次课尚未开始，不能提前记录考勤"))
        seated = {e.id: e for e in seated_roster(offering)}
        unknown = [eid for eid in marks if eid not in seated]
        if unknown:
            raise ValidationError(_("这些报名不在该班次的正式名单中：%(ids)s", ids=', '.join(map(str, unknown))), field="enrolment_id")
        existing = {a.enrolment_id: a for a in db.session.scalars(
            select(Attendance).where(Attendance.session_id == session.id))}
        changed, by_id, session_id = 0, by.id, session.id  # read before adding rows: no autoflush of half-made rows
        for enrolment_id, status in marks.items():
            row = existing.get(enrolment_id)
            if row is None:
                db.session.add(Attendance(session_id=session_id, enrolment_id=enrolment_id, status=status,
                                          recorded_by_id=by_id))
                changed += 1
            elif row.status != status:
                row.status, row.recorded_by_id = status, by_id
                changed += 1
        db.session.flush()
        completed = _complete_eligible(offering, by=by)
        audit.record("academy.attendance", session, user=by,
                     summary=f"{offering.display_title} {chinese_date(to_local(session.starts_at).date())} 考勤 {len(marks)} 人",
                     changed=changed, completed=[e.id for e in completed])
    fire_completed(completed)
    return completed


def attendance_tally(offering: Offering) -> dict[int, dict[str, int]]:
    """{enrolment id: {attendance status: n}} for the offering, in one query."""
    tally: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for enrolment_id, status, n in db.session.execute(
            select(Attendance.enrolment_id, Attendance.status, func.count())
            .join(Session, Session.id == Attendance.session_id)
            .where(Session.offering_id == offering.id)
            .group_by(Attendance.enrolment_id, Attendance.status)):
        tally[enrolment_id][status] = n
    return tally


def _complete_eligible(offering: Offering, *, by: User, final: bool = False) -> list[Enrolment]:
    """Complete the seated who meet the rule (the offering is locked).

    Someone completes once the rule holds and either every session has a record for them, the last
    session has begun, or a manager closes the offering (`final`).
    """
    n_sessions = len(offering.sessions)
    if not n_sessions:
        return []
    needed = required_sessions(offering.course, n_sessions)
    tally = attendance_tally(offering)
    last_started = max(s.starts_at for s in offering.sessions) <= utcnow()
    now, done = utcnow(), []
    broken = []
    for enrolment in seated_roster(offering):
        attended = sum(tally[enrolment.id].get(s, 0) for s in ATTENDED)
        recorded = sum(tally[enrolment.id].values())
        if enrolment.status == "completed":
            if attended < needed:
                broken.append(enrolment.user.display_name)
            continue
        if attended >= needed and (final or last_started or recorded >= n_sessions):
            enrolment.status, enrolment.completed_at = "completed", now
            enrolment.hours = offering.course.hours
            audit.record("academy.complete", enrolment, user=by,
                         summary=f"{enrolment.user.display_name} 结业：{offering.display_title}，{show_hours(enrolment.hours)} 学时")
            done.append(enrolment)
    if broken:
        raise Conflict(_("已结业学员的出勤不能改到低于结业要求：%(items)s", items=_("、").join(broken)))
    db.session.flush()
    notices.completed(offering, done)
    return done


def close_offering(offering: Offering, *, by: User) -> list[Enrolment]:
    """结业评定: after the last session has begun, complete everyone who meets the rule."""
    with transaction():
        offering = lock_offering(offering.id)
        if not offering.sessions or max(s.starts_at for s in offering.sessions) > utcnow():
            raise Conflict(_("最后一次课开始后才能进行结业评定"))
        completed = _complete_eligible(offering, by=by, final=True)
        audit.record("academy.close", offering, user=by, summary=f"结业评定：{offering.display_title}",
                     completed=[e.id for e in completed])
    fire_completed(completed)
    return completed


def completed_enrolments(offering_id: int) -> list[Enrolment] | None:
    """The offering's completed enrolments (None for an unknown offering)."""
    if db.session.get(Offering, offering_id) is None:
        return None
    return list(db.session.scalars(select(Enrolment).where(
        Enrolment.offering_id == offering_id, Enrolment.status == "completed")
        .options(joinedload(Enrolment.user)).order_by(Enrolment.completed_at, Enrolment.id)))


def fire_completed(enrolments: list[Enrolment]) -> None:
    """Tell other plugins (certificates) about each committed completion; their failures are logged."""
    from incubator.plugins import hooks_for
    for enrolment in enrolments:
        try:
            hooks_for([enrolment.offering.park_id]).incubator_enrolment_completed(enrolment=enrolment)
        except Exception:  # a follower's failure must not undo or hide a committed completion
            db.session.rollback()
            log.exception("incubator_enrolment_completed failed for enrolment %s", enrolment.id)
