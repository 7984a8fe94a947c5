"""Passwords: a person changes their own from 我的 (/me); the administrator resets someone's from the
user's page. A new password has at least 8 characters, is not the username and not a common one;
the log says that it changed, never what it is."""
import pytest

from incubator.audit.models import AuditEntry
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.testing import PASSWORD
from incubator.users import passwords, services
from incubator.users.models import User

from .helpers import page_text


def fresh(username) -> User:
    db.session.expire_all()
    return services.by_username(username)


def change(client, current=PASSWORD, new="gardens-of-baohe", confirm=None):
    return client.post("/me/password", data={"current_password": current, "new_password": new,
                                             "confirm": new if confirm is None else confirm})


# -- the rule ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, problem", [
    ("short7!", "密码至少8位"),
    ("changqing-mgr", "密码不能与用户名相同"),
    ("CHANGQING-MGR", "密码不能与用户名相同"),
    ("12345678", "这个密码太常见"),
    ("Password", "这个密码太常见"),
    ("demo12345", "这个密码太常见"),
    ("aaaaaaaaaa", "这个密码太常见"),
])
def test_a_weak_new_password_is_refused_with_its_reason(password, problem, ctx):
    assert problem in passwords.password_problem(password, "changqing-mgr")


def test_a_decent_password_passes_and_generated_ones_are_random(ctx):
    assert passwords.password_problem("gardens-of-baohe", "changqing-mgr") is None
    made = {passwords.generate() for _ in range(20)}
    assert len(made) == 20
    assert all(len(p) == 12 and passwords.password_problem(p, "x") is None for p in made)


def test_the_demo_accounts_still_log_in_with_their_common_password(client, network):
    response = client.post("/login", data={"username": "changqing-mgr", "password": PASSWORD})
    assert response.status_code == 302  # existing passwords are not judged again


# -- changing one's own password -------------------------------------------------------------------------

def test_a_user_changes_their_own_password_from_their_page(client, login_as):
    login_as("changqing-mgr")
    me = page_text(client.get("/me"))
    assert 'href="/me/password"' in me and "修改密码" in me
    form = page_text(client.get("/me/password"))
    assert "当前密码" in form and "再次输入新密码" in form

    response = change(client)
    assert response.status_code == 302 and response.location.endswith("/me")
    assert "密码已修改" in page_text(client.get("/me"))
    user = fresh("changqing-mgr")
    assert user.check_password("gardens-of-baohe") and not user.check_password(PASSWORD)

    client.post("/logout")
    refused = client.post("/login", data={"username": "changqing-mgr", "password": PASSWORD})
    assert refused.status_code == 200 and "用户名或密码错误" in page_text(refused)
    assert client.post("/login", data={"username": "changqing-mgr", "password": "gardens-of-baohe"}).status_code == 302


@pytest.mark.parametrize("fields, message", [
    ({"current": "not-my-password"}, "当前密码不正确"),
    ({"new": "12345678"}, "这个密码太常见"),
    ({"new": "demo12345"}, "这个密码太常见"),
    ({"new": "changqing-mgr"}, "密码不能与用户名相同"),
    ({"new": "short"}, "密码至少8位"),
    ({"new": "gardens-of-baohe", "confirm": "gardens-of-hefei"}, "两次输入的新密码不一致"),
])
def test_a_refused_change_says_why_and_keeps_the_old_password(fields, message, client, login_as):
    login_as("changqing-mgr")
    response = change(client, **fields)
    assert response.status_code == 200 and message in page_text(response)
    assert fresh("changqing-mgr").check_password(PASSWORD)
    assert AuditEntry.query.filter_by(action="user.password").count() == 0


def test_the_new_password_must_differ_from_the_current_one(users, ctx):
    user = users["expert-li"]
    user.set_password("gardens-of-baohe")
    db.session.commit()
    with pytest.raises(ValidationError, match="新密码不能与当前密码相同"):
        services.change_password(user, "gardens-of-baohe", "gardens-of-baohe")


def test_changing_a_password_needs_a_login(client, network):
    response = client.post("/me/password", data={"current_password": PASSWORD, "new_password": "gardens-of-baohe",
                                                 "confirm": "gardens-of-baohe"})
    assert response.status_code == 302 and "/login" in response.location
    assert fresh("admin").check_password(PASSWORD)


def test_the_change_is_audited_without_the_password(client, login_as):
    login_as("trainee-wang")
    change(client)
    entry = AuditEntry.query.filter_by(action="user.password").one()
    assert entry.user.username == "trainee-wang" and entry.object_id == str(entry.user_id)
    assert "gardens-of-baohe" not in repr(entry.details) + entry.summary
    assert PASSWORD not in repr(entry.details) + entry.summary


# -- the administrator resets a password -------------------------------------------------------------------

def test_the_admin_resets_a_password_to_one_they_type(users, client, login_as):
    target = users["expert-zhou"]
    login_as("admin")
    page = page_text(client.get(f"/admin/users/{target.id}"))
    assert f'action="/admin/users/{target.id}/password"' in page and "data-confirm=" in page and "重置密码" in page
    assert 'name="password"' not in page  # the edit form itself no longer changes passwords

    response = client.post(f"/admin/users/{target.id}/password", data={"new_password": "river-park-2026"})
    assert response.status_code == 302
    assert "已重置 expert-zhou 的密码" in page_text(client.get(response.location))
    assert fresh("expert-zhou").check_password("river-park-2026")
    entry = AuditEntry.query.filter_by(action="user.password_reset").one()
    assert entry.user.username == "admin" and entry.object_id == str(target.id)
    assert "river-park-2026" not in repr(entry.details) + entry.summary


def test_the_admin_resets_a_password_to_a_generated_one_shown_once(users, client, login_as):
    target = users["expert-zhou"]
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/password", data={"new_password": ""})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = page_text(response)
    assert "只显示这一次" in html
    shown = html.split('id="generated-password">', 1)[1].split("<", 1)[0]
    assert len(shown) == 12 and fresh("expert-zhou").check_password(shown)
    assert shown not in page_text(client.get(f"/admin/users/{target.id}"))  # once only
    entry = AuditEntry.query.filter_by(action="user.password_reset").one()
    assert entry.details == {"generated": True} and shown not in entry.summary

    other = client.application.test_client()
    assert other.post("/login", data={"username": "expert-zhou", "password": shown}).status_code == 302


def test_a_weak_reset_password_is_refused(users, client, login_as):
    target = users["expert-zhou"]
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/password", data={"new_password": "password"})
    assert response.status_code == 200 and "这个密码太常见" in page_text(response)
    assert fresh("expert-zhou").check_password(PASSWORD)


def test_only_the_admin_resets_passwords(users, client, login_as):
    login_as("changqing-mgr")
    response = client.post(f"/admin/users/{users['expert-zhou'].id}/password", data={"new_password": "river-park-2026"})
    assert response.status_code == 403
    assert fresh("expert-zhou").check_password(PASSWORD)
    login_as("admin")
    assert client.post("/admin/users/999999/password", data={"new_password": "river-park-2026"}).status_code == 404


def test_a_new_users_password_follows_the_same_rule(parks, client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={"username": "binhu-mgr", "role": "manager", "active": "y",
                                                     "parks": [parks["binhu-shiji"].id], "password": "12345678"})
    assert response.status_code == 200 and "这个密码太常见" in page_text(response)
    assert services.by_username("binhu-mgr") is None


def test_the_login_page_asks_only_for_username_password_and_remember_me(client, network):
    html = page_text(client.get("/login"))
    for label in ("用户名", "密码", "记住我", "登录"):
        assert label in html
    assert "所属组织编号" not in html and 'name="organization_id"' not in html
