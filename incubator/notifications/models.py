"""Notices (an occasion: what happened, for whom, where to look), each recipient's inbox entry and
the deliveries on other channels. People's choice of channels is kept with them
(`User.notification_choices`), read with the recipients at no extra query."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import utcnow
from ..extensions import db

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class Notice(db.Model):
    """One occasion (an application decided, a class tomorrow). Subject and body are kept as the
    Chinese message and its parameters, so each recipient reads them in their own language."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")  # a path on this site: /orgs/3
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id", ondelete="SET NULL"))
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # (written with the notice in one flush; never loaded through it)
    notifications: Mapped[list[Notification]] = relationship(back_populates="notice", lazy="noload")
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="notice", lazy="noload")


class Notification(db.Model):
    """A notice in one person's inbox. `key` (the notice's occasion) is unique per recipient: a
    reminder asked for twice, by a retry or a second worker, reaches nobody twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    notice: Mapped[Notice] = relationship(back_populates="notifications", lazy="joined")


class Delivery(db.Model):
    """A notice on one channel to one target (`user:5`, or `park:2` for a park's group). The worker
    claims it (`sending`, with a lease), sends, and marks it `sent`; a failure is retried with
    back-off until `failed`."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "channel", "target", name="uq_notification_deliveries_target"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[Notice] = relationship(back_populates="deliveries", lazy="joined")
    user = relationship("User")
