"""Membership is granted, never claimed: a person becomes an organization's contact (组织联系人) only
when a manager of its park adds their account, or by a one-time invitation code the manager hands out.
A stranger gets nothing."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from incubator.audit.models import AuditEntry
from incubator.db_types import utcnow
from incubator.errors import Conflict
from incubator.extensions import db
from incubator.organizations import contacts
from incubator.users.models import Invitation, User

from .helpers import count_rows, page_text

CODE = re.compile(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}")


@pytest.fixture
def org(make_org):
    return make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")


def linked_to(username):
    db.session.expire_all()
    return db.session.scalar(select(User.organization_id).where(User.username == username))


def invite(client, org) -> str:
    """The manager (already logged in) presses 生成邀请码; the code as the page shows it."""
    response = client.post(f"/orgs/{org.id}/invitations")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    found = CODE.findall(page_text(response))
    assert len(found) == 1, "the new code is shown once"
    return found[0]


def join(client, code):
    return client.post("/portal/join", data={"code": code})


# -- 添加联系人: the manager links an existing account --------------------------------------------------

def test_manager_adds_a_contact_by_username(org, login_as, client):
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/contacts", data={"contact-account": "trainee-wang"})
    assert response.status_code == 302 and response.location.endswith(f"/orgs/{org.id}#contacts")
    assert linked_to("trainee-wang") == org.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "org.contact_add"))
    assert entry.object_id == str(org.id) and "trainee-wang" in entry.summary
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "组织联系人" in html and "王学员" in html and "已将 王学员（trainee-wang）添加为联系人。" in html


def test_manager_adds_a_contact_by_phone_number(org, users, login_as, client):
    users["trainee-chen"].phone = "13955501234"
    db.session.commit()
    login_as("fangxing-mgr")
    assert client.post(f"/orgs/{org.id}/contacts", data={"contact-account": " 139-5550-1234 "}).status_code == 302
    assert linked_to("trainee-chen") == org.id


def test_a_phone_number_two_accounts_share_must_be_a_username(org, users, login_as, client):
    users["trainee-chen"].phone = users["trainee-wang"].phone = "13955501234"
    db.session.commit()
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/contacts", data={"contact-account": "13955501234"})
    assert response.status_code == 422 and "请改填用户名" in page_text(response)
    assert linked_to("trainee-chen") is None and linked_to("trainee-wang") is None


@pytest.mark.parametrize("username", ["admin", "district-mgr", "fangxing-mgr", "expert-li"])
def test_admins_managers_and_experts_cannot_be_contacts(username, org, login_as, client):
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/contacts", data={"contact-account": username})
    assert response.status_code == 422
    assert "不能成为组织联系人" in page_text(response)
    assert linked_to(username) is None


def test_an_unknown_account_is_named_in_the_refusal(org, login_as, client):
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/contacts", data={"contact-account": "nobody-here"})
    assert response.status_code == 422 and "没有找到用户名或手机号为“nobody-here”的账号。" in page_text(response)


def test_an_account_is_the_contact_of_one_organization_only(org, make_org, users, login_as, client):
    other = make_org(park="fangxing", stage="incubating", name="方兴为老服务社")
    users["trainee-wang"].organization_id = other.id
    db.session.commit()
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/contacts", data={"contact-account": "trainee-wang"})
    assert response.status_code == 409 and "已是另一个组织的联系人" in page_text(response)
    assert linked_to("trainee-wang") == other.id
    response = client.post(f"/orgs/{other.id}/contacts", data={"contact-account": "trainee-wang"})
    assert response.status_code == 409 and "已是本组织的联系人" in page_text(response)


def test_the_administrator_adds_contacts_anywhere(org, login_as, client):
    login_as("admin")
    assert client.post(f"/orgs/{org.id}/contacts", data={"contact-account": "trainee-wang"}).status_code == 302
    assert linked_to("trainee-wang") == org.id


@pytest.mark.parametrize("username", ["changqing-mgr", "trainee-chen", "expert-li", "contact-zhang"])
def test_only_the_parks_managers_touch_its_contacts(username, org, users, login_as, client):
    """A manager of another park, a trainee, an expert, even the organization's own contact: 403 on
    every contact action, and nothing changes."""
    users["contact-zhang"].organization_id = org.id
    db.session.commit()
    login_as(username)
    assert client.post(f"/orgs/{org.id}/contacts", data={"contact-account": "trainee-wang"}).status_code == 403
    assert client.post(f"/orgs/{org.id}/contacts/remove", data={"contact": users["contact-zhang"].id}).status_code == 403
    assert client.post(f"/orgs/{org.id}/invitations").status_code == 403
    assert client.post(f"/orgs/{org.id}/invitations/revoke", data={"invitation": "1"}).status_code == 403
    assert linked_to("trainee-wang") is None and linked_to("contact-zhang") == org.id
    assert count_rows(Invitation) == 0


def test_the_contacts_panel_is_for_the_parks_managers(org, login_as, client):
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert 'id="contacts"' in html and "生成邀请码" in html and "添加联系人" in html
    login_as("district-mgr")
    assert client.get(f"/orgs/{org.id}").status_code == 403


def test_manager_removes_a_contact_after_confirming(org, users, login_as, client):
    users["contact-zhang"].organization_id = org.id
    db.session.commit()
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert 'data-confirm="确定移除联系人“张芳”吗？' in html
    response = client.post(f"/orgs/{org.id}/contacts/remove", data={"contact": users["contact-zhang"].id})
    assert response.status_code == 302
    assert linked_to("contact-zhang") is None
    assert count_rows(AuditEntry, AuditEntry.action == "org.contact_remove") == 1
    # Now a stranger to it.
    login_as("contact-zhang")
    assert client.get(f"/orgs/{org.id}").status_code == 403


def test_removing_someone_who_is_not_a_contact_changes_nothing(org, make_org, users, login_as, client):
    other = make_org(park="fangxing", stage="incubating")
    users["contact-zhang"].organization_id = other.id
    db.session.commit()
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/contacts/remove", data={"contact": users["contact-zhang"].id},
                           follow_redirects=True)
    assert "该账号不是本组织的联系人。" in page_text(response)
    assert linked_to("contact-zhang") == other.id


# -- 生成邀请码 and /portal/join --------------------------------------------------------------------------

def test_an_invitation_code_is_shown_once_and_only_its_hash_is_stored(org, users, login_as, client):
    login_as("fangxing-mgr")
    code = invite(client, org)
    invitation = db.session.scalar(select(Invitation))
    assert invitation.code_hash == Invitation.hash(code.replace("-", ""))
    assert code not in repr([getattr(invitation, c.name) for c in Invitation.__table__.columns])
    assert invitation.created_by_id == users["fangxing-mgr"].id
    assert timedelta(days=13, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=14)
    assert count_rows(AuditEntry, AuditEntry.action == "org.invitation_create") == 1
    assert code not in page_text(client.get(f"/orgs/{org.id}"))  # never shown again
    assert "未使用的邀请码" in page_text(client.get(f"/orgs/{org.id}"))


def test_codes_are_not_guessable(app, ctx):
    codes = {contacts.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE.fullmatch(code) for code in codes)


def test_a_trainee_redeems_a_code_and_becomes_the_contact(org, users, login_as, client):
    login_as("fangxing-mgr")
    code = invite(client, org)
    login_as("trainee-chen")
    response = join(client, code.lower().replace("-", " "))  # typed by hand: case and spaces do not matter
    assert response.status_code == 302 and response.location.endswith("/portal")
    assert linked_to("trainee-chen") == org.id
    invitation = db.session.scalar(select(Invitation))
    assert invitation.used_by_id == users["trainee-chen"].id and invitation.used_at is not None
    assert count_rows(AuditEntry, AuditEntry.action == "org.invitation_redeem") == 1
    html = page_text(client.get("/portal"))
    assert "方兴邻里互助会" in html and "你已成为“方兴邻里互助会”的联系人。" in html


def test_a_used_code_is_refused(org, login_as, client):
    login_as("fangxing-mgr")
    code = invite(client, org)
    login_as("trainee-chen")
    assert join(client, code).status_code == 302
    login_as("trainee-wang")
    response = join(client, code)
    assert response.status_code == 409 and "该邀请码已被使用" in page_text(response)
    assert linked_to("trainee-wang") is None


def test_an_expired_or_revoked_code_is_refused(org, login_as, client):
    login_as("fangxing-mgr")
    expired, revoked = invite(client, org), invite(client, org)
    first, second = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    first.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert 'data-confirm="确定作废这个邀请码吗？' in html
    assert client.post(f"/orgs/{org.id}/invitations/revoke", data={"invitation": second.id}).status_code == 302
    login_as("trainee-wang")
    response = join(client, expired)
    assert response.status_code == 409 and "该邀请码已过期" in page_text(response)
    response = join(client, revoked)
    assert response.status_code == 409 and "该邀请码已作废" in page_text(response)
    assert linked_to("trainee-wang") is None


def test_a_made_up_code_is_refused(org, login_as, client):
    login_as("trainee-wang")
    response = join(client, "ABCD-EFGH-JKMN-PQRS")
    assert response.status_code == 422 and "邀请码无效" in page_text(response)
    response = join(client, "")
    assert response.status_code == 422 and "请填写邀请码" in page_text(response)
    assert linked_to("trainee-wang") is None


def test_a_contact_of_another_organization_cannot_redeem_and_the_code_stays_usable(org, make_org, users,
                                                                                   login_as, client):
    other = make_org(park="changqing", stage="incubating")
    users["contact-wu"].organization_id = other.id
    db.session.commit()
    login_as("fangxing-mgr")
    code = invite(client, org)
    login_as("contact-wu")
    response = join(client, code)
    assert response.status_code == 409 and "另一个组织的联系人" in page_text(response)
    assert linked_to("contact-wu") == other.id
    login_as("trainee-chen")
    assert join(client, code).status_code == 302


@pytest.mark.parametrize("username", ["expert-li", "changqing-mgr"])
def test_experts_and_managers_cannot_redeem(username, org, login_as, client):
    login_as("fangxing-mgr")
    code = invite(client, org)
    login_as(username)
    response = join(client, code)
    assert response.status_code == 422 and linked_to(username) is None
    assert db.session.scalar(select(Invitation)).used_at is None


def test_joining_needs_a_login(org, client, network):
    response = client.get("/portal/join")
    assert response.status_code == 302 and "/login" in response.location
    assert client.post("/portal/join", data={"code": "ABCD-EFGH-JKMN-PQRS"}).status_code == 302


def test_a_code_redeemed_by_two_at_once_makes_one_contact(org, users, ctx, monkeypatch):
    """Another redemption commits between our checks and our write: the conditional update refuses."""
    _invitation, code = contacts.create_invitation(org, user=users["fangxing-mgr"])
    check = contacts._check_candidate

    def and_meanwhile(org_, user, own=False):
        check(org_, user, own=own)
        db.session.execute(update(Invitation).values(used_at=utcnow(), used_by_id=users["trainee-wang"].id))
        db.session.commit()
    monkeypatch.setattr(contacts, "_check_candidate", and_meanwhile)
    with pytest.raises(Conflict):
        contacts.redeem(code, user=users["trainee-chen"])
    assert linked_to("trainee-chen") is None


# -- a stranger gets nothing ------------------------------------------------------------------------

def test_a_trainee_with_no_link_gets_nothing_of_the_organization(org, login_as, client):
    login_as("trainee-wang")
    assert client.get(f"/orgs/{org.id}").status_code == 403
    html = page_text(client.get("/portal"))
    assert "方兴邻里互助会" not in html and "你还不是任何组织的联系人。" in html and "邀请码" in html
    assert client.get(f"/api/v1/organizations/{org.id}").status_code == 401  # a session is not an API token


def test_existing_links_stay(org, users, login_as, client):
    """An account linked before this change (by the administrator or the demo) is still the contact."""
    users["contact-zhang"].organization_id = org.id
    db.session.commit()
    login_as("contact-zhang")
    html = page_text(client.get("/portal"))
    assert "方兴邻里互助会" in html


def test_odd_input_gets_an_answer_not_a_500(org, login_as, client):
    big = "99999999999999999999"
    for username in ("admin", "trainee-wang"):
        login_as(username)
        for path, data in ((f"/orgs/{org.id}/contacts/remove", {"contact": big}),
                           (f"/orgs/{org.id}/contacts/remove", {"contact": "abc"}),
                           (f"/orgs/{org.id}/invitations/revoke", {"invitation": big}),
                           (f"/orgs/{org.id}/contacts", {"contact-account": "\x00" + "x" * 500}),
                           ("/portal/join", {"code": "\x00"}), ("/portal/join", {"code": "Ж" * 5000})):
            assert client.post(path, data=data).status_code < 500, (username, path, data)
