"""Users, their roles, the parks a manager manages, and API tokens."""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..db_types import utcnow
from ..extensions import db
from ..parks.models import Park

ROLES = {"admin": _l("区级管理员"), "manager": _l("园区管理员"), "expert": _l("专家·督导"), "trainee": _l("学员")}


def new_session_token() -> str:
    """A fresh session generation: every login cookie carries it (see `User.get_id`)."""
    return secrets.token_urlsafe(24)


park_managers = Table(
    "park_managers",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("park_id", ForeignKey("parks.id", ondelete="CASCADE"), primary_key=True),
)


def _hash_method() -> str:
    from flask import current_app
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def check_no_password(password: str) -> None:
    """For a username nobody has: the same work as checking a real password, so how long a login
    takes does not tell whether the username exists."""
    check_password_hash(_dummy_hash(_hash_method()), password)


class User(UserMixin, db.Model):
    """A person who logs in; `role` is one of ROLES."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'manager', 'expert', 'trainee')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # The language notices are written in for this user ("zh", "en"); None: the platform's default.
    # Set when they switch language (the page's choice is remembered for what is sent later).
    locale: Mapped[str | None] = mapped_column(String(8))
    # Channels chosen against a kind of notice's defaults: {"org.stage_moved": {"email": false}}
    # (incubator/notifications: what is not named follows the kind's defaults).
    notification_choices: Mapped[dict] = mapped_column(JSON, default=dict)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The session generation: part of Flask-Login's id (in the session and the remember-me cookie).
    # Logout, a password change and 退出所有登录 replace it, so every cookie issued before stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    parks: Mapped[list[Park]] = relationship(secondary=park_managers, order_by=Park.id, lazy="selectin")
    organization = relationship("Organization", foreign_keys=[organization_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: id and session generation."""
        return f"{self.id}:{self.session_token}"

    @classmethod
    def for_session_id(cls, value) -> User | None:
        """The user a session or remember-me cookie names, if its session generation is still current."""
        user_id, sep, token = str(value or "").partition(":")
        if not sep or not token or not user_id.isdigit() or len(user_id) > 10:
            return None
        user = db.session.get(cls, int(user_id))
        if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
            return None
        return user

    @property
    def role_label(self) -> str:
        return str(ROLES.get(self.role, self.role))

    @property
    def display_name(self) -> str:
        return self.name or self.username

    @property
    def park_ids(self) -> set[int]:
        return {park.id for park in self.parks}

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=_hash_method())
        self.session_token = new_session_token()  # a new password ends the sessions of the old one

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]  # to within API_TOKEN_USE_PRECISION (not written on every request)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Invitation(db.Model):
    """An invitation code (邀请码) a park's manager hands out: whoever redeems it becomes the
    organization's contact (组织联系人). Only the code's SHA-256 is stored; it works once, until
    `expires_at`, unless revoked."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    organization = relationship("Organization")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])

    @staticmethod
    def hash(code: str) -> str:
        return hashlib.sha256(code.encode()).hexdigest()

    def is_open(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now
