"""Crafted input: references that are not strings, lone surrogates, url_for's options in a query,
odd page arguments, LIKE wildcards in searches, and invisible characters in names."""
import re

import marshmallow as ma
import pytest
from flask import render_template_string

from incubator.api.schemas import Reference, paginated_list
from incubator.validators import name_error

from .test_api import NEW_ORG, assert_errors

LIST_URLS = ["/api/v1/organizations", "/api/v1/parks", "/api/v1/courses", "/api/v1/offerings",
             "/api/v1/enrolments/mine", "/api/v1/mentoring/assignments", "/api/v1/microgrant/rounds",
             "/api/v1/assessment/rubrics", "/api/v1/assessment/reports"]


# -- a reference by code or username is a string ------------------------------------------------------

@pytest.mark.parametrize("value", [["fangxing"], {"code": "fangxing"}, 7, True, "fang\x00xing"])
def test_a_park_given_as_anything_but_a_code_is_a_422_naming_it(value, client, api):
    errors = assert_errors(client.post("/api/v1/organizations", headers=api("admin"), json=dict(NEW_ORG, park=value)),
                           422, field="park")
    assert all("Internal" not in e["code"] for e in errors)


@pytest.mark.parametrize("value", [["district"], {"code": "district"}])
def test_a_transfer_to_a_list_or_object_is_a_422(value, client, api, make_org):
    org = make_org(park="fangxing", stage="incubating")
    response = client.post(f"/api/v1/organizations/{org.id}/transfers", headers=api("admin"), json={"park": value})
    assert_errors(response, 422, field="park")


def test_the_reference_field_says_what_it_wants():
    field = Reference()
    with pytest.raises(ma.ValidationError, match="字符串"):
        field.deserialize(["expert-li"])
    assert field.deserialize("  expert-li ") == "expert-li"


# -- a lone surrogate is not text ---------------------------------------------------------------------

@pytest.mark.parametrize("body", ['{"name": "\\ud800"}', '{"name": "a\\udfff"}', '{"\\udc00": 1}'])
@pytest.mark.parametrize("url", ["/api/v1/organizations", "/api/v1/auth/token", "/api/v1/microgrant/rounds"])
def test_a_lone_surrogate_in_a_json_body_is_a_400(body, url, client, api):
    errors = assert_errors(client.post(url, headers=api("admin"), data=body, content_type="application/json"),
                           400, "BadRequest")
    assert "代理项" in errors[0]["message"]


def test_a_lone_surrogate_in_a_chunked_body_is_a_400_where_it_meets_the_database(client, api):
    """A body without a Content-Length is not read up front (its endpoint's limits come first)."""
    import io
    body = ('{"name": "包河社工", "description": "\\ud800", "category": "社工服务类", "contact_name": "张芳", '
            '"contact_phone": "13912345678", "park": "fangxing"}').encode()  # free text: no name check before
    response = client.post("/api/v1/organizations", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={**api("admin"), "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert_errors(response, 400, "BadRequest")


def test_a_surrogate_pair_is_an_ordinary_character(client, api):
    """"\\ud83c\\udf31" is 🌱 spelled the way json.dumps spells it: accepted."""
    body = '{"name": "\\u5305\\u6cb3\\ud83c\\udf31", "category": "社工服务类", "contact_name": "张芳", ' \
           '"contact_phone": "13912345678", "park": "fangxing"}'
    response = client.post("/api/v1/organizations", headers=api("admin"), data=body, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "包河🌱"


# -- odd query arguments on lists -----------------------------------------------------------------------

ODD_QUERIES = ["_method=POST", "_scheme=javascript", "_external=1", "_anchor=x", "endpoint=x", "page=-1",
               "page=abc", "per_page=1000000000", "per_page=0", "page=99999999999999999999"]


@pytest.mark.parametrize("query", ODD_QUERIES)
@pytest.mark.parametrize("url", LIST_URLS)
def test_odd_query_arguments_on_an_api_list_are_never_a_500(url, query, client, api):
    response = client.get(f"{url}?{query}", headers=api("admin"))
    if response.status_code == 200:
        assert response.get_json()["per_page"] <= 100
    else:
        assert_errors(response, response.status_code)
        assert 400 <= response.status_code < 500


@pytest.mark.parametrize("query", ["_method=POST", "_scheme=javascript", "endpoint=x", "_external=1"])
def test_url_for_options_in_the_query_do_not_break_the_pager_or_the_audit_export(query, app, client, login_as):
    login_as("admin")
    assert client.get(f"/admin/audit?{query}").status_code == 200
    page = type("P", (), {"pages": 3, "page": 2, "has_prev": True, "has_next": True, "prev_num": 1, "next_num": 3,
                          "total": 60, "iter_pages": lambda self, **kw: [1, 2, 3]})()
    with app.test_request_context(f"/admin/audit?{query}&q=x"):
        html = render_template_string('{% from "macros.html" import pager %}{{ pager(page, "admin.audit_log") }}',
                                      page=page)
    html = re.sub(r'href="\s+', 'href="', html)  # Bootstrap-Flask's macro indents its hrefs (browsers strip it)
    assert 'href="/admin/audit?q=x&amp;page=3"' in html and "javascript" not in html


def test_a_list_computed_in_python_is_paged_like_a_query():
    page = paginated_list(range(45), {"page": 3, "per_page": 20})
    assert page == {"items": list(range(40, 45)), "page": 3, "per_page": 20, "total": 45, "pages": 3}


def test_the_parks_list_is_a_page(client, network):
    first = client.get("/api/v1/parks?per_page=4").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (9, 3, 4)
    assert first["items"][0]["code"] == "district"
    assert client.get("/api/v1/parks?per_page=4&page=3").get_json()["items"][0]["code"] == "binhu-mingzhu"


def test_the_stage_history_is_a_page(client, api, make_org, users):
    from incubator.organizations import services
    org = make_org(park="fangxing", stage="applied")
    for stage in ("reviewing", "incubating", "virtual"):
        services.move(org, stage, user=users["admin"])
    body = client.get(f"/api/v1/organizations/{org.id}/transitions?per_page=2&page=2", headers=api("admin")).get_json()
    assert [t["to_stage"] for t in body["items"]] == ["incubating", "virtual"] and body["total"] >= 3


# -- % and _ are literal in searches --------------------------------------------------------------------

def test_percent_and_underscore_are_literal_in_the_organization_search(client, api, make_org):
    make_org(park="fangxing", name="百分之百100%社工")
    make_org(park="fangxing", name="普通社工")
    make_org(park="fangxing", name="a_b互助会")
    make_org(park="fangxing", name="axb互助会")
    headers = api("admin")

    def names(q):
        return sorted(o["name"] for o in client.get("/api/v1/organizations", headers=headers,
                                                    query_string={"q": q}).get_json()["items"])
    assert names("100%") == ["百分之百100%社工"]
    assert names("%") == ["百分之百100%社工"]
    assert names("a_b") == ["a_b互助会"]
    assert names("\\") == []


# -- invisible and direction characters in names ----------------------------------------------------------

BAD_NAMES = ["包河\u202e社工", "包河\u200b社工", "包河\u200f社工", "包河\u2066社工", "包河\u2060社工", "\ufeff包河社工",
             "包河\n社工", "包河\r社工", "包河\t社工", "包河\u2028社工", "包河\x07社工"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_with_an_invisible_or_control_character_is_refused(name):
    assert name_error(name)


@pytest.mark.parametrize("name", ["包河社工服务中心", "Baohe Social Work", "阿卜杜·热合曼", "包河·社工（筹）"])
def test_ordinary_names_pass(name):
    assert name_error(name) is None


@pytest.mark.parametrize("field", ["name", "contact_name"])
@pytest.mark.parametrize("name", ["包河\u202e社工", "包河\n社工", "\u200b"])
def test_the_api_refuses_such_an_organization_name(field, name, client, api):
    response = client.post("/api/v1/organizations", headers=api("admin"), json=dict(NEW_ORG, **{field: name}))
    assert_errors(response, 422, field=field)


def test_the_api_refuses_it_on_patch_too(client, api, make_org):
    org = make_org(park="fangxing")
    response = client.patch(f"/api/v1/organizations/{org.id}", headers=api("admin"), json={"name": "包河\u202e社工"})
    assert_errors(response, 422, field="name")


def test_the_application_form_refuses_such_a_name(client, network):
    from incubator.organizations.models import Organization
    from incubator.extensions import db
    park = network["parks"]["fangxing"]
    data = {"name": "包河\u202e社工", "category": "社工服务类", "registration_status": "unregistered",
            "contact_name": "张芳", "contact_phone": "13912345678", "park": park.id}
    response = client.post("/apply", data=data)
    assert response.status_code == 422 and "文字方向控制符" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Organization)) == 0


def test_the_admin_user_form_refuses_such_a_person_name(client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={"username": "newbie", "name": "张\u200b三", "role": "trainee",
                                                     "password": "Xq7!long-enough", "active": "y"})
    assert "不可见字符" in response.get_data(as_text=True)


def test_the_park_form_refuses_such_a_park_name(client, network):
    from incubator.admin.forms import ParkForm
    data = {"code": "x", "name": "园\u202e区", "level": "street"}
    with client.application.test_request_context(method="POST", data=data):
        form = ParkForm()
        form.parent_id.choices = [(0, "-")]
        assert not form.validate() and "name" in form.errors


def test_no_api_list_returns_everything_at_once(client):
    """Every GET whose answer is a list is a page (items, page, per_page, total, pages), chosen with
    ?page=&per_page= — read from the generated OpenAPI document, so a new endpoint is checked too."""
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def resolve(schema):
        ref = schema.get("$ref")
        return schemas[ref.rsplit("/", 1)[-1]] if ref else schema

    unpaged = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        body = get.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        schema = resolve(body.get("schema", {}))
        if schema.get("type") == "array":
            unpaged.append(path)
        elif "items" in schema.get("properties", {}):
            assert {"page", "per_page", "total", "pages"} <= set(schema["properties"]), path
            assert {"page", "per_page"} <= {p["name"] for p in get.get("parameters", [])}, path
    assert unpaged == []
