"""Who may do what: every role against every action, in the pages and in the API alike.

The organization under test belongs to 方兴社区 (fangxing). Its manager may act on it; the manager of
常青街道 (changqing) may not; experts and trainees have no core rights; the public must log in.
"""
from datetime import timedelta

import pytest

from incubator.extensions import db
from incubator.organizations.models import Organization

from .helpers import count_rows, page_text

ROLES = ["admin", "fangxing-mgr", "changqing-mgr", "expert-li", "trainee-wang", None]  # None: anonymous
ORG_ACTIONS = ["list", "view", "create", "edit", "move", "renew", "transfer"]
PAGE_ONLY = ["dashboard", "admin-parks", "admin-users", "admin-plugins", "admin-audit"]

ALLOWED = {
    "admin": set(ORG_ACTIONS + PAGE_ONLY),
    "fangxing-mgr": set(ORG_ACTIONS + ["dashboard"]),
    # May list (only their own parks' organizations) and create in their own park; nothing on fangxing's.
    "changqing-mgr": {"list", "dashboard"},
    "expert-li": set(),
    "trainee-wang": set(),
    None: set(),
}

NEW_ORG = {"name": "方兴为老服务社", "category": "社区社会组织", "contact_name": "李敏",
           "contact_phone": "13800000001", "registration_status": "unregistered"}


@pytest.fixture
def org(make_org):
    return make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")


def page_request(client, action, org, parks):
    """Perform `action` through the pages; returns the response."""
    due = (org.incubation_due + timedelta(days=100)).isoformat()
    fangxing_form = dict(NEW_ORG, park=parks["fangxing"].id)
    return {
        "list": lambda: client.get("/orgs"),
        "view": lambda: client.get(f"/orgs/{org.id}"),
        "create": lambda: client.post("/orgs/new", data=fangxing_form),
        "edit": lambda: client.post(f"/orgs/{org.id}/edit", data=dict(NEW_ORG, name="改名互助会")),
        "move": lambda: client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "virtual", "move-note": "转壳外"}),
        "renew": lambda: client.post(f"/orgs/{org.id}/renew", data={"renew-new_due": due, "renew-reason": "续驻"}),
        "transfer": lambda: client.post(f"/orgs/{org.id}/transfer", data={"transfer-park": parks["district"].id}),
        "dashboard": lambda: client.get("/dashboard"),
        "admin-parks": lambda: client.get("/admin/parks"),
        "admin-users": lambda: client.get("/admin/users"),
        "admin-plugins": lambda: client.get("/admin/plugins"),
        "admin-audit": lambda: client.get("/admin/audit"),
    }[action]()


def api_request(client, action, org, headers):
    base = f"/api/v1/organizations/{org.id}"
    due = (org.incubation_due + timedelta(days=100)).isoformat()
    return {
        "list": lambda: client.get("/api/v1/organizations", headers=headers),
        "view": lambda: client.get(base, headers=headers),
        "create": lambda: client.post("/api/v1/organizations", headers=headers, json=dict(NEW_ORG, park="fangxing")),
        "edit": lambda: client.patch(base, headers=headers, json={"name": "改名互助会"}),
        "move": lambda: client.post(base + "/transitions", headers=headers, json={"to_stage": "virtual"}),
        "renew": lambda: client.post(base + "/renewals", headers=headers, json={"new_due": due, "reason": "续驻"}),
        "transfer": lambda: client.post(base + "/transfers", headers=headers, json={"park": "district"}),
    }[action]()


def org_unchanged(org_id):
    db.session.expire_all()
    org = db.session.get(Organization, org_id)
    return org.name == "方兴邻里互助会" and org.stage == "incubating" and org.park.code == "fangxing"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_pages_allow_exactly_what_the_role_may_do(role, make_org, parks, client, login_as):
    if role:
        login_as(role)
    wrong = []
    for action in ORG_ACTIONS + PAGE_ONLY:
        org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")  # a fresh one for each action
        org_id, orgs_before = org.id, count_rows(Organization)
        response = page_request(client, action, org, parks)
        status, location = response.status_code, response.location or ""
        if action in ALLOWED[role]:
            ok = status == 200 or (status == 302 and "/login" not in location)
        elif role is None:
            ok = status == 302 and "/login" in location
        else:
            ok = status == 403
        if action not in ALLOWED[role]:
            ok = ok and org_unchanged(org_id) and count_rows(Organization) == orgs_before
        if not ok:
            wrong.append((action, status, location))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_the_api_allows_exactly_what_the_role_may_do(role, make_org, client, api):
    headers = api(role) if role else {}
    wrong = []
    for action in ORG_ACTIONS:
        org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
        org_id, orgs_before = org.id, count_rows(Organization)
        response = api_request(client, action, org, headers)
        body = response.get_json()
        if action in ALLOWED[role]:
            ok = response.status_code in (200, 201)
        else:
            ok = (response.status_code == (401 if role is None else 403) and body["errors"][0]["message"]
                  and org_unchanged(org_id) and count_rows(Organization) == orgs_before)
        if not ok:
            wrong.append((action, response.status_code, body))
    assert wrong == []


def test_anonymous_api_calls_say_how_to_authenticate(client, org):
    response = client.get("/api/v1/organizations")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["errors"][0]["code"] == "Unauthorized"


def test_a_session_cookie_does_not_authenticate_the_api(client, login_as, org):
    login_as("admin")
    assert client.get(f"/orgs/{org.id}").status_code == 200
    assert client.get(f"/api/v1/organizations/{org.id}").status_code == 401


def test_a_manager_creates_only_in_their_own_parks(parks, client, login_as, api):
    login_as("changqing-mgr")
    before = count_rows(Organization)
    response = client.post("/orgs/new", data=dict(NEW_ORG, park=parks["fangxing"].id))
    assert response.status_code == 403
    assert count_rows(Organization) == before
    response = client.post("/orgs/new", data=dict(NEW_ORG, park=parks["changqing"].id))
    assert response.status_code == 302
    response = client.post("/api/v1/organizations", headers=api("changqing-mgr"),
                           json=dict(NEW_ORG, name="常青睦邻会", park="changqing"))
    assert response.status_code == 201
    assert count_rows(Organization) == before + 2


def test_the_create_form_offers_only_the_managers_parks(client, login_as):
    login_as("wannianbu-mgr")
    html = page_text(client.get("/orgs/new"))
    for name in ("万年埠街道社会组织孵化园", "云华社区睦邻中心孵化点", "万慈社区孵化点"):
        assert name in html
    assert "方兴社区社会组织孵化基地" not in html


def test_a_managers_list_shows_only_their_parks(make_org, parks, client, login_as, api):
    make_org(park="fangxing", name="方兴组织甲")
    make_org(park="changqing", name="常青组织乙")
    make_org(park="yunhua", name="云华组织丙")
    make_org(park="wanci", name="万慈组织丁")
    login_as("wannianbu-mgr")
    html = page_text(client.get("/orgs"))
    assert "云华组织丙" in html and "万慈组织丁" in html
    assert "方兴组织甲" not in html and "常青组织乙" not in html
    # Asking for another park's organizations by filter shows nothing either.
    assert "常青组织乙" not in page_text(client.get(f"/orgs?park={parks['changqing'].id}"))

    body = client.get("/api/v1/organizations", headers=api("wannianbu-mgr")).get_json()
    assert sorted(o["name"] for o in body["items"]) == ["万慈组织丁", "云华组织丙"] and body["total"] == 2
    body = client.get("/api/v1/organizations?park=changqing", headers=api("wannianbu-mgr")).get_json()
    assert body["items"] == [] and body["total"] == 0
    body = client.get("/api/v1/organizations", headers=api("admin")).get_json()
    assert body["total"] == 4


def test_a_managers_dashboard_counts_only_their_parks(make_org, client, login_as):
    make_org(park="fangxing", stage="reviewing")
    make_org(park="changqing", stage="reviewing")
    make_org(park="changqing", stage="reviewing")
    login_as("fangxing-mgr")
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert client.get("/dashboard?park=changqing").status_code == 404
    login_as("changqing-mgr")
    assert client.get("/dashboard?park=changqing").status_code == 200


def test_the_organization_page_shows_actions_only_to_who_may_use_them(org, client, login_as):
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert f"/orgs/{org.id}/move" in html and f"/orgs/{org.id}/edit" in html and f"/orgs/{org.id}/renew" in html


def test_admin_menu_only_for_admins(client, login_as):
    login_as("fangxing-mgr")
    assert "/admin/users" not in page_text(client.get("/dashboard"))
    login_as("admin")
    assert "/admin/users" in page_text(client.get("/dashboard"))


def test_experts_and_trainees_have_their_own_page_but_no_workbench(client, login_as):
    for username in ("expert-li", "trainee-wang"):
        login_as(username)
        assert client.get("/me").status_code == 200
        assert client.get("/dashboard").status_code == 403
        assert client.get("/", follow_redirects=False).location.endswith("/parks")


def test_a_missing_organization_is_404_not_403(client, login_as, api):
    login_as("fangxing-mgr")
    assert client.get("/orgs/999999").status_code == 404
    response = client.get("/api/v1/organizations/999999", headers=api("fangxing-mgr"))
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["code"] == "NotFound"


def test_the_fangxing_manager_cannot_touch_a_changqing_organization(make_org, client, login_as, api):
    org = make_org(park="changqing", stage="incubating", name="常青睦邻服务社")
    login_as("fangxing-mgr")
    assert client.get(f"/orgs/{org.id}").status_code == 403
    assert client.get(f"/orgs/{org.id}/edit").status_code == 403
    assert client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "exited", "move-note": "x"}).status_code == 403
    headers = api("fangxing-mgr")
    for method, path, body in [("get", "", None), ("patch", "", {"name": "x"}), ("get", "/transitions", None),
                               ("post", "/transitions", {"to_stage": "exited"})]:
        response = getattr(client, method)(f"/api/v1/organizations/{org.id}{path}", headers=headers, json=body)
        assert response.status_code == 403, (method, path)
        assert response.get_json()["errors"][0]["code"] == "Forbidden"
    assert "常青睦邻服务社" not in page_text(client.get("/orgs?q=常青"))
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "incubating"
