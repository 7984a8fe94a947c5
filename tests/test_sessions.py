"""Sessions and API tokens that can be ended (issue 10): logout, a password change (one's own or the
administrator's reset) and the administrator's 退出所有登录 end every session, remember-me cookie and
API token of that user; a user lists their own API tokens on 我的 and revokes one. Logout is a POST,
and the CSRF token is a new one after login."""
from datetime import timedelta

from sqlalchemy import update

from incubator.audit.models import AuditEntry
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.testing import PASSWORD, login
from incubator.users.models import ApiToken

from .helpers import page_text
from .test_security import csrf_token

ORGS = "/api/v1/organizations"


def other_device(app, **cookies):
    """A second browser holding copies of the given cookies (e.g. stolen, or a forgotten computer)."""
    device = app.test_client()
    for name, value in cookies.items():
        device.set_cookie(name, value, domain="localhost")
    return device


def cookie(client, name="session") -> str:
    found = client.get_cookie(name, domain="localhost")
    assert found is not None, f"no {name} cookie"
    return found.value


def logged_in(client) -> bool:
    response = client.get("/me")
    if response.status_code == 302:
        assert "/login" in response.location
        return False
    assert response.status_code == 200
    return True


def token_for(client, username, password=PASSWORD) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def works(client, headers) -> bool:
    """Whether the token is taken (a trainee is then refused the list with 403, not 401)."""
    status = client.get(ORGS, headers=headers).status_code
    assert status in (200, 401, 403)
    return status != 401


# -- logout --------------------------------------------------------------------------------------------

def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, client, login_as):
    login_as("fangxing-mgr")
    copied = cookie(client)
    assert logged_in(other_device(app, session=copied))  # the copy works while the session lasts

    assert client.post("/logout").status_code == 302
    assert not logged_in(client)
    assert not logged_in(other_device(app, session=copied))


def test_logout_ends_the_users_api_tokens_and_other_sessions(app, client, login_as):
    headers = token_for(client, "fangxing-mgr")
    phone = app.test_client()
    login(phone, "fangxing-mgr")
    login_as("fangxing-mgr")
    assert works(client, headers) and logged_in(phone)

    client.post("/logout")
    assert not works(client, headers)
    assert not logged_in(phone)


def test_a_cookie_from_before_the_upgrade_with_a_bare_id_is_refused(app, client, users):
    """Sessions issued before session generations carried only the user's id."""
    with client.session_transaction() as session:
        session["_user_id"] = str(users["admin"].id)
        session["_fresh"] = True
    assert not logged_in(client)


def test_logout_is_a_post_only(client, login_as):
    login_as("fangxing-mgr")
    response = client.get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert logged_in(client)  # a link (or an image on some page) cannot log anyone out
    response = client.post("/logout")
    assert response.status_code == 302 and not logged_in(client)


def test_the_menu_logs_out_with_a_form_post(client, login_as):
    login_as("fangxing-mgr")
    html = page_text(client.get("/me"))
    assert '<form method="post" action="/logout">' in html
    assert 'href="/logout"' not in html


def test_the_csrf_token_is_renewed_at_login(csrf_on, client, network):
    before = csrf_token(page_text(client.get("/login")))
    response = client.post("/login", data={"username": "fangxing-mgr", "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302

    # The token from the login page (seen before logging in) is no good any more…
    refused = client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400 and "页面已过期" in page_text(refused)
    assert logged_in(client)
    # …the one the pages show now is.
    after = csrf_token(page_text(client.get("/me")))
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
    assert not logged_in(client)


# -- a password change ---------------------------------------------------------------------------------

def change_password(client, new="gardens-of-baohe"):
    return client.post("/me/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})


def test_a_remember_me_cookie_stops_working_after_a_password_change(app, client, network):
    response = client.post("/login", data={"username": "changqing-mgr", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    remembered = cookie(client, "remember_token")
    laptop = other_device(app, remember_token=remembered)  # a year-long cookie on another computer
    assert logged_in(laptop)

    response = change_password(client)
    assert response.status_code == 302 and response.location.endswith("/me")
    assert logged_in(client)  # the browser that changed it stays logged in
    assert not logged_in(laptop)  # the session the cookie opened there ended…
    assert not logged_in(other_device(app, remember_token=remembered))  # …and the cookie opens no new one
    # This browser's own remember-me cookie was renewed with it.
    assert logged_in(other_device(app, remember_token=cookie(client, "remember_token")))


def test_api_tokens_stop_working_after_a_password_change(client, login_as):
    headers = token_for(client, "changqing-mgr")
    assert works(client, headers)
    login_as("changqing-mgr")
    assert change_password(client).status_code == 302
    assert not works(client, headers)
    assert "其他设备上的登录和接口令牌均已失效" in page_text(client.get("/me"))
    assert works(client, token_for(client, "changqing-mgr", "gardens-of-baohe"))


def test_the_administrators_reset_ends_the_users_sessions_and_tokens(app, client, login_as, users):
    phone = app.test_client()
    login(phone, "expert-li")
    headers = token_for(phone, "expert-li")
    login_as("admin")
    response = client.post(f"/admin/users/{users['expert-li'].id}/password", data={"new_password": "a-fresh-secret"})
    assert response.status_code == 302
    assert not logged_in(phone) and not works(phone, headers)
    assert logged_in(client)


def test_an_administrator_resetting_their_own_password_stays_logged_in(client, login_as, users):
    login_as("admin")
    response = client.post(f"/admin/users/{users['admin'].id}/password", data={"new_password": "a-fresh-secret"})
    assert response.status_code == 302 and logged_in(client)


# -- 退出所有登录 -----------------------------------------------------------------------------------------

def test_sign_out_everywhere_ends_every_session_and_token_of_the_user(app, client, login_as, users):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "trainee-wang")
    laptop.post("/login", data={"username": "trainee-wang", "password": PASSWORD, "remember": "y"})
    remembered = cookie(laptop, "remember_token")
    headers = token_for(phone, "trainee-wang")
    other = token_for(phone, "trainee-chen")
    login_as("admin")
    page = page_text(client.get(f"/admin/users/{users['trainee-wang'].id}"))
    assert "退出所有登录" in page and 'data-confirm="确定退出 trainee-wang 的所有登录吗？' in page

    response = client.post(f"/admin/users/{users['trainee-wang'].id}/sign-out")
    assert response.status_code == 302 and response.location.endswith(f"/admin/users/{users['trainee-wang'].id}")
    assert "已退出 trainee-wang 的所有登录" in page_text(client.get(response.location))
    assert not logged_in(phone) and not logged_in(laptop)
    assert not logged_in(other_device(app, remember_token=remembered))
    assert not works(client, headers)
    assert works(client, other)  # nobody else's
    assert logged_in(client)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user.sign_out_all"))
    assert entry.object_id == str(users["trainee-wang"].id) and entry.user_id == users["admin"].id
    # And the person simply logs in again.
    login(phone, "trainee-wang")
    assert logged_in(phone)


def test_only_the_administrator_signs_others_out(app, client, login_as, users):
    phone = app.test_client()
    login(phone, "trainee-wang")
    login_as("fangxing-mgr")
    assert client.post(f"/admin/users/{users['trainee-wang'].id}/sign-out").status_code == 403
    assert logged_in(phone)


def test_an_administrator_signing_themselves_out_everywhere_stays_logged_in_here(app, client, login_as, users):
    elsewhere = app.test_client()
    login(elsewhere, "admin")
    login_as("admin")
    assert client.post(f"/admin/users/{users['admin'].id}/sign-out").status_code == 302
    assert logged_in(client) and not logged_in(elsewhere)


# -- one's own API tokens on 我的 -------------------------------------------------------------------------

def test_a_user_lists_their_tokens_and_revoking_one_leaves_the_others(client, login_as, users):
    first, second = token_for(client, "trainee-wang"), token_for(client, "trainee-wang")
    someone_elses = token_for(client, "trainee-chen")
    assert works(client, first)
    login_as("trainee-wang")
    page = page_text(client.get("/me"))
    assert "我的接口令牌" in page and page.count(">作废</button>") == 2 and "未使用" in page
    assert 'data-confirm="确定作废这个接口令牌吗？' in page

    mine = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == users["trainee-wang"].id)
                              .order_by(ApiToken.id)).all()
    assert mine[0].last_used_at is not None and mine[1].last_used_at is None
    response = client.post(f"/me/tokens/{mine[0].id}/revoke")
    assert response.status_code == 302 and response.location.endswith("/me")
    assert not works(client, first)
    assert works(client, second) and works(client, someone_elses)
    page = page_text(client.get("/me"))
    assert "已作废该接口令牌" in page and page.count(">作废</button>") == 1
    assert db.session.scalar(db.select(AuditEntry.action).where(AuditEntry.action == "api.token_revoke"))


def test_another_users_token_cannot_be_revoked_or_seen(client, login_as, users):
    theirs = token_for(client, "trainee-chen")
    login_as("trainee-wang")
    assert "我的接口令牌" not in page_text(client.get("/me"))
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == users["trainee-chen"].id))
    assert client.post(f"/me/tokens/{token.id}/revoke").status_code == 404
    assert client.post("/me/tokens/999999/revoke").status_code == 404
    assert works(client, theirs)


def test_expired_tokens_are_not_listed_and_go_at_the_next_request(client, login_as, users):
    token_for(client, "trainee-wang")
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    login_as("trainee-wang")
    assert "我的接口令牌" not in page_text(client.get("/me"))
    token_for(client, "trainee-wang")
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 1


def test_last_used_is_written_now_and_then_not_on_every_request(app, client, network, monkeypatch):
    headers = token_for(client, "admin")
    assert works(client, headers)
    used = db.session.scalar(db.select(ApiToken.last_used_at))
    assert used is not None
    assert works(client, headers)
    db.session.expire_all()
    assert db.session.scalar(db.select(ApiToken.last_used_at)) == used  # within API_TOKEN_USE_PRECISION
    monkeypatch.setitem(app.config, "API_TOKEN_USE_PRECISION", 0)
    assert works(client, headers)
    db.session.expire_all()
    assert db.session.scalar(db.select(ApiToken.last_used_at)) > used
