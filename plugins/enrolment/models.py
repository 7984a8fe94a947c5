"""The academy's tables: courses, offerings (班次) and their sessions, enrolments, attendance."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.parks.models import Park
from incubator.users.models import User


def _N(text: str) -> str:
    """Marks a label for extraction (pybabel `-k _N`); it stays Chinese here and is translated where
    shown (`{{ _(label) }}`), so audit summaries and stored values keep the Chinese."""
    return text


# Enrolment statuses. Seats are taken by `enrolled` and `completed`.
STATUSES = {
    "pending": _N("待审核"),
    "enrolled": _N("已报名"),
    "waitlisted": _N("候补"),
    "completed": _N("已结业"),
    "rejected": _N("未通过"),
    "cancelled": _N("已取消"),
    "removed": _N("已移出"),
}
SEATED = ("enrolled", "completed")
ACTIVE = ("pending", "enrolled", "waitlisted", "completed")  # still counts as "enrolled in" the offering

ATTENDANCE = {"present": _N("出勤"), "late": _N("迟到"), "excused": _N("请假"), "absent": _N("缺勤")}
ATTENDED = ("present", "late")  # what counts towards completion

_status_list = ", ".join(f"'{s}'" for s in STATUSES)
_attendance_list = ", ".join(f"'{s}'" for s in ATTENDANCE)


class Course(db.Model):
    """A course (课程) of the catalogue, synced from a file in `courses/`."""

    __tablename__ = "academy_courses"
    __table_args__ = (
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("min_attendance > 0 AND min_attendance <= 100", name="min_attendance_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="", index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))  # 学时
    audience: Mapped[str] = mapped_column(Text, default="")
    prerequisites: Mapped[str] = mapped_column(String(200), default="")  # course codes, comma-separated
    # Completion rule: at least this percentage of the sessions attended (present or late).
    min_attendance: Mapped[int] = mapped_column(default=80)
    completion_note: Mapped[str] = mapped_column(String(200), default="")
    # The rule includes an assessment (结业考核, front matter `completion.assessment`): the 结业证书
    # then says 经考核合格. No exam result is recorded: completion is still decided by attendance.
    completion_assessment: Mapped[bool] = mapped_column(default=False, server_default=false())
    syllabus: Mapped[str] = mapped_column(Text, default="")  # Markdown
    source_file: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)  # False: retired from the catalogue
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def prerequisite_codes(self) -> list[str]:
        return [c for c in self.prerequisites.split(",") if c]

    @property
    def completion_rule(self) -> str:
        return self.completion_note or _("出勤率不低于 %(n)s%%（出勤或迟到计为到课）", n=self.min_attendance)

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class Offering(db.Model):
    """An offering (班次) of a course in a park: venue, instructor, sessions, capacity, window."""

    __tablename__ = "academy_offerings"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("enrol_closes_at > enrol_opens_at", name="window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("academy_courses.id"), index=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")  # e.g. 2026年第2期
    venue: Mapped[str] = mapped_column(String(200), default="")
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    capacity: Mapped[int]
    enrol_opens_at: Mapped[datetime]
    enrol_closes_at: Mapped[datetime]
    requires_approval: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    # First session start, kept in step with the sessions (listing "upcoming" needs no join).
    starts_at: Mapped[datetime | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(lazy="joined", innerjoin=True)
    park: Mapped[Park] = relationship(lazy="joined", innerjoin=True)
    instructor: Mapped[User | None] = relationship(foreign_keys=[instructor_id])
    sessions: Mapped[list[Session]] = relationship(
        back_populates="offering", order_by="Session.starts_at", cascade="all, delete-orphan")

    @property
    def display_title(self) -> str:
        return f"{self.course.title} · {self.title}" if self.title else self.course.title

    def __repr__(self) -> str:
        return f"<Offering {self.id} {self.course.code}>"


class Session(db.Model):
    """One session (课次) of an offering: a date and time, a topic."""

    __tablename__ = "academy_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="time_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("academy_offerings.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(String(200), default="")

    offering: Mapped[Offering] = relationship(back_populates="sessions")

    @property
    def park_id(self) -> int:
        """The offering's park (`incubator.permissions.park_id_of`, `record_for`)."""
        return self.offering.park_id


class Enrolment(db.Model):
    """A person's enrolment (报名) in an offering; one row per person and offering."""

    __tablename__ = "academy_enrolments"
    __table_args__ = (
        UniqueConstraint("offering_id", "user_id"),
        # Waitlist order: a per-offering sequence given under the offering's row lock.
        UniqueConstraint("offering_id", "waitlist_seq"),
        CheckConstraint(f"status IN ({_status_list})", name="status"),
        CheckConstraint("status != 'waitlisted' OR waitlist_seq IS NOT NULL", name="waitlist_seq_set"),
        Index("ix_academy_enrolments_offering_status", "offering_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("academy_offerings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    waitlist_seq: Mapped[int | None]
    waitlisted_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]  # moved from the waitlist to a seat
    promotion_seen_at: Mapped[datetime | None]  # the trainee has seen that promotion (it leaves their to-dos)
    decided_at: Mapped[datetime | None]  # approved / rejected / removed / cancelled
    completed_at: Mapped[datetime | None]
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=0)  # 学时 earned on completion
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    offering: Mapped[Offering] = relationship()

    @property
    def park_id(self) -> int:
        """The offering's park (`incubator.permissions.park_id_of`, `record_for`)."""
        return self.offering.park_id
    user: Mapped[User] = relationship()
    attendance: Mapped[list[Attendance]] = relationship(back_populates="enrolment", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<Enrolment {self.id} {self.status}>"


class Attendance(db.Model):
    """Attendance (考勤) of one enrolled person at one session."""

    __tablename__ = "academy_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "enrolment_id"),
        CheckConstraint(f"status IN ({_attendance_list})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("academy_sessions.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("academy_enrolments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enrolment: Mapped[Enrolment] = relationship(back_populates="attendance")
    session: Mapped[Session] = relationship()


class TraineeProfile(db.Model):
    """What a self-registered trainee told us beyond the core user: the organization they work for."""

    __tablename__ = "academy_trainee_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organization_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
