"""Safety: CSRF on every form, escaped output, cookies, rate limits, no open redirects, hashed
passwords, and the audit log that records every write."""
import re
from datetime import timedelta

import pytest

from incubator.audit.models import AuditEntry
from incubator.errors import IllegalMove
from incubator.extensions import db
from incubator.organizations import services
from incubator.organizations.models import Organization

from .helpers import count_rows, page_text

SCRIPT = "<script>alert(1)</script>"


def csrf_token(html: str) -> str:
    """The token a page's form carries (the hidden input named csrf_token)."""
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def apply_form(parks, **fields):
    data = {"name": "滨湖乐龄互助会", "category": "社区社会组织", "registration_status": "unregistered",
            "contact_name": "王芳", "contact_phone": "13912345678", "park": parks["fangxing"].id}
    data.update(fields)
    return data


# -- CSRF --------------------------------------------------------------------------------------------

def test_a_form_post_without_csrf_token_is_refused(csrf_on, parks, make_org, client):
    make_org(park="fangxing", stage="applied")
    response = client.post("/login", data={"username": "admin", "password": "demo12345"})
    assert response.status_code == 400  # not logged in
    assert client.get("/dashboard").status_code == 302

    assert client.post("/apply", data=apply_form(parks)).status_code == 400
    assert count_rows(Organization) == 1


def test_pages_posts_need_the_token_even_when_logged_in(csrf_on, make_org, client):
    org = make_org(park="fangxing", stage="applied")
    html = page_text(client.get("/login"))
    token = csrf_token(html)
    response = client.post("/login", data={"username": "fangxing-mgr", "password": "demo12345", "csrf_token": token})
    assert response.status_code == 302
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "x"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "applied"
    # With the token the page carries, the same move goes through.
    token = csrf_token(page_text(client.get(f"/orgs/{org.id}")))
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "x",
                                                         "csrf_token": token})
    assert response.status_code == 302


def test_the_api_uses_bearer_tokens_not_csrf(csrf_on, api, client):
    response = client.post("/api/v1/organizations", headers=api("admin"), json={
        "name": "包河社工服务中心", "category": "社工服务类", "contact_name": "张芳", "contact_phone": "13912345678",
        "park": "fangxing"})
    assert response.status_code == 201


# -- escaping -----------------------------------------------------------------------------------------

def test_a_script_in_a_name_is_shown_as_text_everywhere(make_org, users, parks, client, login_as):
    org = make_org(park="fangxing", stage="applied", name=SCRIPT, description=SCRIPT, contact_name=SCRIPT)
    services.move(org, "reviewing", user=users["admin"], note=SCRIPT)
    login_as("fangxing-mgr")
    for url in ("/orgs", f"/orgs/{org.id}", "/dashboard", f"/orgs?q={SCRIPT}"):
        html = page_text(client.get(url))
        assert SCRIPT not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_a_script_in_an_application_is_escaped_on_the_confirmation(client, parks):
    html = page_text(client.post("/apply", data=apply_form(parks, name=SCRIPT)))
    assert SCRIPT not in html and "&lt;script&gt;" in html


def test_a_script_in_a_veto_reason_is_escaped(extra_plugin, make_org, client, login_as):
    from incubator import hookimpl

    class Veto:
        @hookimpl
        def incubator_transition_check(self):
            return [SCRIPT]

    extra_plugin(Veto())
    org = make_org(park="fangxing", stage="applied")
    login_as("fangxing-mgr")
    html = page_text(client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "x"}))
    assert SCRIPT not in html and "&lt;script&gt;" in html


# -- cookies and headers ---------------------------------------------------------------------------------

def test_the_session_cookie_is_http_only_and_same_site(client, network):
    response = client.post("/login", data={"username": "admin", "password": "demo12345"})
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_send_protective_headers(client, network):
    response = client.get("/parks")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] in ("SAMEORIGIN", "DENY")


# -- passwords and logging in ---------------------------------------------------------------------------

def test_passwords_are_stored_hashed(users):
    stored = users["admin"].password_hash
    assert "demo12345" not in stored and stored.startswith(("pbkdf2:", "scrypt:"))
    assert users["admin"].check_password("demo12345") and not users["admin"].check_password("demo1234")


def test_a_wrong_password_is_explained_without_saying_which_part_was_wrong(client, network):
    for username in ("admin", "no-such-user"):
        response = client.post("/login", data={"username": username, "password": "wrong-password"})
        assert response.status_code == 200 and "用户名或密码错误" in page_text(response)
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/orgs", "/orgs"),
    ("/orgs?stage=applied", "/orgs?stage=applied"),
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("/\\evil.example/phish", "/"),
    ("\\\\evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("http:/evil.example", "/"),
])
def test_login_redirects_only_within_the_site(target, expected, client, network):
    response = client.post("/login", query_string={"next": target},
                           data={"username": "fangxing-mgr", "password": "demo12345"})
    assert response.status_code == 302
    location = response.location.replace("http://localhost", "")
    assert location == expected or (expected == "/" and location in ("/", "/dashboard")), location
    assert "evil.example" not in response.location


def test_anonymous_visitors_are_sent_to_login_and_back(client, network):
    response = client.get("/orgs?stage=applied")
    assert response.status_code == 302 and "/login" in response.location
    response = client.post(response.location, data={"username": "fangxing-mgr", "password": "demo12345"})
    assert response.location.endswith("/orgs?stage=applied")


# -- rate limits ---------------------------------------------------------------------------------------

@pytest.fixture
def limited_client(rate_limited):
    return rate_limited(LOGIN_RATE_LIMIT="3 per minute", APPLY_RATE_LIMIT="2 per hour")


def test_repeated_login_attempts_are_slowed_down(limited_client):
    for _ in range(3):
        assert limited_client.post("/login", data={"username": "admin", "password": "guess"}).status_code == 200
    response = limited_client.post("/login", data={"username": "admin", "password": "demo12345"})
    assert response.status_code == 429
    assert "请求过于频繁" in page_text(response)
    assert limited_client.get("/login").status_code == 200  # only attempts are limited


def test_repeated_token_requests_are_limited_too(limited_client):
    for _ in range(3):
        limited_client.post("/api/v1/auth/token", json={"username": "admin", "password": "guess"})
    response = limited_client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo12345"})
    assert response.status_code == 429
    assert response.get_json()["errors"][0]["code"] == "TooManyRequests"


def test_repeated_applications_are_limited(limited_client, parks):
    for n in range(2):
        assert limited_client.post("/apply", data=apply_form(parks, name=f"申请组织{n}")).status_code == 200
    response = limited_client.post("/apply", data=apply_form(parks, name="第三个申请"))
    assert response.status_code == 429
    assert count_rows(Organization) == 2


def test_limits_are_off_again_for_the_other_tests(client, network):
    for _ in range(12):
        assert client.post("/login", data={"username": "admin", "password": "guess"}).status_code == 200


# -- the audit log ------------------------------------------------------------------------------------

def test_every_write_is_in_the_audit_log_for_the_admin(make_org, parks, users, client, login_as, api):
    headers = api("admin")
    created = client.post("/api/v1/organizations", headers=headers, json={
        "name": "审计测试服务社", "category": "社工服务类", "contact_name": "张芳", "contact_phone": "13912345678",
        "park": "fangxing"}).get_json()
    url = f"/api/v1/organizations/{created['id']}"
    client.patch(url, headers=headers, json={"service_area": "方兴社区"})
    for stage in ("reviewing", "incubating"):
        client.post(url + "/transitions", headers=headers, json={"to_stage": stage})
    org = db.session.get(Organization, created["id"])
    client.post(url + "/renewals", headers=headers,
                json={"new_due": (org.incubation_due + timedelta(days=90)).isoformat(), "reason": "延期"})
    client.post(url + "/transfers", headers=headers, json={"park": "district"})
    login_as("admin")
    client.post("/admin/parks/new", data={"code": "test-park", "name": "测试园区", "level": "community",
                                          "parent_id": parks["district"].id, "area_m2": 100})
    client.post("/admin/users/new", data={"username": "new-mgr", "role": "manager", "parks": [parks["fangxing"].id],
                                          "password": "long-enough-1", "active": "y"})
    client.post(f"/admin/parks/{parks['baogong'].id}", data={"code": "baogong", "name": "包公街道孵化基地（新）",
                                                            "level": "street", "parent_id": parks["district"].id})
    client.post(f"/admin/users/{users['expert-li'].id}", data={"username": "expert-li", "role": "expert",
                                                               "name": "李督导", "active": "y"})
    if "checklist" in _loaded():
        client.post("/admin/plugins/checklist", data={"scope": "none"})

    actions = [e.action for e in AuditEntry.query.order_by(AuditEntry.id)]
    for action in ("org.create", "org.edit", "org.transition", "org.renew", "org.transfer", "park.create",
                   "park.edit", "user.create", "user.edit", "user.login", "api.token"):
        assert action in actions, action
    if "checklist" in _loaded():
        assert "plugin.enablement" in actions
    entry = AuditEntry.query.filter_by(action="org.transfer").one()
    assert entry.user.username == "admin" and entry.object_id == str(created["id"]) and entry.ip == "127.0.0.1"

    html = page_text(client.get("/admin/audit"))
    assert "org.transfer" in html and "审计测试服务社" in html
    only_orgs = page_text(client.get("/admin/audit?action=org.")).split("<tbody", 1)[1]  # the rows, not the filter
    assert "org.renew" in only_orgs and "user.create" not in only_orgs
    login_as("fangxing-mgr")
    assert client.get("/admin/audit").status_code == 403


def test_a_refused_write_leaves_no_audit_entry(make_org, users):
    org = make_org(park="fangxing", stage="applied")
    before = count_rows(AuditEntry)
    with pytest.raises(IllegalMove):
        services.move(org, "graduated", user=users["admin"])
    assert count_rows(AuditEntry) == before


def _loaded():
    from incubator.plugins import registry
    return {info.name for info in registry().loaded()}


# -- shared helpers plugins rely on: Markdown and Excel ---------------------------------------------------

@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[点我](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))", "[点我](&#106;avascript:alert(1))", "[点我](vbscript:msgbox(1))",
    "[点我](data:text/html;base64,PHNjcmlwdD4=)", '<a href="javascript:alert(1)">x</a>',
])
def test_user_markdown_cannot_carry_scripts(text):
    from incubator.markdown import render_markdown
    html = str(render_markdown(text))
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html.lower()
    assert 'href="vbscript' not in html and 'href="data:' not in html


def test_user_markdown_keeps_its_formatting():
    from incubator.markdown import render_markdown
    html = str(render_markdown("**督导要点**\n\n- 建立台账\n- [章程](https://example.org/charter)\n\n| 项目 | 分数 |\n|---|---|\n| 治理 | 80 |"))
    assert "<strong>督导要点</strong>" in html and "<li>建立台账</li>" in html
    assert '<a href="https://example.org/charter">' in html and "<table>" in html


def test_an_excel_export_never_runs_user_input_or_breaks_on_it():
    from io import BytesIO

    from openpyxl import load_workbook

    from incubator.exports import workbook_bytes
    rows = [["=HYPERLINK(\"http://evil.example\")"], ["+1+2"], ["-3"], ["@SUM(A1)"], ["\t=1"], ["铃\x01声\x08"],
            ["包河社工服务中心"], [42]]
    book = load_workbook(BytesIO(workbook_bytes({"组织": (["名称"], rows)})))
    values = [row[0].value for row in book["组织"].iter_rows(min_row=2)]
    assert [row[0].data_type for row in book["组织"].iter_rows(min_row=2)][:6] == ["s"] * 6  # no formulas
    assert values == ["'=HYPERLINK(\"http://evil.example\")", "'+1+2", "'-3", "'@SUM(A1)", "'\t=1", "铃声",
                      "包河社工服务中心", 42]


def test_an_export_download_keeps_its_chinese_file_name(app, ctx):
    from incubator.exports import XLSX, xlsx_response
    response = xlsx_response("方兴社区组织名单.xlsx", ["名称"], [["包河社工服务中心"]])
    assert response.mimetype == XLSX
    assert "filename*=UTF-8''%E6%96%B9%E5%85%B4" in response.headers["Content-Disposition"]
