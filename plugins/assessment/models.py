"""能力评估 tables: assessments with their indicator scores, and per-park settings."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db_types import utcnow
from incubator.extensions import db

KINDS = {"entry": "入园评估", "midterm": "中期评估", "exit": "出壳评估"}
STATUSES = {"draft": "草稿", "finished": "已完成"}
# Labels shown in the UI (the dicts above stay plain Chinese for data and audit text).
KIND_LABELS = {"entry": _l("入园评估"), "midterm": _l("中期评估"), "exit": _l("出壳评估")}
STATUS_LABELS = {"draft": _l("草稿"), "finished": _l("已完成")}


class AssessmentSettings(db.Model):
    """A park's choice of rubric and its graduation veto; parks without a row use the defaults."""

    __tablename__ = "assessment_settings"
    __table_args__ = (CheckConstraint("exit_threshold >= 0", name="threshold_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), unique=True)
    rubric_code: Mapped[str] = mapped_column(String(40), default="default")
    graduation_veto: Mapped[bool] = mapped_column(default=True)
    exit_threshold: Mapped[int] = mapped_column(default=700)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assessment(db.Model):
    """An entry (入园), mid-term (中期) or exit (出壳) assessment of an organization against a rubric."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("kind IN ('entry', 'midterm', 'exit')", name="kind"),
        CheckConstraint("status IN ('draft', 'finished')", name="status"),
        CheckConstraint("status = 'draft' OR (total IS NOT NULL AND finished_at IS NOT NULL)", name="finished_total"),
        # One entry assessment per organization; one open draft per organization and kind.
        Index("uq_assessments_one_entry", "organization_id", unique=True,
              sqlite_where=text("kind = 'entry'"), postgresql_where=text("kind = 'entry'")),
        Index("uq_assessments_one_draft", "organization_id", "kind", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
        Index("ix_assessments_org_kind", "organization_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    rubric_code: Mapped[str] = mapped_column(String(40))
    # The rubric as it was when the assessment started (see rubrics.Rubric.to_dict).
    rubric: Mapped[dict] = mapped_column(JSON)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assessed_on: Mapped[date]
    summary: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    grade: Mapped[str] = mapped_column(String(20), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organization = relationship("Organization")
    assessor = relationship("User", foreign_keys=[assessor_id])
    scores: Mapped[list[IndicatorScore]] = relationship(back_populates="assessment", cascade="all, delete-orphan",
                                               order_by="IndicatorScore.id")

    @property
    def park_id(self) -> int:
        """Lets the core's permission check find the park (and skip plugins disabled there)."""
        return self.organization.park_id

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_finished(self) -> bool:
        return self.status == "finished"


class IndicatorScore(db.Model):
    """The points given for one indicator, with the evidence (评分依据) behind them."""

    __tablename__ = "assessment_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "indicator_code"),
                      CheckConstraint("score IS NULL OR score >= 0", name="score_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str] = mapped_column(String(60))
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))  # None: evidence noted, not scored yet
    evidence: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="scores")
