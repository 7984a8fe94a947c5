"""One source of validation for offerings (班次): the form, the API and the services share
plugins/enrolment/schema.py."""
import re
from datetime import timedelta

import pytest

from incubator.db_types import utcnow
from incubator.errors import ValidationError
from incubator.extensions import db
from plugins.enrolment import services
from plugins.enrolment.api import OfferingPatchSchema, OfferingSchema
from plugins.enrolment.forms import OfferingForm
from plugins.enrolment.models import Offering
from plugins.enrolment.schema import OfferingFields

from .conftest import login

CAPACITY = "容量应为 1–10000 的整数"


def field_html(html: str, field_id: str) -> str:
    """The input (or textarea) with that id and the error right under it, if any."""
    found = re.search(rf'<(input|textarea|select)[^>]* id="{field_id}"[^>]*>(?:[^<]*</textarea>)?\s*'
                      rf'(<div class="invalid-feedback[^"]*">[^<]*</div>)?', html)
    assert found, field_id
    return found.group(0)


def offerings() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Offering))


def test_the_form_and_the_api_share_the_schema():
    assert OfferingForm.schema is OfferingFields
    assert issubclass(OfferingSchema, OfferingFields) and issubclass(OfferingPatchSchema, OfferingFields)


@pytest.fixture
def offering_data(courses, parks, users):
    def _data(**overrides):
        now = utcnow()
        data = {"course": courses["CG101"], "park": parks["fangxing"], "title": "2027年第1期", "venue": "活动室",
                "instructor": users["expert-li"], "capacity": 5, "enrol_opens_at": now,
                "enrol_closes_at": now + timedelta(days=1),
                "sessions": [(now + timedelta(days=2), now + timedelta(days=2, hours=2), "第一讲")]}
        data.update(overrides)
        return data
    return _data


@pytest.mark.parametrize("field, value, message", [
    ("title", "期" * 121, "班次名称不能超过120字"),
    ("title", "第\u202e一期", "不能含有不可见字符或文字方向控制符（U+202E）"),
    ("venue", " ", "请填写上课地点"),
    ("venue", "室" * 201, "上课地点不能超过200字"),
    ("capacity", 0, CAPACITY),
    ("capacity", 10001, CAPACITY),
    ("capacity", None, CAPACITY),
    ("enrol_opens_at", None, "请填写报名开始和截止时间"),
    ("description", "说" * 5001, "说明不能超过5000字"),
])
def test_scheduling_refuses_what_the_schema_refuses(field, value, message, offering_data, users):
    with pytest.raises(ValidationError) as raised:
        services.create_offering(offering_data(**{field: value}), user=users["fangxing-mgr"])
    assert (raised.value.field, raised.value.message) == (field, message)
    assert offerings() == 0


def test_editing_checks_the_fields_given_against_the_offering_as_it_stands(make_offering, users):
    offering = make_offering(capacity=3)
    services.update_offering(offering, {"capacity": 8, "title": " 第2期 "}, user=users["fangxing-mgr"])
    assert (offering.capacity, offering.title, offering.venue) == (8, "第2期", "活动室")
    with pytest.raises(ValidationError) as raised:
        services.update_offering(offering, {"enrol_closes_at": offering.enrol_opens_at}, user=users["fangxing-mgr"])
    assert raised.value.field == "enrol_closes_at"
    with pytest.raises(ValidationError) as raised:
        services.update_offering(offering, {"venue": ""}, user=users["fangxing-mgr"])
    assert (raised.value.field, raised.value.message) == ("venue", "请填写上课地点")


def test_the_api_answers_with_the_schemas_messages(make_offering, client, api):
    offering = make_offering()
    headers = api("fangxing-mgr")
    response = client.patch(f"/api/v1/offerings/{offering.id}", headers=headers, json={"venue": ""})
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [("venue", "请填写上课地点")]
    response = client.patch(f"/api/v1/offerings/{offering.id}", headers=headers, json={"capacity": 0})
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [("capacity", CAPACITY)]
    assert client.patch(f"/api/v1/offerings/{offering.id}", headers=headers,
                        json={"capacity": 9}).status_code == 200  # the other fields may be left out


def _form(courses, parks, **fields):
    data = {"course": courses["CG102"].id, "park": parks["fangxing"].id, "title": "", "venue": "会议室",
            "instructor": 0, "capacity": 20, "enrol_opens_at": "2027-01-01T09:00",
            "enrol_closes_at": "2027-01-10T18:00", "sessions": "2027-01-15 09:00-12:00 第一讲", "description": ""}
    data.update(fields)
    return data


def test_the_offering_form_is_marked_from_the_schema(client, courses):
    login(client, "fangxing-mgr")
    html = client.get("/academy/manage/new").get_data(as_text=True)
    assert " required" in field_html(html, "venue") and 'maxlength="200"' in field_html(html, "venue")
    assert " required" not in field_html(html, "title") and 'maxlength="120"' in field_html(html, "title")
    assert 'min="1"' in field_html(html, "capacity") and 'max="10000"' in field_html(html, "capacity")
    assert " required" in field_html(html, "enrol_opens_at") and 'maxlength="5000"' in field_html(html, "description")


@pytest.mark.parametrize("field, value, message", [
    ("venue", "室" * 201, "字段长度不能超过 200 个字符。"),
    ("venue", "", "该字段是必填字段。"),
    ("title", "第\u202e一期", "不能含有不可见字符或文字方向控制符（U+202E）"),
])
def test_the_offering_page_shows_the_message_next_to_the_field(field, value, message, client, courses, parks):
    login(client, "fangxing-mgr")
    response = client.post("/academy/manage/new", data=_form(courses, parks, **{field: value}))
    assert response.status_code == 200
    assert f"{message}</div>" in field_html(response.get_data(as_text=True), field)
    assert offerings() == 0


# -- sign-up: SignupFields ---------------------------------------------------------------------

SIGNUP = {"username": "xiaoli", "name": "李小丽", "phone": "13955556666", "organization": "方兴邻里互助会",
          "password": "secret123"}
PHONE_MESSAGE = "请填写有效的手机号或固定电话（如 13912345678 或 0551-12345678）"


def test_the_signup_form_shares_the_schema():
    from plugins.enrolment.forms import SignupForm
    from plugins.enrolment.schema import SignupFields
    assert SignupForm.schema is SignupFields  # no sign-up in the API: the page and the service


# On the page, what the browser knows too (required, the longest text) answers with WTForms' message.
@pytest.mark.parametrize("field, value, message, on_the_page", [
    ("name", " ", "请填写姓名", "该字段是必填字段。"),
    ("name", "李" * 81, "姓名不能超过80字", "字段长度不能超过 80 个字符。"),
    ("name", "李\u200b小丽", "不能含有不可见字符或文字方向控制符（U+200B）", None),
    ("phone", "", "请填写手机号", "该字段是必填字段。"),
    ("phone", "12345", PHONE_MESSAGE, None),
    ("organization", "会" * 121, "所在单位不能超过120字", "字段长度不能超过 120 个字符。"),
])
def test_sign_up_is_refused_the_same_way_by_the_service_and_the_page(field, value, message, on_the_page, client,
                                                                    network):
    from incubator.users.models import User
    with pytest.raises(ValidationError) as raised:
        services.signup(dict(SIGNUP, **{field: value}))
    assert (raised.value.field, raised.value.message) == (field, message)
    html = client.get("/academy/signup").get_data(as_text=True)
    assert " required" in field_html(html, "name") and 'maxlength="80"' in field_html(html, "name")
    assert " required" in field_html(html, "phone") and 'maxlength="20"' in field_html(html, "phone")
    assert 'maxlength="120"' in field_html(html, "organization")
    assert " required" not in field_html(html, "organization")
    response = client.post("/academy/signup", data=dict(SIGNUP, confirm="secret123", **{field: value}))
    assert response.status_code == 200
    shown = field_html(response.get_data(as_text=True), field)
    assert f'<div class="invalid-feedback d-block">{on_the_page or message}</div>' in shown  # beside the field
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(User.username == "xiaoli")) == 0


def test_sign_up_keeps_what_the_schema_loaded(network):
    from plugins.enrolment.models import TraineeProfile
    user = services.signup(dict(SIGNUP, name=" 李小丽 ", phone=" 13955556666 ", organization=" 方兴邻里互助会 "))
    assert (user.name, user.phone) == ("李小丽", "13955556666")
    assert db.session.get(TraineeProfile, user.id).organization_name == "方兴邻里互助会"
