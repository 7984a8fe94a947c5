"""Rules for users: create, edit roles and parks, passwords, tokens for the API."""
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from .. import audit
from ..database import transaction
from ..db_types import utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..validators import email_error, phone_error
from . import passwords
from .models import ROLES, ApiToken, User, check_no_password, new_session_token

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,80}$")
MIN_PASSWORD = passwords.MIN_LENGTH


def by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def validate(data: dict, existing: User | None = None, *, password_required: bool = True) -> dict:
    """Check an account's fields (every rule on them); `password_required=False` for an account
    opened without one (users/setup.py)."""
    clean = dict(data)
    if existing is None or "username" in clean:
        username = (clean.get("username") or "").strip()
        if not USERNAME_RE.match(username):
            raise ValidationError("用户名为3–80位字母、数字或 _.@-", field="username")
        taken = select(User.id).where(User.username == username)
        if existing is not None:
            taken = taken.where(User.id != existing.id)
        if db.session.scalar(taken):
            raise Conflict("用户名已被使用", field="username")
        clean["username"] = username
    if existing is None or "role" in clean:
        if clean.get("role") not in ROLES:
            raise ValidationError("角色应为 " + "、".join(ROLES), field="role")
    if (existing is None and password_required) or clean.get("password"):
        username = clean.get("username") or (existing.username if existing else "")
        if problem := passwords.password_problem(clean.get("password"), username):
            raise ValidationError(problem, field="password")
    if clean.get("phone") and (error := phone_error(clean["phone"])):
        raise ValidationError(error, field="phone")
    if clean.get("email"):
        clean["email"] = clean["email"].strip()
        if error := email_error(clean["email"]):
            raise ValidationError(error, field="email")
    if clean.get("organization_id"):
        from ..organizations.models import Organization
        if db.session.get(Organization, clean["organization_id"]) is None:
            raise ValidationError("所属组织不存在", field="organization_id")
    role = clean.get("role", existing.role if existing else None)
    if role == "manager" and "parks" in clean and not clean["parks"]:
        raise ValidationError("园区管理员至少要管理一个园区", field="parks")
    return clean


def create(data: dict, *, user=None) -> User:
    """Create a user; data: username, password, role, name, phone, email, parks (list of Park), organization_id."""
    clean = validate(data)
    with transaction():
        new = User(username=clean["username"], role=clean["role"], name=clean.get("name") or "",
                   phone=clean.get("phone") or "", email=clean.get("email") or "",
                   organization_id=clean.get("organization_id"))
        new.set_password(clean["password"])
        new.parks = list(clean.get("parks") or [])
        db.session.add(new)
        audit.record("user.create", new, user=user, summary=_named(new),
                     role=new.role, parks=[p.code for p in new.parks])
    return new


def _named(person: User) -> str:
    return f"{person.name}（{person.username}）" if person.name else person.username


def edit(target: User, data: dict, *, user=None) -> User:
    clean = validate(data, existing=target)
    with transaction():
        for key in ("username", "role", "name", "phone", "email", "active", "organization_id"):
            if key in clean:
                setattr(target, key, clean[key])
        if "parks" in clean:
            target.parks = list(clean["parks"])
        if clean.get("password"):
            target.set_password(clean["password"])
            end_sessions(target)
        audit.record("user.edit", target, user=user, summary=_named(target),
                     changed=sorted(k for k in clean if k != "password"),
                     password_changed=bool(clean.get("password")))
    return target


def change_password(target: User, current: str, new: str) -> User:
    """The user changes their own password: the current one must be right, the new one acceptable."""
    if not target.check_password(current or ""):
        raise ValidationError(_("当前密码不正确"), field="current_password")
    if problem := passwords.password_problem(new, target.username):
        raise ValidationError(problem, field="new_password")
    if target.check_password(new):
        raise ValidationError(_("新密码不能与当前密码相同"), field="new_password")
    with transaction():
        target.set_password(new)
        end_sessions(target)
        audit.record("user.password", target, user=target, summary=f"{target.username} 修改了自己的密码")
    return target


def reset_password(target: User, new: str | None = None, *, user=None) -> str:
    """The administrator sets `target`'s password to `new`, or to a generated one when `new` is empty.

    Returns the new password (to show once); the audit entry never holds it.
    """
    generated = not new
    new = passwords.generate() if generated else new
    if problem := passwords.password_problem(new, target.username):
        raise ValidationError(problem, field="new_password")
    with transaction():
        target.set_password(new)
        end_sessions(target)
        audit.record("user.password_reset", target, user=user, summary=f"重置 {target.username} 的密码",
                     generated=generated)
    return new


def end_sessions(target: User) -> int:
    """Every session, remember-me cookie and API token of `target` stops working (in the caller's
    transaction): a new session generation, and the tokens deleted. Returns how many tokens went."""
    target.session_token = new_session_token()
    return db.session.execute(delete(ApiToken).where(ApiToken.user_id == target.id)).rowcount or 0


def log_out(target: User) -> None:
    """退出登录: ends this session and, with it, every other session and token of the user."""
    with transaction():
        end_sessions(target)


def sign_out_everywhere(target: User, *, user=None) -> int:
    """The administrator's 退出所有登录: every session and API token of `target` ends."""
    with transaction():
        tokens = end_sessions(target)
        audit.record("user.sign_out_all", target, user=user, summary=f"退出 {target.username} 的所有登录",
                     tokens=tokens)
    return tokens


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None. A password is checked against a
    hash whether or not the user exists (or is active), so the answer takes as long either way and
    does not tell which usernames exist."""
    found = by_username((username or "").strip())
    if found is None:
        check_no_password(password or "")
        return None
    if found.check_password(password or "") and found.active:
        return found
    return None


def issue_token(user: User) -> str:
    """A new API bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_DAYS"]
    with transaction():
        now = utcnow()
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at < now))
        db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash(token),
                                expires_at=now + timedelta(days=days)))
        audit.record("api.token", user, user=user, summary=f"{user.username} 申请接口令牌")
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    now = utcnow()
    if row is None or row.expires_at < now or not row.user.active:
        return None
    # When it was last used, to within a few minutes: one write now and then, not one per request.
    precision = timedelta(seconds=current_app.config["API_TOKEN_USE_PRECISION"])
    if row.last_used_at is None or row.last_used_at < now - precision:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return row.user


def tokens_of(user: User) -> list[ApiToken]:
    """The user's API tokens still valid, newest first (for /me)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at >= utcnow())
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(token: ApiToken, *, user=None) -> None:
    """The owner revokes one of their API tokens (作废): it stops working at once; the others stay."""
    owner, created = token.user, token.created_at
    with transaction():
        db.session.delete(token)
        audit.record("api.token_revoke", owner, user=user, summary=f"{owner.username} 作废接口令牌",
                     created_at=created.isoformat(timespec="seconds"))


def remember_language(user, code: str) -> None:
    """The language a logged-in user chose: notices sent to them later are written in it."""
    if getattr(user, "is_authenticated", False) and user.locale != code:
        with transaction():
            user.locale = code
