"""The academy's rules: scheduling offerings, enrolment with a waitlist and its promotions, the trainee's
view. Attendance and completion are in completion.py, the figures in reporting.py.

Every write that depends on how many seats are taken runs inside one transaction that first locks
the offering's row (`SELECT … FOR UPDATE`), so concurrent enrolments on PostgreSQL queue behind
each other and capacity is never exceeded; SQLite serializes writers anyway. The waitlist order is a
per-offering sequence (`waitlist_seq`) handed out under that lock, with a unique constraint, so
positions are 1…n without gaps or repeats: a position is the rank of the sequence among the people
still waiting.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import case, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.util import identity_key

from incubator import audit
from incubator.database import transaction
from incubator.dates import show_datetime
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.schemas import load
from incubator.search import matches
from incubator.users.models import User

from . import notices
from .models import (
    ACTIVE,
    SEATED,
    STATUSES,
    Attendance,
    Course,
    Enrolment,
    Offering,
    Session,
    TraineeProfile,
)
from .schema import OfferingFields, SignupFields

log = logging.getLogger(__name__)


# -- courses ---------------------------------------------------------------------------------

def catalogue_query(q: str = "", category: str = ""):
    stmt = select(Course).where(Course.active.is_(True)).order_by(Course.code)
    if q and q.strip():
        stmt = stmt.where(matches(q.strip(), Course.title, Course.code, Course.summary))
    if category:
        stmt = stmt.where(Course.category == category)
    return stmt


def categories() -> list[str]:
    return list(db.session.scalars(select(Course.category).where(Course.active.is_(True))
                                   .distinct().order_by(Course.category)))


def course_by_code(code: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.code == code))


# -- offerings -------------------------------------------------------------------------------

OFFERING_FIELDS = tuple(OfferingFields().load_fields)
SIGNUP_FIELDS = tuple(SignupFields().load_fields)


def offerings_query(park_ids=None, course_id=None, upcoming=False):
    """Offerings in `park_ids` (None: every park), soonest first."""
    stmt = select(Offering).options(selectinload(Offering.instructor), selectinload(Offering.sessions))
    if park_ids is not None:
        stmt = stmt.where(Offering.park_id.in_(park_ids or [-1]))
    if course_id:
        stmt = stmt.where(Offering.course_id == course_id)
    if upcoming:
        stmt = stmt.where((Offering.starts_at >= utcnow()) | Offering.starts_at.is_(None))
    return stmt.order_by(Offering.starts_at.desc().nulls_last() if not upcoming else Offering.starts_at,
                         Offering.id.desc())


def _validate_offering(data: dict, existing: Offering | None = None) -> dict:
    """An offering's fields through OfferingFields (those given, when editing), then what needs the
    offering as it stands or records: the window in order, an expert teaching, sessions in order.
    Returns the clean fields."""
    clean = load(OfferingFields(), {k: v for k, v in data.items() if k in OFFERING_FIELDS}, partial=existing is not None)
    opens = clean.get("enrol_opens_at", existing.enrol_opens_at if existing else None)
    closes = clean.get("enrol_closes_at", existing.enrol_closes_at if existing else None)
    if closes <= opens:
        raise ValidationError(_("报名截止时间应晚于开始时间"), field="enrol_closes_at")
    instructor = data.get("instructor")
    if instructor is not None and instructor.role != "expert":
        raise ValidationError(_("授课讲师应为专家账号"), field="instructor")
    sessions = data.get("sessions")
    if sessions is not None:
        if not sessions:
            raise ValidationError(_("请至少安排一次课"), field="sessions")
        for n, (starts, ends, _topic) in enumerate(sessions, 1):
            if ends <= starts:
                raise ValidationError(_("第%(n)s次课的结束时间应晚于开始时间", n=n), field="sessions")
        if len({s[0] for s in sessions}) != len(sessions):
            raise ValidationError(_("两次课的开始时间相同"), field="sessions")
    return clean


def create_offering(data: dict, *, user) -> Offering:
    """Schedule an offering. data: course, park, instructor (User|None), sessions [(start, end, topic)], OFFERING_FIELDS."""
    if data.get("course") is None or not data["course"].active:
        raise ValidationError(_("请选择目录中的课程"), field="course")
    if data.get("park") is None:
        raise ValidationError(_("请选择园区"), field="park")
    clean = _validate_offering(data)
    with transaction():
        offering = Offering(course=data["course"], park=data["park"], instructor=data.get("instructor"),
                            created_by_id=user.id, **clean)
        offering.title = offering.title or ""
        offering.venue = offering.venue or ""
        offering.description = offering.description or ""
        _set_sessions(offering, data["sessions"])
        db.session.add(offering)
        audit.record("academy.offering.create", offering, user=user,
                     summary=f"{offering.park.name}：{offering.display_title}（容量 {offering.capacity}）")
    return offering


def update_offering(offering: Offering, data: dict, *, user) -> tuple[Offering, list[Enrolment]]:
    """Change an offering; a raised capacity promotes from the waitlist at once. Returns (offering, promoted)."""
    clean = _validate_offering(data, existing=offering)
    with transaction():
        offering = lock_offering(offering.id)
        seated = _seated(offering.id)
        if "capacity" in clean and clean["capacity"] < seated:
            raise Conflict(_("容量不能小于已报名人数（%(n)s）", n=seated), field="capacity")
        changed = sorted(k for k in clean if getattr(offering, k) != clean[k])
        for key, value in clean.items():
            setattr(offering, key, value)
        if "instructor" in data and offering.instructor_id != getattr(data["instructor"], "id", None):
            offering.instructor = data["instructor"]
            changed.append("instructor")
        if data.get("sessions") is not None:
            _replace_sessions(offering, data["sessions"])
            changed.append("sessions")
        promoted = _promote(offering, user=user)
        audit.record("academy.offering.edit", offering, user=user, summary=offering.display_title, changed=changed,
                     promoted=[e.user_id for e in promoted])
    return offering, promoted


def _set_sessions(offering: Offering, sessions) -> None:
    offering.sessions = [Session(starts_at=s, ends_at=e, topic=(t or "")[:200]) for s, e, t in sorted(sessions)]
    offering.starts_at = min(s for s, _e, _t in sessions)


def _replace_sessions(offering: Offering, sessions) -> None:
    """Keep sessions whose start did not change (their attendance with them); add and drop the rest.

    A session that already has attendance cannot be dropped.
    """
    wanted = {starts: (ends, (topic or "")[:200]) for starts, ends, topic in sessions}
    kept = []
    for session in list(offering.sessions):
        if session.starts_at in wanted:
            session.ends_at, session.topic = wanted.pop(session.starts_at)
            kept.append(session)
        elif db.session.scalar(select(func.count()).select_from(Attendance)
                               .where(Attendance.session_id == session.id)):
            raise Conflict(_("%(time)s 的课已有考勤记录，不能删除", time=show_datetime(session.starts_at)), field="sessions")
    offering.sessions = kept + [Session(starts_at=s, ends_at=e, topic=t) for s, (e, t) in wanted.items()]
    offering.starts_at = min(s for s, _e, _t in sessions)


def has_started(offering: Offering, now: datetime | None = None) -> bool:
    return offering.starts_at is not None and offering.starts_at <= (now or utcnow())


def window_open(offering: Offering, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return offering.enrol_opens_at <= now <= offering.enrol_closes_at


# -- enrolment -------------------------------------------------------------------------------

def lock_offering(offering_id: int) -> Offering:
    """Lock the offering's row for the rest of the transaction and return it freshly loaded.

    `of=Offering` keeps the lock off the joined course and park rows, so enrolments in different
    offerings never wait for each other. SQLite has no row locks and its driver starts a transaction
    only at the first write, so a read-check-write would race there: a no-op UPDATE takes SQLite's
    write lock, and its RETURNING reads the row inside the now serialized transaction.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return _write_locked(offering_id)
    return db.session.scalars(select(Offering).where(Offering.id == offering_id).with_for_update(of=Offering)
                              .execution_options(populate_existing=True)).one()


def _write_locked(offering_id: int) -> Offering:
    """SQLite: lock and re-read in one statement. The course and park loaded with the offering are
    kept (no lock covers them on either database): re-reading everything would drop them, and the
    identity map, which holds objects weakly, forget them — one more SELECT each."""
    held = db.session.identity_map.get(identity_key(Offering, offering_id))
    if held is not None:
        db.session.expire(held, [a.key for a in Offering.__mapper__.attrs if a.key not in ("course", "park")])
    returning = text("UPDATE academy_offerings SET capacity = capacity WHERE id = :id RETURNING *")
    return db.session.scalars(select(Offering).from_statement(returning), {"id": offering_id}).one()


def _seated(offering_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.offering_id == offering_id, Enrolment.status.in_(SEATED)))


class Tally(NamedTuple):
    seated: int
    waiting: int  # how many are waitlisted
    last_seq: int  # the highest waitlist sequence handed out (0: none yet)
    mine: int | None  # the id of the person's enrolment, if they have one


def _tally(offering_id: int, user_id: int | None = None) -> Tally:
    """What enrolling needs of the offering's enrolments, in one statement (the offering is locked)."""
    seated, waiting, last_seq, mine = db.session.execute(select(
        func.count().filter(Enrolment.status.in_(SEATED)), func.count().filter(Enrolment.status == "waitlisted"),
        func.max(Enrolment.waitlist_seq), func.max(case((Enrolment.user_id == user_id, Enrolment.id))),
    ).where(Enrolment.offering_id == offering_id)).one()
    return Tally(seated, waiting, last_seq or 0, mine)


def _seat_or_waitlist(offering: Offering, enrolment: Enrolment, now: datetime, tally: Tally) -> int | None:
    """Give a seat if one is free, else the end of the waitlist (the offering is locked).

    Returns the waitlist position, None with a seat. The new sequence exceeds every one handed out,
    and the tally's waiting are the others (the enrolment was not waitlisted, or the caller refused
    it): its rank among the waitlisted, as `waitlist_positions` defines it, is their number + 1.
    """
    if tally.seated < offering.capacity:
        enrolment.status = "enrolled"
        return None
    enrolment.status, enrolment.waitlist_seq, enrolment.waitlisted_at = "waitlisted", tally.last_seq + 1, now
    return tally.waiting + 1


@contextmanager
def _kept_loaded():
    """Leave what the session holds loaded when the enclosed transaction commits: the page or the
    API answer reads the enrolment, its offering and person right after, and the expiry would reload
    each (five statements for the API's answer). What is read then was written or locked by that
    transaction, or read at the start of the request (the person, the course): a request-long view,
    as any page has. The global default stays: elsewhere a commit may be followed by reads that
    must see other transactions' work."""
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def missing_prerequisites(course: Course, person: User) -> list[str]:
    """Titles of the prerequisite courses `person` has not completed."""
    codes = course.prerequisite_codes
    if not codes:
        return []
    done = set(db.session.scalars(
        select(Course.code).join(Offering, Offering.course_id == Course.id)
        .join(Enrolment, Enrolment.offering_id == Offering.id)
        .where(Enrolment.user_id == person.id, Enrolment.status == "completed", Course.code.in_(codes))))
    titles = dict(db.session.execute(select(Course.code, Course.title).where(Course.code.in_(codes))).all())
    return [titles.get(code, code) for code in codes if code not in done]


def enrol(offering: Offering, person: User, *, by: User, as_manager: bool = False, note: str = "") -> Enrolment:
    """Enrol `person` (by themselves, or by a manager: `as_manager` skips the window and the approval).

    Returns the enrolment: `enrolled` with a seat, `waitlisted` when full, `pending` when the
    offering needs approval. 409 when the person is already in (or was refused), or the window is closed.
    """
    return enrol_placed(offering, person, by=by, as_manager=as_manager, note=note)[0]


def enrol_placed(offering: Offering, person: User, *, by: User, as_manager: bool = False,
                 note: str = "") -> tuple[Enrolment, int | None]:
    """`enrol`, and the waitlist position it was given (None unless waitlisted): known from the tally
    read under the offering's lock, so the answer needs no query for it. It is the position at the
    commit; those ahead may leave afterwards, as after any page's reading."""
    with _kept_loaded(), transaction():
        placed = _enrol_placed(lock_offering(offering.id), person, by=by, as_manager=as_manager, note=note)
    return placed


def _enrol_locked(offering: Offering, person: User, *, by: User, as_manager: bool, note: str = "") -> Enrolment:
    return _enrol_placed(offering, person, by=by, as_manager=as_manager, note=note)[0]


def _enrol_placed(offering: Offering, person: User, *, by: User, as_manager: bool,
                  note: str = "") -> tuple[Enrolment, int | None]:
    now = utcnow()
    if not as_manager:
        if not offering.course.active:
            raise Conflict(_("该课程已下架，不再接受报名"))
        if now < offering.enrol_opens_at:
            raise Conflict(_("报名尚未开始"))
        if now > offering.enrol_closes_at:
            raise Conflict(_("报名已截止"))
        if has_started(offering, now):
            raise Conflict(_("班次已开课，不能再报名；请联系园区管理员"))
        if lacking := missing_prerequisites(offering.course, person):
            raise Conflict(_("请先修完先修课程：%(items)s", items=_("、").join(lacking)))
    tally = _tally(offering.id, person.id)
    existing = (db.session.get(Enrolment, tally.mine, populate_existing=True)  # as it stands under the lock
                if tally.mine is not None else None)
    if existing is not None and existing.status in ACTIVE:
        raise Conflict(_("%(name)s 已报名该班次（%(status)s），不能重复报名", name=person.display_name, status=_(existing.status_label)))
    if existing is not None and existing.status in ("rejected", "removed") and not as_manager:
        raise Conflict(_("您的报名已被管理员处理（未通过或移出），如需重新报名请联系园区管理员"))
    # A new enrolment has no attendance: saying so spares a lazy load when it is shown.
    enrolment = existing or Enrolment(offering_id=offering.id, user_id=person.id, attendance=[])
    enrolment.offering, enrolment.user = offering, person
    enrolment.note = (note or "")[:300]
    enrolment.decided_at = enrolment.promoted_at = enrolment.promotion_seen_at = None
    position = None
    if offering.requires_approval and not as_manager:
        enrolment.status = "pending"
    else:
        position = _seat_or_waitlist(offering, enrolment, now, tally)
        if as_manager and offering.requires_approval:
            enrolment.decided_at = now
    db.session.add(enrolment)
    db.session.flush()
    audit.record("academy.enrol", enrolment, user=by,
                 summary=f"{person.display_name} 报名 {offering.display_title}：{enrolment.status_label}",
                 offering_id=offering.id, status=enrolment.status)
    return enrolment, position


def approve(enrolment: Enrolment, *, by: User) -> Enrolment:
    """Approve a pending enrolment: a seat if one is free, else the waitlist."""
    with transaction():
        offering = lock_offering(enrolment.offering_id)
        db.session.refresh(enrolment)
        if enrolment.status != "pending":
            raise Conflict(_("只能审核待审核的报名（当前：%(status)s）", status=_(enrolment.status_label)))
        now = utcnow()
        position = _seat_or_waitlist(offering, enrolment, now, _tally(offering.id))  # pending: not among the waiting
        enrolment.decided_at = now
        audit.record("academy.approve", enrolment, user=by,
                     summary=f"通过 {enrolment.user.display_name} 的报名：{enrolment.status_label}")
        notices.decided(enrolment, by=by, position=position)
    return enrolment


def reject(enrolment: Enrolment, *, by: User, note: str = "") -> Enrolment:
    with transaction():
        lock_offering(enrolment.offering_id)
        db.session.refresh(enrolment)
        if enrolment.status != "pending":
            raise Conflict(_("只能拒绝待审核的报名（当前：%(status)s）", status=_(enrolment.status_label)))
        enrolment.status, enrolment.decided_at, enrolment.note = "rejected", utcnow(), (note or "")[:300]
        audit.record("academy.reject", enrolment, user=by, summary=f"未通过 {enrolment.user.display_name} 的报名",
                     note=note)
        notices.decided(enrolment, by=by)
    return enrolment


def cancel(enrolment: Enrolment, *, by: User) -> tuple[Enrolment, list[Enrolment]]:
    """The trainee cancels before the offering starts; a freed seat goes to the waitlist at once."""
    return _leave(enrolment, by=by, status="cancelled", before_start_only=True)


def remove(enrolment: Enrolment, *, by: User, note: str = "") -> tuple[Enrolment, list[Enrolment]]:
    """A manager removes someone (any time before completion); a freed seat goes to the waitlist."""
    return _leave(enrolment, by=by, status="removed", before_start_only=False, note=note)


def _leave(enrolment, *, by, status, before_start_only, note=""):
    with transaction():
        offering = lock_offering(enrolment.offering_id)
        db.session.refresh(enrolment)
        if enrolment.status not in ("pending", "enrolled", "waitlisted"):
            raise Conflict(_("该报名当前为“%(status)s”，不能取消", status=_(enrolment.status_label)) if status == "cancelled"
                           else _("该报名当前为“%(status)s”，不能移出", status=_(enrolment.status_label)))
        if before_start_only and has_started(offering):
            raise Conflict(_("班次已开课，不能自行取消；请联系园区管理员"))
        enrolment.status, enrolment.decided_at = status, utcnow()
        if note:
            enrolment.note = note[:300]
        db.session.flush()
        promoted = _promote(offering, user=by)
        audit.record(f"academy.{'cancel' if status == 'cancelled' else 'remove'}", enrolment, user=by,
                     summary=f"{enrolment.user.display_name} {STATUSES[status]}：{offering.display_title}",
                     promoted=[e.user_id for e in promoted])
    return enrolment, promoted


def _promote(offering: Offering, *, user) -> list[Enrolment]:
    """Fill free seats from the head of the waitlist (the offering is locked). Returns those promoted."""
    free = offering.capacity - _seated(offering.id)
    if free <= 0:
        return []
    waiting = db.session.scalars(select(Enrolment).where(
        Enrolment.offering_id == offering.id, Enrolment.status == "waitlisted")
        .order_by(Enrolment.waitlist_seq).limit(free)).all()
    now = utcnow()
    for enrolment in waiting:
        enrolment.status, enrolment.promoted_at, enrolment.promotion_seen_at = "enrolled", now, None
        audit.record("academy.promote", enrolment, user=user,
                     summary=f"{enrolment.user.display_name} 由候补转为正式学员：{offering.display_title}")
    db.session.flush()
    notices.promoted(offering, list(waiting))
    return list(waiting)


def waitlist_positions(enrolments) -> dict[int, int]:
    """{enrolment id: waitlist position (1 = next)} for the waitlisted among `enrolments` (one query)."""
    waiting = [e for e in enrolments if e.status == "waitlisted"]
    if not waiting:
        return {}
    rank = func.row_number().over(partition_by=Enrolment.offering_id, order_by=Enrolment.waitlist_seq)
    ranked = (select(Enrolment.id, rank.label("position"))
              .where(Enrolment.offering_id.in_({e.offering_id for e in waiting}), Enrolment.status == "waitlisted")
              .subquery())
    wanted = {e.id for e in waiting}
    return {row.id: row.position for row in db.session.execute(select(ranked)) if row.id in wanted}


def roster(offering: Offering) -> list[Enrolment]:
    """Everyone who ever enrolled in the offering, seated first, then waiting, then the rest."""
    order = case({"enrolled": 0, "completed": 0, "pending": 1, "waitlisted": 2}, value=Enrolment.status, else_=3)
    return list(db.session.scalars(
        select(Enrolment).where(Enrolment.offering_id == offering.id)
        .options(joinedload(Enrolment.user).joinedload(User.organization),
                 selectinload(Enrolment.attendance).joinedload(Attendance.session))
        .order_by(order, Enrolment.waitlist_seq, Enrolment.id)))


def seated_roster(offering: Offering) -> list[Enrolment]:
    return [e for e in roster(offering) if e.status in SEATED]


def counts(offering_ids) -> dict[int, dict[str, int]]:
    """{offering id: {status: n}} in one query."""
    result: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for offering_id, status, n in db.session.execute(
            select(Enrolment.offering_id, Enrolment.status, func.count())
            .where(Enrolment.offering_id.in_(list(offering_ids) or [-1]))
            .group_by(Enrolment.offering_id, Enrolment.status)):
        result[offering_id][status] = n
    return result


def seats_taken(c: dict[str, int]) -> int:
    return sum(c.get(s, 0) for s in SEATED)


# -- the trainee's view ----------------------------------------------------------------------

def my_enrolments(user: User) -> list[Enrolment]:
    return list(db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id)
        .options(joinedload(Enrolment.offering).selectinload(Offering.sessions),
                 selectinload(Enrolment.attendance).joinedload(Attendance.session))
        .order_by(Enrolment.created_at.desc(), Enrolment.id.desc())))


def unseen_promotions(enrolments) -> list[Enrolment]:
    return [e for e in enrolments if e.status == "enrolled" and e.promoted_at and e.promotion_seen_at is None]


def mark_promotions_seen(enrolments) -> None:
    """The trainee has now seen these promotions from the waitlist: they leave the to-do list.

    A read receipt, not a decision: not audited.
    """
    unseen = unseen_promotions(enrolments)
    if not unseen:
        return
    try:
        with transaction():
            for enrolment in unseen:
                enrolment.promotion_seen_at = utcnow()
    except SQLAlchemyError:  # a busy database must not fail the page: the to-do simply stays a while longer
        log.warning("promotions %s not marked as seen", [e.id for e in unseen], exc_info=True)


def hours_by_year(user: User) -> tuple[Decimal, list[tuple[int, Decimal]]]:
    """(total hours, [(year, hours)] newest year first) from completed enrolments."""
    year = func.extract("year", Enrolment.completed_at)
    rows = db.session.execute(select(year, func.sum(Enrolment.hours)).where(
        Enrolment.user_id == user.id, Enrolment.status == "completed").group_by(year).order_by(year.desc())).all()
    per_year = [(int(y), Decimal(h or 0)) for y, h in rows]
    return sum((h for _y, h in per_year), Decimal(0)), per_year


# -- upcoming offerings for the dashboard ----------------------------------------------------

def upcoming(park_ids, limit: int = 8) -> list[tuple[Offering, dict]]:
    offerings = db.session.scalars(offerings_query(park_ids, upcoming=True).limit(limit)).all()
    c = counts([o.id for o in offerings])
    return [(o, c.get(o.id, {})) for o in offerings]


# -- people: self sign-up, finding them, importing a list ------------------------------------

def find_person(identifier: str) -> User | None:
    """An active account by username, else by phone (when exactly one account has it)."""
    return find_people([identifier]).get((identifier or "").strip())


def find_people(identifiers) -> dict[str, User | None]:
    """`find_person` for many identifiers at once (a roster of 2,000 rows): two queries, not two a row."""
    wanted = {(i or "").strip() for i in identifiers} - {""}
    if not wanted:
        return {}
    by_username = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(wanted)))}
    by_phone: dict[str, list[User]] = defaultdict(list)
    for user in db.session.scalars(select(User).where(User.phone.in_(wanted - set(by_username)))):
        by_phone[user.phone].append(user)
    found = {}
    for identifier in wanted:
        user = by_username.get(identifier)
        if user is None and len(by_phone.get(identifier, ())) == 1:
            user = by_phone[identifier][0]
        found[identifier] = user if user is not None and user.active else None
    return found


def signup(data: dict) -> User:
    """A trainee registers: username, name, phone, password, organization (free text, optional);
    the account's rules are the core's, the rest SignupFields'.

    The organization's name is kept only as free text on the trainee's profile (for the reports):
    it never links the account to an organization, even when the name matches a registered one.
    Becoming an organization's contact (组织联系人: its portal, its supervision logs to confirm, grant
    applications in its name) is granted by the organization's park, never claimed at sign-up.
    """
    from incubator.users import services as users
    clean = users.validate({"username": data.get("username"), "password": data.get("password"), "role": "trainee",
                            "phone": (data.get("phone") or "").strip()})
    own = load(SignupFields(), {k: data.get(k) for k in SIGNUP_FIELDS})
    name, org_name = own["name"], own.get("organization", "")
    clean["phone"] = own["phone"]
    if db.session.scalar(select(User.id).where(User.phone == clean["phone"])):
        raise Conflict(_("该手机号已注册，请直接登录"), field="phone")
    with transaction():
        user = User(username=clean["username"], role="trainee", name=name, phone=clean["phone"])
        user.set_password(clean["password"])
        db.session.add(user)
        db.session.flush()
        db.session.add(TraineeProfile(user_id=user.id, organization_name=org_name))
        audit.record("academy.signup", user, user=user, summary=f"学员注册：{user.username}", organization=org_name)
    return user


def import_roster(offering: Offering, filename: str, content, *, by: User) -> list[Enrolment]:
    """Enrol everyone listed in an uploaded file, or nobody (imports.py reads it within bounds)."""
    from .imports import import_roster
    return import_roster(offering, filename, content, by=by)
