"""Test helpers for notices, shared by the core's and the plugins' suites (loaded from the root
conftest.py): who was told of what, and everyone given an e-mail address."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ..extensions import db
from ..users.models import User
from .models import Notice, Notification


@pytest.fixture
def addresses(users):
    """Everyone has an e-mail address (username@example.cn), so that a mail reaching someone it
    should not would show."""
    for user in users.values():
        user.email = f"{user.username}@example.cn"
    db.session.commit()


def reached(kind: str) -> list[str]:
    """Who has a notice of `kind` in their inbox, by username (a name twice: told twice)."""
    db.session.expire_all()
    return list(db.session.scalars(
        select(User.username).join(Notification, Notification.user_id == User.id)
        .join(Notice, Notice.id == Notification.notice_id).where(Notice.kind == kind)
        .order_by(User.username, Notification.id)))


def notices(kind: str) -> list[Notice]:
    """The notices of `kind`, oldest first."""
    return list(db.session.scalars(select(Notice).where(Notice.kind == kind).order_by(Notice.id)))
