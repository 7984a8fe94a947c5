"""Targets (目标管理) and the public showcase's choice of figures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import utcnow
from ..extensions import db
from ..parks.models import Park


class Target(db.Model):
    """A yearly target for one figure in one park (孵化 10 家, 培训 500 人次): progress is the figure's
    value for that park in that year."""

    __tablename__ = "figure_targets"
    __table_args__ = (UniqueConstraint("year", "park_id", "figure_key"),
                      CheckConstraint("value > 0", name="positive"),
                      CheckConstraint("year BETWEEN 2000 AND 2100", name="year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), index=True)
    figure_key: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    park: Mapped[Park] = relationship()


class ShowcaseFigure(db.Model):
    """A figure the administrator puts on the public showcase (成果展示), in `position` order, with
    the words it is shown with (e.g. 累计孵化出壳社会组织)."""

    __tablename__ = "showcase_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    figure_key: Mapped[str] = mapped_column(String(60), unique=True)
    caption: Mapped[str] = mapped_column(String(60), default="")
    cumulative: Mapped[bool] = mapped_column(default=False)  # the total since the first record, not the year's
    position: Mapped[int] = mapped_column(default=0)
