"""督导 tables: expert assignments, supervision logs, their follow-up actions, per-park settings."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db_types import utcnow
from incubator.extensions import db

MODES = {"onsite": "现场", "online": "线上", "phone": "电话"}
STATUSES = {"pending": "待确认", "confirmed": "已签字确认", "disputed": "有异议"}
# Labels shown in the UI (the dicts above stay plain Chinese for data and audit text).
MODE_LABELS = {"onsite": _l("现场"), "online": _l("线上"), "phone": _l("电话")}
STATUS_LABELS = {"pending": _l("待确认"), "confirmed": _l("已签字确认"), "disputed": _l("有异议")}
OPEN = "done_at IS NULL"  # a follow-up action not done yet (the partial index of open ones)


class MentoringSettings(db.Model):
    """A park's mentoring configuration; parks without a row use the defaults in services."""

    __tablename__ = "mentoring_settings"
    __table_args__ = (CheckConstraint("min_confirmed_sessions >= 0 AND min_confirmed_sessions <= 200",
                                      name="min_sessions_range"),
                      CheckConstraint("min_gap_days >= 1 AND min_gap_days <= 365", name="min_gap_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), unique=True)
    graduation_veto: Mapped[bool] = mapped_column(default=True)
    min_confirmed_sessions: Mapped[int] = mapped_column(default=6)
    # Sessions count toward graduation only this many days apart: 1 = distinct days (six entries on
    # one day are one session), 7 = at most one a week.
    min_gap_days: Mapped[int] = mapped_column(default=1, server_default="1")
    topics: Mapped[list] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MentorAssignment(db.Model):
    """An expert assigned (指派) to supervise an organization from `starts_on` to `ends_on`."""

    __tablename__ = "mentoring_assignments"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        UniqueConstraint("organization_id", "expert_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization = relationship("Organization")
    expert = relationship("User", foreign_keys=[expert_id])

    @property
    def park_id(self) -> int:
        """The organization's park (`incubator.permissions.park_id_of`, `record_for`)."""
        return self.organization.park_id

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class SupervisionLog(db.Model):
    """One supervision session (督导记录) an expert held with an organization."""

    __tablename__ = "mentoring_logs"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_range"),
        CheckConstraint("mode IN ('onsite', 'online', 'phone')", name="mode"),
        CheckConstraint("status IN ('pending', 'confirmed', 'disputed')", name="status"),
        CheckConstraint("status != 'confirmed' OR confirmed_at IS NOT NULL", name="confirmed_has_time"),
        Index("ix_mentoring_logs_org_held", "organization_id", "held_on"),
        Index("ix_mentoring_logs_expert_held", "expert_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    held_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    mode: Mapped[str] = mapped_column(String(10))
    topics: Mapped[list] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    # An amendment (补充更正) of a confirmed entry; once confirmed it replaces that entry in counts.
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("mentoring_logs.id"), index=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]
    dispute_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization = relationship("Organization")
    expert = relationship("User", foreign_keys=[expert_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    amends = relationship("SupervisionLog", remote_side=[id])
    actions: Mapped[list[FollowUpAction]] = relationship(
        back_populates="log", order_by="FollowUpAction.id", cascade="all, delete-orphan")

    @property
    def park_id(self) -> int:
        """Lets the core's permission check find the park (and skip plugins disabled there)."""
        return self.organization.park_id

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class FollowUpAction(db.Model):
    """A follow-up action (整改/跟进事项) agreed in a session: who does it by when."""

    __tablename__ = "mentoring_actions"
    __table_args__ = (Index("ix_mentoring_actions_open_due", "organization_id", "done_at", "due_on"),
                      # The dashboard's and the overview's overdue list: walked in due order, it stops
                      # at the LIMIT instead of sorting every open action.
                      Index("ix_mentoring_actions_open_by_due", "due_on", "id", sqlite_where=text(OPEN),
                            postgresql_where=text(OPEN)))

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("mentoring_logs.id", ondelete="CASCADE"), index=True)
    # Denormalized from the log so open/overdue lists per organization and park are one indexed query.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    log: Mapped[SupervisionLog] = relationship(back_populates="actions")
    organization = relationship("Organization")
    done_by = relationship("User", foreign_keys=[done_by_id])

    @property
    def park_id(self) -> int:
        """The organization's park (`incubator.permissions.park_id_of`, `record_for`)."""
        return self.organization.park_id

    def is_overdue(self, today: date | None = None) -> bool:
        from incubator.dates import today as district_today
        return self.done_at is None and self.due_on < (today or district_today())


class ExpertProfile(db.Model):
    """What the district knows of an expert (专家·督导) beyond the account: their field (专业领域), where
    they work (工作单位) and their professional title (职称) — shown where experts are assigned."""

    __tablename__ = "mentoring_expert_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(100), default="")
    institution: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(60), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def summary(self) -> str:
        """专业领域 · 工作单位 · 职称, those filled."""
        return " · ".join(part for part in (self.field, self.institution, self.title) if part)


def expert_profiles(user_ids) -> dict[int, ExpertProfile]:
    """{user id: profile} of the experts among `user_ids` who have one (one query)."""
    ids = list(user_ids)
    if not ids:
        return {}
    return {p.user_id: p for p in db.session.scalars(db.select(ExpertProfile).where(ExpertProfile.user_id.in_(ids)))}
