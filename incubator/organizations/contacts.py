"""Who speaks for an organization (组织联系人): membership is granted by the park, never claimed.

A person becomes an organization's contact only when a manager of its park (or the administrator)
adds their account, or by redeeming a one-time invitation code (邀请码) the manager handed out. The
link is `User.organization_id`; an account is the contact of one organization at most.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import lazyload

from .. import audit
from ..database import transaction
from ..db_types import utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..users.models import Invitation, User
from .models import Organization

INVITATION_DAYS = 14
# No 0/O, 1/I/L: the code is read aloud and typed by hand. 16 of 31 characters: about 79 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
CONTACT_ROLES = ("trainee",)


def contacts(org: Organization) -> list[User]:
    """The organization's contacts. (Trainee accounts manage no parks: their `parks` are not loaded
    with them, one query fewer for every notice to an organization.)"""
    return list(db.session.scalars(select(User).where(User.organization_id == org.id)
                                   .options(lazyload(User.parks)).order_by(User.id)))


def open_invitations(org: Organization) -> list[Invitation]:
    now = utcnow()
    return list(db.session.scalars(
        select(Invitation).where(Invitation.organization_id == org.id, Invitation.used_at.is_(None),
                                 Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.created_at.desc())))


def find_account(identifier: str) -> User:
    """The account a manager names by its username or its phone number."""
    text = (identifier or "").strip()
    if not text:
        raise ValidationError(_("请填写用户名或手机号"), field="account")
    user = db.session.scalar(select(User).where(User.username == text))
    if user is not None:
        return user
    phone = text.replace(" ", "").replace("-", "")
    found = list(db.session.scalars(select(User).where(or_(User.phone == text, User.phone == phone)).limit(2)))
    if len(found) > 1:
        raise ValidationError(_("有多个账号使用该手机号，请改填用户名。"), field="account")
    if not found:
        raise ValidationError(_("没有找到用户名或手机号为“%(text)s”的账号。", text=text), field="account")
    return found[0]


def _check_candidate(org: Organization, user: User, *, own: bool = False) -> None:
    """Refuse accounts that cannot speak for `org`; `own` words the refusal for the person themself."""
    if user.role not in CONTACT_ROLES:
        raise ValidationError(_("管理员、园区管理员和专家的账号不能成为组织联系人。"), field="account")
    if not user.active:
        raise ValidationError(_("该账号已停用。"), field="account")
    if user.organization_id == org.id:
        raise Conflict(_("你已是该组织的联系人。") if own else _("该账号已是本组织的联系人。"), field="account")
    if user.organization_id is not None:
        raise Conflict(_("你已是另一个组织的联系人；一个账号只能是一个组织的联系人，请先请原园区移除。") if own else
                       _("该账号已是另一个组织的联系人；一个账号只能是一个组织的联系人。"), field="account")


def _link(org: Organization, user: User) -> None:
    # Conditional update: two grants at once cannot make one account the contact of two organizations.
    result = db.session.execute(update(User).where(User.id == user.id, User.organization_id.is_(None))
                                .values(organization_id=org.id).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_("该账号刚被设为其他组织的联系人，请刷新后重试。"), field="account")


def add_contact(org: Organization, identifier: str, *, user) -> User:
    """A manager links an existing account (found by username or phone) to `org`."""
    contact = find_account(identifier)
    _check_candidate(org, contact)
    with transaction():
        _link(org, contact)
        audit.record("org.contact_add", org, user=user,
                     summary=f"{org.name}：添加联系人 {contact.display_name}（{contact.username}）",
                     contact=contact.username)
    db.session.refresh(contact)
    return contact


def remove_contact(org: Organization, contact_id: int, *, user) -> User:
    contact = db.session.get(User, contact_id)
    if contact is None or contact.organization_id != org.id:
        raise ValidationError(_("该账号不是本组织的联系人。"), field="contact")
    with transaction():
        result = db.session.execute(update(User).where(User.id == contact.id, User.organization_id == org.id)
                                    .values(organization_id=None).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict(_("该联系人刚被他人移除，请刷新后重试。"))
        audit.record("org.contact_remove", org, user=user,
                     summary=f"{org.name}：移除联系人 {contact.display_name}（{contact.username}）",
                     contact=contact.username)
    db.session.refresh(contact)
    return contact


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def create_invitation(org: Organization, *, user, days: int = INVITATION_DAYS) -> tuple[Invitation, str]:
    """A new one-time code for `org`; returns the invitation and the code, shown once and never stored."""
    code = new_code()
    with transaction():
        invitation = Invitation(organization_id=org.id, code_hash=Invitation.hash(normalize_code(code)),
                                created_by_id=getattr(user, "id", None),
                                expires_at=utcnow() + timedelta(days=days))
        db.session.add(invitation)
        audit.record("org.invitation_create", org, user=user, summary=f"{org.name}：生成联系人邀请码",
                     expires_at=invitation.expires_at)
    return invitation, code


def revoke_invitation(org: Organization, invitation_id: int, *, user) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organization_id != org.id or not invitation.is_open(utcnow()):
        raise ValidationError(_("该邀请码不存在、已使用或已失效。"))
    with transaction():
        invitation.revoked_at = utcnow()
        audit.record("org.invitation_revoke", org, user=user, summary=f"{org.name}：作废联系人邀请码")
    return invitation


def redeem(code: str, *, user) -> Organization:
    """`user` redeems an invitation code and becomes the contact of its organization."""
    normalized = normalize_code(code)
    if not normalized:
        raise ValidationError(_("请填写邀请码"), field="code")
    invitation = db.session.scalar(select(Invitation).where(Invitation.code_hash == Invitation.hash(normalized)))
    now = utcnow()
    if invitation is None:
        raise ValidationError(_("邀请码无效，请核对后重新输入。"), field="code")
    if invitation.used_at is not None:
        raise Conflict(_("该邀请码已被使用；请向园区索取新的邀请码。"), field="code")
    if invitation.revoked_at is not None:
        raise Conflict(_("该邀请码已作废；请向园区索取新的邀请码。"), field="code")
    if invitation.expires_at <= now:
        raise Conflict(_("该邀请码已过期；请向园区索取新的邀请码。"), field="code")
    org = invitation.organization
    try:
        _check_candidate(org, user, own=True)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="code") from exc
    except Conflict as exc:
        raise Conflict(exc.message, field="code") from exc
    with transaction():
        # Conditional updates: a code redeemed twice at once makes one contact, not two.
        used = db.session.execute(
            update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
                                     Invitation.revoked_at.is_(None), Invitation.expires_at > now)
            .values(used_at=now, used_by_id=user.id).execution_options(synchronize_session=False))
        if used.rowcount != 1:
            raise Conflict(_("该邀请码已被使用；请向园区索取新的邀请码。"), field="code")
        _link(org, user)
        audit.record("org.invitation_redeem", org, user=user,
                     summary=f"{org.name}：{user.display_name}（{user.username}）凭邀请码成为联系人")
    db.session.expire_all()
    return db.session.get(Organization, org.id)


def is_contact(user, org) -> bool:
    return bool(getattr(user, "is_authenticated", False) and org is not None
                and getattr(user, "organization_id", None) == org.id)

