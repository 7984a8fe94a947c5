"""The JSON API under /api/v1: tokens, parks, organizations and their history, every error status,
the generated OpenAPI document, and /healthz."""
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from incubator import create_app
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.testing import test_config
from incubator.users.models import ApiToken
from incubator.validators import make_uscc

from .helpers import count_rows

USCC = make_uscc("52340111MJ0000017")
NEW_ORG = {"name": "包河社工服务中心", "category": "社工服务类", "contact_name": "张芳",
           "contact_phone": "13912345678", "park": "fangxing"}


def assert_errors(response, status, code=None, field=None):
    """The error format: {"errors": [{"message", "code", "field"?}, ...]} with the right status."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"errors"} and body["errors"], body
    for error in body["errors"]:
        assert error["message"] and error["code"]
    if code:
        assert code in [e["code"] for e in body["errors"]], body
    if field:
        assert field in [e.get("field") for e in body["errors"]], body
    return body["errors"]


# -- tokens ----------------------------------------------------------------------------------------

def test_a_user_exchanges_password_for_a_token(client, network):
    response = client.post("/api/v1/auth/token", json={"username": "fangxing-mgr", "password": "demo12345"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "fangxing-mgr" and body["role"] == "manager" and len(body["token"]) > 30
    assert "password" not in body
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/organizations", headers=headers).status_code == 200


@pytest.mark.parametrize("credentials", [{"username": "admin", "password": "wrong"},
                                         {"username": "nobody", "password": "demo12345"}])
def test_wrong_credentials_get_401(credentials, client, network):
    assert_errors(client.post("/api/v1/auth/token", json=credentials), 401, "Unauthorized")


def test_a_token_request_without_password_is_422(client, network):
    assert_errors(client.post("/api/v1/auth/token", json={"username": "admin"}), 422, field="password")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic YWRtaW46ZGVtbzEyMzQ1", "bearer  "])
def test_missing_or_bad_tokens_get_401(header, client, network):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/organizations", headers=headers)
    assert_errors(response, 401, "Unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_gets_401(client, api):
    headers = api("admin")
    assert client.get("/api/v1/organizations", headers=headers).status_code == 200
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert_errors(client.get("/api/v1/organizations", headers=headers), 401)


def test_a_deactivated_users_token_stops_working(client, api, users):
    headers = api("fangxing-mgr")
    users["fangxing-mgr"].active = False
    db.session.commit()
    assert_errors(client.get("/api/v1/organizations", headers=headers), 401)
    assert_errors(client.post("/api/v1/auth/token", json={"username": "fangxing-mgr", "password": "demo12345"}), 401)


def test_only_the_tokens_hash_is_stored(client, network):
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo12345"}).get_json()["token"]
    stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert token not in stored and ApiToken.hash(token) in stored


# -- parks -----------------------------------------------------------------------------------------

def test_anyone_lists_the_nine_parks_in_tree_order(client, network):
    response = client.get("/api/v1/parks")
    assert response.status_code == 200
    parks = response.get_json()["items"]
    assert [p["code"] for p in parks] == ["district", "changqing", "baogong", "wannianbu", "yunhua", "wanci",
                                         "binhu-shiji", "fangxing", "binhu-mingzhu"]
    by_code = {p["code"]: p for p in parks}
    assert by_code["district"]["parent"] is None and by_code["district"]["level"] == "district"
    assert by_code["yunhua"]["parent"] == "wannianbu"
    assert sum(p["area_m2"] for p in parks) == 8000


def test_one_park_by_code_and_its_page(client, network):
    body = client.get("/api/v1/parks/fangxing").get_json()
    assert body["name"] == "方兴社区社会组织孵化基地" and body["parent"] == "district"
    assert body["html_url"] == "http://localhost/parks/fangxing"
    page = client.get(body["html_url"])
    assert page.status_code == 200 and "方兴社区社会组织孵化基地" in page.get_data(as_text=True)
    assert_errors(client.get("/api/v1/parks/nowhere"), 404, "NotFound")


# -- organizations: create, read, change ---------------------------------------------------------------

def test_manager_registers_an_organization_and_opens_its_page(client, api, login_as):
    response = client.post("/api/v1/organizations", headers=api("fangxing-mgr"), json=dict(NEW_ORG, uscc=USCC))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["stage"] == "applied" and body["stage_label"] == "申请" and body["park"] == "fangxing"
    assert body["uscc"] == USCC and body["registration_status"] == "unregistered" and body["overdue"] is False
    assert body["html_url"] == f"http://localhost/orgs/{body['id']}"
    assert client.get(f"/api/v1/organizations/{body['id']}", headers=api("fangxing-mgr")).get_json() == body
    login_as("fangxing-mgr")
    page = client.get(body["html_url"])
    assert page.status_code == 200 and "包河社工服务中心" in page.get_data(as_text=True)
    history = client.get(f"/api/v1/organizations/{body['id']}/transitions", headers=api("fangxing-mgr")).get_json()["items"]
    assert [(t["from_stage"], t["to_stage"]) for t in history] == [(None, "applied")]


def test_lower_case_uscc_is_stored_upper_case(client, api):
    response = client.post("/api/v1/organizations", headers=api("admin"), json=dict(NEW_ORG, uscc=USCC.lower()))
    assert response.status_code == 201 and response.get_json()["uscc"] == USCC


def test_patch_changes_only_the_given_fields(client, api, make_org):
    org = make_org(park="fangxing", name="旧名称服务社", service_area="方兴社区")
    headers = api("fangxing-mgr")
    response = client.patch(f"/api/v1/organizations/{org.id}", headers=headers,
                            json={"name": "滨湖睦邻服务社", "founded_on": "2020-05-01"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["founded_on"], body["service_area"]) == ("滨湖睦邻服务社", "2020-05-01", "方兴社区")
    # The pinyin initials follow the new name.
    found = client.get("/api/v1/organizations?q=bhml", headers=headers).get_json()["items"]
    assert [o["id"] for o in found] == [org.id]


@pytest.fixture
def searchable(make_org):
    return {
        "bhsg": make_org(park="fangxing", stage="incubating", name="包河社工服务中心", uscc=USCC,
                         category="社工服务类"),
        "old": make_org(park="changqing", stage="incubating", name="常青为老服务社", category="社区社会组织",
                        incubation_start=date.today() - timedelta(days=800),
                        incubation_due=date.today() - timedelta(days=70)),
        "new": make_org(park="changqing", stage="applied", name="常青亲子文化协会", category="文体类"),
    }


@pytest.mark.parametrize("query, expected", [
    ("q=包河社工", ["bhsg"]), ("q=bhsg", ["bhsg"]), ("q=BHSG", ["bhsg"]), (f"q={USCC}", ["bhsg"]),
    (f"q={USCC[:12].lower()}", ["bhsg"]), (f"q={USCC[4:12]}", []),  # a USCC by its beginning ("q=常青", ["new", "old"]), ("q=cq", ["new", "old"]), ("q=%25", []),
    ("q=_", []), ("park=changqing", ["new", "old"]), ("stage=incubating", ["old", "bhsg"]),
    ("category=文体类", ["new"]), ("overdue=true", ["old"]), ("park=changqing&stage=applied", ["new"]), ("", ["new", "old", "bhsg"]),
])
def test_search_and_filters(query, expected, searchable, client, api):
    response = client.get(f"/api/v1/organizations?{query}", headers=api("admin"))
    assert response.status_code == 200, response.get_json()
    names = {org.id: key for key, org in searchable.items()}
    assert [names[o["id"]] for o in response.get_json()["items"]] == expected


def test_pagination(make_org, client, api):
    for n in range(7):
        make_org(park="fangxing", name=f"分页测试组织{n}")
    headers = api("admin")
    first = client.get("/api/v1/organizations?per_page=3", headers=headers).get_json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 3, 7, 3)
    assert [o["name"] for o in first["items"]] == ["分页测试组织6", "分页测试组织5", "分页测试组织4"]
    last = client.get("/api/v1/organizations?per_page=3&page=3", headers=headers).get_json()
    assert [o["name"] for o in last["items"]] == ["分页测试组织0"]
    beyond = client.get("/api/v1/organizations?per_page=3&page=9", headers=headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == 7


# -- every error status, never a 500 -----------------------------------------------------------------

def test_malformed_json_is_400(client, api):
    before = count_rows(Organization)
    response = client.post("/api/v1/organizations", headers=api("admin"), data='{"name": "包河',
                           content_type="application/json")
    assert_errors(response, 400, "BadRequest")
    assert count_rows(Organization) == before


def test_a_json_body_that_is_not_an_object_is_422(client, api):
    assert_errors(client.post("/api/v1/organizations", headers=api("admin"), json=["包河"]), 422)


@pytest.mark.parametrize("missing", ["name", "category", "contact_name", "contact_phone", "park"])
def test_a_missing_field_is_422_naming_it(missing, client, api):
    data = {k: v for k, v in NEW_ORG.items() if k != missing}
    assert_errors(client.post("/api/v1/organizations", headers=api("admin"), json=data), 422, field=missing)
    assert count_rows(Organization) == 0


@pytest.mark.parametrize("field, value", [
    ("uscc", USCC[:-1] + ("0" if USCC[-1] != "0" else "1")),  # wrong check character
    ("uscc", "91340100MA2N0X0Q"),                               # too short
    ("uscc", "91340100MA2N0X0QIO"),                             # I and O are not used
    ("uscc", 5),
    ("contact_phone", "12345"), ("contact_phone", "1391234567x"),
    ("park", "nowhere"), ("park", ["fangxing"]), ("park", 7), ("park", None),
    ("category", "宗教类"), ("registration_status", "maybe"), ("founded_on", "2999-01-01"),
    ("founded_on", "yesterday"), ("name", ""), ("name", "名" * 121), ("stage", "graduated"), ("bogus", 1),
])
def test_an_invalid_field_is_422_naming_it(field, value, client, api):
    response = client.post("/api/v1/organizations", headers=api("admin"), json=dict(NEW_ORG, **{field: value}))
    assert_errors(response, 422, field=field)
    assert count_rows(Organization) == 0


def test_a_duplicate_uscc_is_409_on_create_and_on_patch(client, api, make_org):
    make_org(park="changqing", uscc=USCC)
    other = make_org(park="fangxing")
    headers = api("admin")
    assert_errors(client.post("/api/v1/organizations", headers=headers, json=dict(NEW_ORG, uscc=USCC)), 409,
                  "Conflict", field="uscc")
    assert_errors(client.patch(f"/api/v1/organizations/{other.id}", headers=headers, json={"uscc": USCC}), 409,
                  field="uscc")
    assert count_rows(Organization) == 2


def test_patch_errors(client, api, make_org):
    org = make_org(park="fangxing")
    headers = api("admin")
    url = f"/api/v1/organizations/{org.id}"
    assert_errors(client.patch(url, headers=headers, json={"stage": "graduated"}), 422, field="stage")
    assert_errors(client.patch(url, headers=headers, json={"park": "district"}), 422, field="park")
    assert_errors(client.patch(url, headers=headers, json={"contact_phone": "110"}), 422, field="contact_phone")
    assert_errors(client.patch(url, headers=headers, json={"name": None}), 422, field="name")
    assert_errors(client.patch(url, headers=headers, data="{", content_type="application/json"), 400)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "applied"


@pytest.mark.parametrize("url", [
    "/api/v1/organizations/999999", "/api/v1/organizations/999999/transitions",
    "/api/v1/organizations/99999999999999999999", "/api/v1/organizations/3000000000", "/api/v1/nothing-here",
])
def test_unknown_records_are_404(url, client, api):
    assert_errors(client.get(url, headers=api("admin")), 404, "NotFound")


@pytest.mark.parametrize("method, path, body", [
    ("post", "/transitions", {"to_stage": "reviewing"}),
    ("post", "/renewals", {"new_due": "2030-01-01", "reason": "续驻"}),
    ("post", "/transfers", {"park": "changqing"}),
    ("patch", "", {"name": "改名"}),
])
def test_writes_to_a_missing_organization_are_404(method, path, body, client, api):
    """A well-formed write to an organization that does not exist (the body is checked first)."""
    response = getattr(client, method)(f"/api/v1/organizations/999999{path}", headers=api("admin"), json=body)
    assert_errors(response, 404, "NotFound")


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("per_page=1000", "per_page"), ("stage=hatched", "stage"), ("park=nowhere", "park"),
    ("overdue=maybe", "overdue"), ("page=abc", "page"),
])
def test_bad_list_parameters_are_422(query, field, client, api):
    assert_errors(client.get(f"/api/v1/organizations?{query}", headers=api("admin")), 422, field=field)


@pytest.mark.parametrize("request_args, status", [
    (("get", "/api/v1/organizations?page=99999999999999999999", {}), 400),
    (("get", "/api/v1/organizations?q=%00", {}), 200),  # searched for, found nothing
    (("post", "/api/v1/organizations", {"json": dict(NEW_ORG, name="包河\x00社工")}), 422),
    (("delete", "/api/v1/organizations/1", {}), 405),
    (("put", "/api/v1/parks", {"json": {}}), 405),
])
def test_odd_requests_get_a_json_error_never_a_500(request_args, status, client, api):
    method, url, kwargs = request_args
    response = getattr(client, method)(url, headers=api("admin"), **kwargs)
    if status == 200:
        assert response.status_code == 200 and response.get_json()["items"] == []
    else:
        assert_errors(response, status)


def test_an_unexpected_failure_is_a_json_500_without_details(app, client, api, monkeypatch):
    from incubator.organizations import services
    monkeypatch.setattr(services, "list_query", lambda **kw: 1 / 0)
    errors = assert_errors(client.get("/api/v1/organizations", headers=api("admin")), 500, "InternalError")
    assert "ZeroDivision" not in str(errors)


# -- the OpenAPI document ------------------------------------------------------------------------------

CORE_PATHS = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/parks": {"get"},
    "/api/v1/parks/{code}": {"get"},
    "/api/v1/organizations": {"get", "post"},
    "/api/v1/organizations/{org_id}": {"get", "patch"},
    "/api/v1/organizations/{org_id}/transitions": {"get", "post"},
    "/api/v1/organizations/{org_id}/renewals": {"post"},
    "/api/v1/organizations/{org_id}/transfers": {"post"},
}


def test_the_openapi_document_is_valid_and_lists_every_core_path(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    for path, methods in CORE_PATHS.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/organizations"]["get"]["security"] == [{"bearerAuth": []}]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


# -- health ------------------------------------------------------------------------------------------

def test_healthz_is_200_with_the_database_up(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(app, tmp_path):
    broken = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=(
        "postgresql://nobody@127.0.0.1:1/nowhere" if "postgresql" in app.config["SQLALCHEMY_DATABASE_URI"]
        else f"sqlite:///{tmp_path}/missing-dir/none.db")))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


# -- every object links to its page ----------------------------------------------------------------------

def test_every_object_carries_the_address_of_its_page(make_org, client, api, login_as):
    headers = api("fangxing-mgr")
    org = make_org(park="fangxing", stage="reviewing")
    base = f"/api/v1/organizations/{org.id}"
    objects = [client.get(base, headers=headers).get_json(),
               client.get("/api/v1/organizations", headers=headers).get_json()["items"][0],
               client.get("/api/v1/parks/fangxing").get_json(),
               client.post(base + "/transitions", headers=headers, json={"to_stage": "incubating"}).get_json(),
               client.get(base + "/transitions", headers=headers).get_json()["items"][0]]
    due = client.get(base, headers=headers).get_json()["incubation_due"]
    objects.append(client.post(base + "/renewals", headers=headers,
                               json={"new_due": (date.fromisoformat(due) + timedelta(days=30)).isoformat(),
                                     "reason": "延期"}).get_json())
    objects.append(client.post(base + "/transfers", headers=headers, json={"park": "district"}).get_json())
    login_as("admin")
    for obj in objects:
        assert obj["html_url"].startswith("http://localhost/"), obj
        page = client.get(obj["html_url"])
        assert page.status_code == 200, obj["html_url"]


def test_two_applications_with_the_same_uscc_at_once_one_wins(postgres_only, app, network, monkeypatch):
    """Both pass the check for a duplicate at the same moment; the database's unique constraint decides."""
    import threading

    from incubator.organizations import services
    barrier = threading.Barrier(2, timeout=10)
    validate = services.validate

    def validate_then_wait(data, **kwargs):
        clean = validate(data, **kwargs)
        barrier.wait()
        return clean

    monkeypatch.setattr(services, "validate", validate_then_wait)
    tokens = [app.test_client().post("/api/v1/auth/token", json={"username": u, "password": "demo12345"})
              .get_json()["token"] for u in ("admin", "fangxing-mgr")]
    statuses = []

    def create(token, name):
        response = app.test_client().post("/api/v1/organizations", headers={"Authorization": f"Bearer {token}"},
                                          json=dict(NEW_ORG, name=name, uscc=USCC))
        statuses.append(response.status_code)

    threads = [threading.Thread(target=create, args=(token, f"并发申请{n}")) for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(statuses) == [201, 409]
    assert count_rows(Organization, Organization.uscc == USCC) == 1


VALID_BODIES = {
    ("post", ""): dict(NEW_ORG, uscc=None, registration_status="filed", founded_on="2020-01-01", service_area="方兴",
                       description="简介"),
    ("patch", "/{id}"): {"name": "改名服务社", "uscc": None, "category": "其他", "founded_on": "2020-01-01",
                         "contact_phone": "13912345678", "description": "简介"},
    ("post", "/{id}/transitions"): {"to_stage": "virtual", "note": "转壳外"},
    ("post", "/{id}/renewals"): {"new_due": "2099-01-01", "reason": "延期"},
    ("post", "/{id}/transfers"): {"park": "district", "note": "升级"},
}


def test_no_field_of_any_wrong_type_causes_a_500(make_org, client, api):
    """Each field of each write, in turn given a value of the wrong kind: a JSON error, never a 500."""
    headers = api("admin")
    failures, refused = [], 0
    for (method, path), valid in VALID_BODIES.items():
        for field in valid:
            for value in (None, 7, [], {"a": 1}, "\x00", 10**30, "9999-99-99"):
                org = make_org(park="fangxing", stage="incubating")
                url = "/api/v1/organizations" + path.replace("{id}", str(org.id))
                response = getattr(client, method)(url, headers=headers, json=dict(valid, **{field: value}))
                body = response.get_json() or {}
                if response.status_code >= 500 or (response.status_code >= 400 and "errors" not in body):
                    failures.append((method, path, field, value, response.status_code))
                refused += response.status_code >= 400
    assert failures == [] and refused > 50
