"""Issued certificates (证书) and batch-issue jobs."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db_types import utcnow
from incubator.extensions import db

KINDS = {"completion": "结业证书", "graduation": "出壳证书"}  # printed on the PDF: always Chinese
KIND_LABELS = {"completion": _l("结业证书"), "graduation": _l("出壳证书")}  # page labels
SERIAL_PREFIX = {"completion": "JY", "graduation": "CK"}


class Certificate(db.Model):
    """One issued version of a certificate; the PDF rendered at issue is stored and never re-rendered.

    `subject` names what is certified ("enrolment:42", "organization:7"): one subject has versions
    1, 2, … (a re-issue supersedes the previous version), which makes issuing idempotent.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("subject", "version"),
        CheckConstraint("kind IN ('completion', 'graduation')", name="kind"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("revoked_at IS NULL OR revoke_reason <> ''", name="revoke_reason"),
        Index("ix_certificates_offering_current", "offering_id", "superseded_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # verification code, unguessable
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(default=1)
    holder_name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"), index=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    # The academy's ids, kept as plain numbers: the enrolment plugin may be absent.
    offering_id: Mapped[int | None]
    enrolment_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # the template variables, as issued
    template: Mapped[str] = mapped_column(String(120), default="")  # which template rendered it
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User", foreign_keys=[user_id])
    organization = relationship("Organization")
    park = relationship("Park")
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.superseded_by_id is not None:
            return "superseded"
        return "valid"

    @property
    def status_label(self) -> str:
        return {"valid": _("有效"), "revoked": _("已撤销"), "superseded": _("已被新版本取代")}[self.status]

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def filename(self) -> str:
        return f"{self.serial}.pdf"

    def __repr__(self) -> str:
        return f"<Certificate {self.serial} v{self.version} {self.status}>"


ACTIVE = "status IN ('queued', 'running')"


class BatchJob(db.Model):
    """A batch issue (批量颁发) for one offering, run by the task queue; `done` of `total` shows progress.

    A worker runs a job while it holds its lease (`lease_until`, renewed after every group, and
    `owner`, "host:pid"): a job whose worker died is taken over once the lease has expired (at
    once on the same host when the owner's process is gone). One offering has at most one queued
    or running job (a double click starts one).
    """

    __tablename__ = "certificate_batch_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("done >= 0 AND done <= total", name="progress"),
        Index("uq_certificate_batch_jobs_active", "offering_id", unique=True,
              sqlite_where=text(ACTIVE), postgresql_where=text(ACTIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)  # new certificates (the rest already had one)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    owner: Mapped[str] = mapped_column(String(120), default="")
    attempts: Mapped[int] = mapped_column(default=0)

    @property
    def percent(self) -> int:
        return 100 if self.status == "done" else int(100 * self.done / self.total) if self.total else 0

    @property
    def status_label(self) -> str:
        return {"queued": _("排队中"), "running": _("生成中"), "done": _("已完成"), "failed": _("失败")}[self.status]
