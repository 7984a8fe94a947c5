"""Parks (园区/孵化基地) of the 1+N network."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

LEVELS = {"district": _l("区级"), "street": _l("街道"), "community": _l("社区")}


class Park(db.Model):
    """A park (园区) or incubation base (孵化基地); `parent` builds the 1+N tree."""

    __tablename__ = "parks"
    __table_args__ = (CheckConstraint("level IN ('district', 'street', 'community')", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    area_m2: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")

    parent: Mapped[Park | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Park]] = relationship(back_populates="parent", order_by="Park.id")

    @property
    def level_label(self) -> str:
        return str(LEVELS.get(self.level, self.level))

    def __repr__(self) -> str:
        return f"<Park {self.code}>"
