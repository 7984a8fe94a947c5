"""Accounts opened for people (开通账号) — imported trainees, experts, organizations' contacts —
without a password: each gets a link to set their own (设置密码), by e-mail or SMS where they have
one, and the manager can hand it over otherwise. Nobody, not even an administrator, ever knows the
password.

The link is a signed token (itsdangerous, the app's secret key) naming the account and its session
generation: setting the password replaces the generation, so a link works once, and for
SETUP_DAYS at most. Nothing is stored.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit
from ..database import transaction
from ..errors import ValidationError
from ..extensions import db
from . import passwords
from .models import User

SETUP_DAYS = 14
NO_PASSWORD = "!"  # no hash starts so: check_password_hash says no to every password
SALT = "incubator-account-setup"


def has_password(user: User) -> bool:
    return not (user.password_hash or NO_PASSWORD).startswith(NO_PASSWORD)


def new_account(**fields) -> User:
    """A User without a password (the caller adds it inside its transaction and audits it)."""
    return User(password_hash=NO_PASSWORD, **fields)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User) -> str:
    return _serializer().dumps({"u": user.id, "g": user.session_token[:12]})


def link_for(user: User) -> str:
    """The path of `user`'s set-up page (a path on this site, for notices and the manager's page)."""
    from ..notifications import path_for
    return path_for("auth.setup", token=token_for(user))


def account_for(token: str) -> User:
    """The account a set-up link names, while it has no password and the link is current."""
    try:
        data = _serializer().loads(token or "", max_age=SETUP_DAYS * 86400)
    except SignatureExpired:
        raise ValidationError("该链接已过期，请联系园区管理员重新发送开通通知") from None
    except BadSignature:
        raise ValidationError("链接无效，请确认链接完整，或联系园区管理员重新发送") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or user.session_token[:12] != data.get("g") or has_password(user):
        raise ValidationError("该链接已使用或已失效：如已设置密码，请直接登录")
    return user


def set_first_password(user: User, password: str) -> User:
    if problem := passwords.password_problem(password, user.username):
        raise ValidationError(problem, field="new_password")
    with transaction():
        user.set_password(password)  # a new session generation: the link stops working
        audit.record("user.setup", user, user=user, summary=f"{user.username} 设置了密码，账号已开通")
    return user


def invite(users, *, park=None) -> int:
    """Tell each account without a password how to set one (their e-mail or SMS; the inbox entry
    waits for them). Joins the caller's transaction; returns how many were told."""
    from ..notifications import msg, notify
    told = 0
    for user in users:
        if has_password(user):
            continue
        notify([user], "account.setup", msg("请设置密码以开通你在社区治理学院的账号"),
               msg("你的账号（用户名：%(username)s）已开通。请在 %(days)s 天内打开链接设置密码。",
                   username=user.username, days=SETUP_DAYS),
               link_for(user), park=park)
        told += 1
    return told
