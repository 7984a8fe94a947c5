"""One source of validation for an organization: OrganizationFields holds every rule on the editable
fields; the service loads through it, the API's schema derives from it, the forms check with it
(SchemaForm) and mark their fields from it."""
import re
from datetime import date, timedelta

import marshmallow as ma
import pytest
from wtforms import DateField, StringField

from incubator.api.organizations import OrganizationSchema
from incubator.errors import Conflict, ValidationError
from incubator.forms import SchemaForm
from incubator.organizations import services
from incubator.organizations.forms import ApplyForm, OrganizationForm
from incubator.organizations.models import Organization
from incubator.organizations.schema import OrganizationFields
from incubator.schemas import Name, Text
from incubator.validators import make_uscc

from .helpers import count_rows, page_text

USCC = make_uscc("52340111MJ0000017")
BAD_USCC = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
FIELDS = {"name": "包河社工服务中心", "category": "社工服务类", "contact_name": "张芳", "contact_phone": "13912345678"}


# -- the schema, through the service ------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("name", "", "请填写组织名称"),
    ("name", "   ", "请填写组织名称"),
    ("name", "名" * 121, "组织名称不能超过120字"),
    ("name", "包河\u202e社工", "不能含有不可见字符或文字方向控制符（U+202E）"),
    ("contact_name", "张\n芳", "不能含有换行符或控制字符（U+000A）"),
    ("contact_name", "张" * 61, "联系人不能超过60字"),
    ("category", "宗教类", "类别应为：公益慈善类、社工服务类、支持性/枢纽型、社区社会组织、文体类、科教类、其他"),
    ("registration_status", "maybe", "登记状态应为 registered、filed 或 unregistered"),
    ("contact_phone", "", "请填写联系电话"),
    ("contact_phone", "119", "请填写有效的手机号或固定电话（如 13912345678 或 0551-12345678）"),
    ("uscc", BAD_USCC, "统一社会信用代码校验位不正确"),
    ("uscc", "91340100MA2N0X0Q", "统一社会信用代码应为18位"),
    ("founded_on", date.today() + timedelta(days=3), "成立日期不能晚于今天"),
    ("service_area", "区" * 201, "服务区域不能超过200字"),
    ("description", "简" * 5001, "组织简介不能超过5000字"),
])
def test_the_service_refuses_what_the_schema_refuses_naming_the_field(field, value, message, network):
    with pytest.raises(ValidationError) as raised:
        services.validate(dict(FIELDS, **{field: value}))
    assert (raised.value.field, raised.value.message) == (field, message)


@pytest.mark.parametrize("missing, message", [
    ("name", "请填写组织名称"), ("category", "请填写类别"), ("contact_name", "请填写联系人"),
    ("contact_phone", "请填写联系电话"),
])
def test_a_new_organization_needs_every_required_field(missing, message, network):
    with pytest.raises(ValidationError) as raised:
        services.validate({k: v for k, v in FIELDS.items() if k != missing})
    assert (raised.value.field, raised.value.message) == (missing, message)


def test_the_first_field_in_error_is_the_one_named(network):
    with pytest.raises(ValidationError) as raised:
        services.validate(dict(FIELDS, contact_phone="119", name=""))
    assert raised.value.field == "name"


def test_the_schema_cleans_what_people_type(network):
    clean = services.validate(dict(FIELDS, name="  包河社工服务中心 ", uscc=" " + USCC[:8].lower() + "-" + USCC[8:],
                                   registration_status="", service_area=" 方兴社区 ", unknown="ignored"))
    assert clean["name"] == "包河社工服务中心" and clean["uscc"] == USCC and clean["service_area"] == "方兴社区"
    assert clean["registration_status"] == "unregistered" and "unknown" not in clean
    assert services.validate(dict(FIELDS, uscc=""))["uscc"] is None


def test_editing_checks_only_the_fields_given(make_org):
    org = make_org(park="fangxing")
    assert services.validate({"service_area": "滨湖"}, existing=org) == {"service_area": "滨湖"}
    with pytest.raises(ValidationError) as raised:
        services.validate({"contact_phone": " "}, existing=org)
    assert (raised.value.field, raised.value.message) == ("contact_phone", "请填写联系电话")


def test_only_the_uscc_of_another_organization_is_left_to_the_service(make_org):
    org = make_org(park="fangxing", uscc=USCC)
    assert services.validate({"uscc": USCC.lower()}, existing=org) == {"uscc": USCC}  # its own code
    with pytest.raises(Conflict) as raised:
        services.validate(dict(FIELDS, uscc=USCC))
    assert raised.value.field == "uscc"


# -- the API ------------------------------------------------------------------------------------------

def test_the_api_schema_is_the_organizations_fields_and_more():
    assert issubclass(OrganizationSchema, OrganizationFields)
    assert OrganizationForm.schema is OrganizationFields and ApplyForm.schema is OrganizationFields
    assert set(OrganizationFields().fields) == set(services.EDITABLE_FIELDS)


@pytest.mark.parametrize("method, body, field, message", [
    ("post", {"name": "名" * 121}, "name", "组织名称不能超过120字"),
    ("post", {"uscc": BAD_USCC}, "uscc", "统一社会信用代码校验位不正确"),
    ("post", {"contact_phone": ""}, "contact_phone", "请填写联系电话"),
    ("patch", {"contact_name": "张" * 61}, "contact_name", "联系人不能超过60字"),
    ("patch", {"founded_on": "2999-01-01"}, "founded_on", "成立日期不能晚于今天"),
])
def test_the_api_answers_with_the_schemas_messages(method, body, field, message, make_org, client, api):
    org = make_org(park="fangxing")
    url, data = ("/api/v1/organizations", dict(FIELDS, park="fangxing", **body)) if method == "post" else \
        (f"/api/v1/organizations/{org.id}", body)
    response = getattr(client, method)(url, headers=api("admin"), json=data)
    assert response.status_code == 422
    assert response.get_json() == {"errors": [{"message": message, "code": "UnprocessableEntity", "field": field}]}
    assert count_rows(Organization) == 1


# -- the forms ----------------------------------------------------------------------------------------

def field_html(html: str, field_id: str) -> str:
    """The input (or textarea, or select) with that id and the error right under it, if any."""
    found = re.search(rf'<(input|textarea|select)[^>]* id="{field_id}"[^>]*>(?:[^<]*</textarea>)?\s*'
                      rf'(<div class="invalid-feedback d-block">[^<]*</div>)?', html)
    assert found, field_id
    return found.group(0)


def test_the_form_marks_required_fields_and_limits_lengths_from_the_schema(client, network):
    html = page_text(client.get("/apply"))
    assert ' required' in field_html(html, "name") and 'maxlength="120"' in field_html(html, "name")
    assert ' required' in field_html(html, "contact_name") and 'maxlength="60"' in field_html(html, "contact_name")
    assert ' required' in field_html(html, "contact_phone")
    assert ' required' not in field_html(html, "service_area") and 'maxlength="200"' in field_html(html, "service_area")
    assert 'maxlength="5000"' in field_html(html, "description") and ' required' not in field_html(html, "description")
    assert 'maxlength' not in field_html(html, "uscc")  # people type it with spaces or dashes


def _apply(client, parks, **fields):
    data = dict(FIELDS, registration_status="unregistered", service_area="", description="",
                park=parks["binhu-shiji"].id, **fields)
    return client.post("/apply", data=data)


def _register(client, parks, **fields):
    return client.post("/orgs/new", data=dict(FIELDS, registration_status="registered", park=parks["fangxing"].id,
                                              **fields))


def _edit(client, parks, org, **fields):
    return client.post(f"/orgs/{org.id}/edit", data=dict(FIELDS, registration_status="registered",
                                                         park=parks["fangxing"].id, **fields))


def _post(page, client, parks, make_org, login_as, **fields):
    if page == "apply":
        return _apply(client, parks, **fields)
    login_as("fangxing-mgr")
    if page == "register":
        return _register(client, parks, **fields)
    return _edit(client, parks, make_org(park="fangxing", name="旧名字"), **fields)


@pytest.mark.parametrize("page", ["apply", "register", "edit"])
@pytest.mark.parametrize("field, value, message", [
    ("name", "名" * 121, "字段长度不能超过 120 个字符。"),
    ("uscc", BAD_USCC, "统一社会信用代码校验位不正确"),
    ("founded_on", (date.today() + timedelta(days=1)).isoformat(), "成立日期不能晚于今天"),
    ("name", "", "该字段是必填字段。"),
])
def test_each_page_shows_the_message_next_to_the_field(page, field, value, message, parks, make_org, client, login_as):
    before = count_rows(Organization)
    response = _post(page, client, parks, make_org, login_as, **{field: value})
    assert response.status_code in (200, 422)
    shown = field_html(page_text(response), field)
    assert "is-invalid" in shown and f'<div class="invalid-feedback d-block">{message}</div>' in shown
    assert count_rows(Organization) == before + (page == "edit")  # only the one the edit test made


def test_a_form_speaks_the_users_language_for_lengths_and_required_fields(client, parks):
    client.get("/lang/en")
    html = page_text(_apply(client, parks, name="名" * 121, contact_name=""))
    assert "Field cannot be longer than 120 characters." in field_html(html, "name")
    assert "This field is required." in field_html(html, "contact_name")


def test_a_field_the_browser_did_not_send_is_left_out(client, parks):
    data = dict(FIELDS, registration_status="unregistered", park=parks["binhu-shiji"].id)  # no area, no description
    assert client.post("/apply", data=data).status_code == 200
    assert Organization.query.one().service_area == ""


# -- SchemaForm, as a plugin would use it -------------------------------------------------------------

class RoundFields(ma.Schema):
    title = Name(max_length=20, required=True, label="本轮名称")
    note = Text(max_length=10, label="备注", validate=ma.validate.NoneOf(["禁止"], error="不能写“禁止”"))
    budget = ma.fields.Integer(required=True)  # not on the form below: left out of its check


class RoundForm(SchemaForm):
    schema = RoundFields
    title = StringField("本轮名称")
    note = StringField("备注")
    opens_on = DateField("开始日期")  # not in the schema: WTForms' checks only


def test_a_schema_form_takes_its_rules_from_the_schema(app):
    with app.test_request_context(method="POST", data={"title": "", "note": "禁止", "opens_on": "2026-01-01"}):
        form = RoundForm()
        assert form.title.flags.required and form.title.flags.maxlength == 20 and form.note.flags.maxlength == 10
        assert not form.note.flags.required and not form.opens_on.flags.maxlength
        assert not form.validate()
        assert form.errors == {"title": ["该字段是必填字段。"], "note": ["不能写“禁止”"]}
    with app.test_request_context(method="POST", data={"title": "第一轮", "note": "", "opens_on": "2026-01-01"}):
        form = RoundForm()
        assert form.validate(), form.errors
        assert form.schema_data() == {"title": "第一轮", "note": ""}
