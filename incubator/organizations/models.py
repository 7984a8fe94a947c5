"""Organizations (社会组织) and their history: transitions, transfers, renewals."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dates import today as district_today
from ..db_types import utcnow
from ..extensions import db
from ..parks.models import Park
from .stages import STAGES

CATEGORIES = ("公益慈善类", "社工服务类", "支持性/枢纽型", "社区社会组织", "文体类", "科教类", "其他")
REGISTRATION_STATUSES = {"registered": "已登记", "filed": "已备案", "unregistered": "未登记"}

_stage_list = ", ".join(f"'{s}'" for s in STAGES)


class Organization(db.Model):
    """A social organization (社会组织) moving through incubation."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(f"stage IN ({_stage_list})", name="stage"),
        CheckConstraint("registration_status IN ('registered', 'filed', 'unregistered')",
                        name="registration_status"),
        # Per park and stage, by due date: the lists' filters, and the overdue and due-soon counts of
        # the dashboard and the menu as index ranges that read no row.
        Index("ix_organizations_park_stage_due", "park_id", "stage", "incubation_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Pinyin initials of the name ("bhsg" for 包河社工), kept for search.
    name_initials: Mapped[str] = mapped_column(String(120), default="", index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    registration_status: Mapped[str] = mapped_column(String(20), default="unregistered")
    founded_on: Mapped[date | None]
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(20))
    service_area: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="applied", index=True)
    incubation_start: Mapped[date | None]
    incubation_due: Mapped[date | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    park: Mapped[Park] = relationship(lazy="joined", innerjoin=True)
    transitions: Mapped[list[Transition]] = relationship(
        back_populates="organization", order_by="Transition.id", cascade="all, delete-orphan")

    def is_overdue(self, today: date | None = None) -> bool:
        from .stages import ACTIVE_STAGES
        if today is None:
            today = district_today()
        return self.stage in ACTIVE_STAGES and self.incubation_due is not None and self.incubation_due < today

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"


class Transition(db.Model):
    """One stage change: from, to, who, when it happened and when it was recorded, note."""

    __tablename__ = "transitions"
    __table_args__ = (Index("ix_transitions_organization_happened_on", "organization_id", "happened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The day the move happened in the district (a manager may back-date it): the timeline, reports
    # and due dates go by it; created_at is when it was recorded.
    happened_on: Mapped[date] = mapped_column(default=district_today)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    note: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship(back_populates="transitions")
    user = relationship("User")


class Transfer(db.Model):
    """A move between parks (e.g. street base → district park)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    from_park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))
    to_park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    from_park: Mapped[Park] = relationship(foreign_keys=[from_park_id])
    to_park: Mapped[Park] = relationship(foreign_keys=[to_park_id])
    user = relationship("User")


class Renewal(db.Model):
    """A renewal (续驻): the due date moved, with the reason."""

    __tablename__ = "renewals"
    __table_args__ = (CheckConstraint("new_due > old_due", name="later_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    old_due: Mapped[date]
    new_due: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


from . import search_index  # noqa: E402,F401  (the index's table and the listener that keeps it in step)
