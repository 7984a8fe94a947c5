"""A stored file: its content is kept once per SHA-256; each row is one upload for one record."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import utcnow
from ..extensions import db


class StoredFile(db.Model):
    """An uploaded file (附件) belonging to a record named by `owner_type` and `owner_id`
    (`"checklist_document"`, 12); its park answers for plugin enablement."""

    __tablename__ = "stored_files"
    __table_args__ = (Index("ix_stored_files_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))  # as sniffed from the content
    owner_type: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[int]
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by = relationship("User")

    @property
    def inline(self) -> bool:
        """Shown in the browser (PDF and images); anything else is only ever downloaded."""
        return self.content_type in INLINE_TYPES


INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
