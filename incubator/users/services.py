"""Rules for users: create, edit roles and parks, tokens for the API."""
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import audit
from ..database import transaction
from ..db_types import utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..validators import phone_error
from .models import ROLES, ApiToken, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,80}$")
MIN_PASSWORD = 8


def by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def validate(data: dict, existing: User | None = None) -> dict:
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
    if existing is None or clean.get("password"):
        if len(clean.get("password") or "") < MIN_PASSWORD:
            raise ValidationError(f"密码至少{MIN_PASSWORD}位", field="password")
    if clean.get("phone") and (error := phone_error(clean["phone"])):
        raise ValidationError(error, field="phone")
    if clean.get("organization_id"):
        from ..organizations.models import Organization
        if db.session.get(Organization, clean["organization_id"]) is None:
            raise ValidationError("所属组织不存在", field="organization_id")
    role = clean.get("role", existing.role if existing else None)
    if role == "manager" and "parks" in clean and not clean["parks"]:
        raise ValidationError("园区管理员至少要管理一个园区", field="parks")
    return clean


def create(data: dict, *, user=None) -> User:
    """Create a user; data: username, password, role, name, phone, parks (list of Park), organization_id."""
    clean = validate(data)
    with transaction():
        new = User(username=clean["username"], role=clean["role"], name=clean.get("name") or "",
                   phone=clean.get("phone") or "", organization_id=clean.get("organization_id"))
        new.set_password(clean["password"])
        new.parks = list(clean.get("parks") or [])
        db.session.add(new)
        audit.record("user.create", new, user=user, summary=f"{new.username} ({new.role})")
    return new


def edit(target: User, data: dict, *, user=None) -> User:
    clean = validate(data, existing=target)
    with transaction():
        for key in ("username", "role", "name", "phone", "active", "organization_id"):
            if key in clean:
                setattr(target, key, clean[key])
        if "parks" in clean:
            target.parks = list(clean["parks"])
        if clean.get("password"):
            target.set_password(clean["password"])
        audit.record("user.edit", target, user=user, summary=target.username,
                     changed=sorted(k for k in clean if k != "password"),
                     password_changed=bool(clean.get("password")))
    return target


def authenticate(username: str, password: str) -> User | None:
    found = by_username((username or "").strip())
    if found and found.active and found.check_password(password or ""):
        return found
    return None


def issue_token(user: User) -> str:
    """A new API bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_DAYS"]
    with transaction():
        db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash(token),
                                expires_at=utcnow() + timedelta(days=days)))
        audit.record("api.token", user, user=user, summary=f"API token for {user.username}")
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if row is None or row.expires_at < utcnow() or not row.user.active:
        return None
    return row.user
