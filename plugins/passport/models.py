"""义粉护照 tables: volunteers, activities, service records, the points ledger, windows, gifts."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db_types import utcnow
from incubator.extensions import db

ENTRY_KINDS = {"earn": _l("服务积分"), "redeem": _l("兑换"), "correction": _l("更正")}


class PassportSettings(db.Model):
    """A park's points rule (积分规则) and redemption rhythm; defaults apply until a manager saves."""

    __tablename__ = "passport_settings"
    __table_args__ = (
        CheckConstraint("points_per_half_hour >= 1", name="points_positive"),
        CheckConstraint("window_months IN (1, 2, 3, 4, 6, 12)", name="window_months"),
        CheckConstraint("window_days >= 1 AND window_days <= 31", name="window_days"),
    )

    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), primary_key=True)
    points_per_half_hour: Mapped[int] = mapped_column(default=1)
    default_points_cap: Mapped[int | None]
    window_months: Mapped[int] = mapped_column(default=6)
    window_days: Mapped[int] = mapped_column(default=15)


class Volunteer(db.Model):
    """A registered volunteer (义粉). The ID number is kept only as a keyed hash and a masked copy."""

    __tablename__ = "passport_volunteers"
    __table_args__ = (
        UniqueConstraint("park_id", "id_hash"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("minutes_served >= 0", name="minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    id_hash: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(18))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    balance: Mapped[int] = mapped_column(default=0)  # points; equals the sum of the ledger
    minutes_served: Mapped[int] = mapped_column(default=0)  # kept when points are redeemed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    park = relationship("Park")
    user = relationship("User")

    @property
    def hours(self) -> float:
        return round(self.minutes_served / 60, 1)

    @property
    def phone_masked(self) -> str:
        p = self.phone or ""
        return p[:3] + "****" + p[7:] if len(p) == 11 else p


class Activity(db.Model):
    """A volunteer activity (志愿服务活动), organized by the community or one of its organizations."""

    __tablename__ = "passport_activities"
    __table_args__ = (
        CheckConstraint("points_per_half_hour >= 1", name="points_positive"),
        CheckConstraint("points_cap IS NULL OR points_cap >= 1", name="cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"), index=True)
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    points_per_half_hour: Mapped[int] = mapped_column(default=1)
    points_cap: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    park = relationship("Park")
    organization = relationship("Organization")

    @property
    def organizer_name(self) -> str:
        return self.organization.name if self.organization else (self.park.name if self.park else "")


class Service(db.Model):
    """Who served at an activity and for how long (服务记录); one row per volunteer and activity."""

    __tablename__ = "passport_services"
    __table_args__ = (
        UniqueConstraint("activity_id", "volunteer_id"),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_range"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("passport_activities.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("passport_volunteers.id", ondelete="CASCADE"), index=True)
    minutes: Mapped[int]
    points: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity = relationship("Activity")
    volunteer = relationship("Volunteer")


class RedemptionWindow(db.Model):
    """A period in which points can be exchanged for gifts (兑换窗口)."""

    __tablename__ = "passport_windows"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    opens_on: Mapped[date]
    closes_on: Mapped[date]

    def is_open(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


class Gift(db.Model):
    """A gift in the catalogue (礼品), with its price in points and the stock left."""

    __tablename__ = "passport_gifts"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("points_cost >= 1", name="cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    points_cost: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Redemption(db.Model):
    """A gift handed over for points (兑换记录)."""

    __tablename__ = "passport_redemptions"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),
                      CheckConstraint("points >= 1", name="points_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("passport_volunteers.id", ondelete="CASCADE"), index=True)
    gift_id: Mapped[int] = mapped_column(ForeignKey("passport_gifts.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("passport_windows.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    points: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    gift = relationship("Gift")


class LedgerEntry(db.Model):
    """One change of a volunteer's points (积分流水). Written once, never edited or deleted.

    A correction is a new entry pointing at the entry it corrects; `balance_after` is the balance
    once this entry applied, so the ledger can be audited line by line.
    """

    __tablename__ = "passport_ledger"
    __table_args__ = (
        CheckConstraint("kind IN ('earn', 'redeem', 'correction')", name="kind"),
        CheckConstraint("balance_after >= 0", name="balance_not_negative"),
        CheckConstraint("(kind = 'correction') = (corrects_id IS NOT NULL)", name="correction_refers"),
        CheckConstraint("kind <> 'redeem' OR (points < 0 AND redemption_id IS NOT NULL)", name="redeem_debits"),
        CheckConstraint("kind <> 'earn' OR (points >= 0 AND service_id IS NOT NULL)", name="earn_credits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("passport_volunteers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[int]  # signed
    minutes: Mapped[int] = mapped_column(default=0)  # signed: hours served gained or corrected
    balance_after: Mapped[int]
    service_id: Mapped[int | None] = mapped_column(ForeignKey("passport_services.id"))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("passport_redemptions.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("passport_ledger.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service = relationship("Service")
    redemption = relationship("Redemption")
    created_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return str(ENTRY_KINDS.get(self.kind, self.kind))


@event.listens_for(LedgerEntry, "before_update")
def _ledger_is_append_only(mapper, connection, target):
    raise RuntimeError("积分流水只增不改：请用更正记录")


@event.listens_for(LedgerEntry, "before_delete")
def _ledger_is_never_deleted(mapper, connection, target):
    raise RuntimeError("积分流水不可删除：请用更正记录")
