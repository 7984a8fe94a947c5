"""公益微创投 tables: rounds, their experts, applications with budget lines, scores, tranches, reviews.

Money is stored as integer fen (分). The round row carries `committed_fen`, the sum of grants
not cancelled, and the database refuses any row where it exceeds the budget.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db_types import utcnow
from incubator.extensions import db

STATUSES = {"submitted": _l("已申报"), "approved": _l("已立项"), "rejected": _l("未立项"), "terminated": _l("已终止")}
TRANCHE_STATUSES = {"pending": _l("待拨付"), "paid": _l("已拨付"), "cancelled": _l("已取消")}

round_experts = Table(
    "microgrant_round_experts",
    db.metadata,
    Column("round_id", ForeignKey("microgrant_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Round(db.Model):
    """A micro-grant round (一轮公益微创投) of a park, with its budget, categories, criteria and dates."""

    __tablename__ = "microgrant_rounds"
    __table_args__ = (
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        CheckConstraint("committed_fen >= 0 AND committed_fen <= budget_fen", name="within_budget"),
        CheckConstraint("max_grant_fen > 0 AND max_grant_fen <= budget_fen", name="max_grant"),
        CheckConstraint("apply_from <= apply_until AND apply_until <= review_from AND review_from <= review_until"
                        " AND review_until <= execute_from AND execute_from <= execute_until", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    year: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    committed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    max_grant_fen: Mapped[int] = mapped_column(BigInteger)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    criteria: Mapped[list] = mapped_column(JSON, default=list)  # [{"name": "需求明确", "max": 20}, …]
    tranche_percents: Mapped[list] = mapped_column(JSON, default=lambda: [60, 40])
    apply_from: Mapped[date]
    apply_until: Mapped[date]
    review_from: Mapped[date]
    review_until: Mapped[date]
    execute_from: Mapped[date]
    execute_until: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    park = relationship("Park")
    experts = relationship("User", secondary=round_experts, order_by="User.id", lazy="selectin")

    @property
    def remaining_fen(self) -> int:
        return self.budget_fen - self.committed_fen

    @property
    def max_score(self) -> int:
        return sum(int(c["max"]) for c in self.criteria)

    def phase(self, day: date) -> str:
        if day < self.apply_from:
            return _("未开始")
        if day <= self.apply_until:
            return _("申报中")
        if day < self.review_from:
            return _("待评审")
        if day <= self.review_until:
            return _("评审中")
        if day <= self.execute_until:
            return _("执行中")
        return _("已结束")


class Application(db.Model):
    """A project an organization applies with (项目申报); one per organization and round."""

    __tablename__ = "microgrant_applications"
    __table_args__ = (
        UniqueConstraint("round_id", "organization_id"),
        CheckConstraint("requested_fen > 0", name="requested_positive"),
        CheckConstraint("granted_fen IS NULL OR granted_fen > 0", name="granted_positive"),
        CheckConstraint("status IN ('submitted', 'approved', 'rejected', 'terminated')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("microgrant_rounds.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    goals: Mapped[str] = mapped_column(Text, default="")
    beneficiaries: Mapped[str] = mapped_column(Text, default="")
    beneficiary_count: Mapped[int] = mapped_column(default=0)
    requested_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    granted_fen: Mapped[int | None] = mapped_column(BigInteger)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round = relationship("Round")
    organization = relationship("Organization")
    lines = relationship("BudgetLine", order_by="BudgetLine.position", cascade="all, delete-orphan")
    tranches = relationship("Tranche", order_by="Tranche.seq", cascade="all, delete-orphan")
    scores = relationship("Score", order_by="Score.id", cascade="all, delete-orphan")
    reviews = relationship("Review", order_by="Review.before_seq", cascade="all, delete-orphan")

    @property
    def park_id(self) -> int:
        """The round's park: permissions and enablement are decided there."""
        return self.round.park_id

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))

    @property
    def paid_fen(self) -> int:
        return sum(t.amount_fen for t in self.tranches if t.status == "paid")

    def _upcoming(self):
        """The first pending tranche and whether the one before it is paid (None, False if none)."""
        pending = next((t for t in self.tranches if t.status == "pending"), None)
        if pending is None:
            return None, False
        before = next((t for t in self.tranches if t.seq == pending.seq - 1), None)
        return pending, before is None or before.status == "paid"

    @property
    def payable_seq(self) -> int | None:
        """The tranche that may be paid now (the first, or the next after a passed review)."""
        pending, ready = self._upcoming()
        if self.status != "approved" or pending is None or not ready:
            return None
        if pending.seq == 1 or any(r.before_seq == pending.seq and r.passed for r in self.reviews):
            return pending.seq
        return None

    @property
    def review_due_seq(self) -> int | None:
        """The tranche whose mid-term review is due now."""
        pending, ready = self._upcoming()
        if self.status != "approved" or pending is None or pending.seq == 1 or not ready:
            return None
        return None if any(r.before_seq == pending.seq for r in self.reviews) else pending.seq

    @property
    def average_score(self) -> float | None:
        return round(sum(s.total for s in self.scores) / len(self.scores), 1) if self.scores else None


class BudgetLine(db.Model):
    """One line of a project's budget (预算明细)."""

    __tablename__ = "microgrant_budget_lines"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("microgrant_applications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    item: Mapped[str] = mapped_column(String(120))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Score(db.Model):
    """An expert's marks for an application against the round's criteria (专家评分)."""

    __tablename__ = "microgrant_scores"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),
                      CheckConstraint("total >= 0", name="total_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("microgrant_applications.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    marks: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    expert = relationship("User")


class Tranche(db.Model):
    """A part of a grant, paid in order (分期拨付); the ones after the first wait for a passed review."""

    __tablename__ = "microgrant_tranches"
    __table_args__ = (
        UniqueConstraint("application_id", "seq"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name="status"),
        CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name="paid_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("microgrant_applications.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    paid_on: Mapped[date | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def status_label(self) -> str:
        return str(TRANCHE_STATUSES.get(self.status, self.status))


class Review(db.Model):
    """A mid-term review (中期评估) deciding whether tranche `before_seq` is released."""

    __tablename__ = "microgrant_reviews"
    __table_args__ = (UniqueConstraint("application_id", "before_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("microgrant_applications.id", ondelete="CASCADE"), index=True)
    before_seq: Mapped[int]
    passed: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewed_by = relationship("User")
