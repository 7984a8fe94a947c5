"""An applicant follows their application: the number on the confirmation, the status lookup by
number and contact phone (申请进度查询), and the apply form's messages beside its fields."""
import re

import pytest

from incubator.dates import show_date
from incubator.extensions import db
from incubator.organizations.models import Organization, Transition
from incubator.validators import make_uscc

from .helpers import count_rows, page_text

USCC = make_uscc("91340100MA2N0X0Q1")
NOT_FOUND = "没有找到与该申请编号和联系电话相符的申请"


def application(parks, **fields):
    data = {"name": "滨湖乐龄互助会", "category": "社区社会组织", "registration_status": "unregistered",
            "contact_name": "王芳", "contact_phone": "13912345678", "service_area": "滨湖世纪社区",
            "description": "为社区老人提供互助服务", "park": parks["district"].id}
    data.update(fields)
    return data


def apply(client, parks, **fields) -> str:
    """Apply through the form; returns the application number shown on the confirmation."""
    response = client.post("/apply", data=application(parks, **fields))
    assert response.status_code == 200
    number = re.search(r'class="[^"]*application-number[^"]*">\s*(\d+)\s*<', page_text(response))
    assert number, "the confirmation shows no application number"
    return number.group(1)


def look_up(client, number, phone):
    return client.post("/apply/status", data={"number": number, "phone": phone})


def status_card(response) -> str:
    found = re.search(r'<div class="card[^"]*application-status">(.*?)</form>', page_text(response), re.S)
    return found.group(1) if found else ""


# -- the confirmation --------------------------------------------------------------------------

def test_the_confirmation_gives_the_number_and_how_to_check_the_status(client, parks):
    response = client.post("/apply", data=application(parks))
    html = page_text(response)
    org = Organization.query.one()
    assert "申请已提交" in html and "申请编号" in html
    assert f'application-number">{org.id}</p>' in html
    assert "用申请编号和申请时填写的联系电话查询进度" in html
    assert f'href="/apply/status?number={org.id}"' in html


def test_the_status_lookup_is_linked_from_the_apply_page_and_the_directory(client, parks):
    for path in ("/apply", "/parks", "/parks/district"):
        assert 'href="/apply/status"' in page_text(client.get(path)), path


def test_the_number_from_the_confirmation_is_filled_in(client, network):
    assert 'value="37"' in page_text(client.get("/apply/status?number=37"))


# -- the lookup ----------------------------------------------------------------------------------

def test_the_right_number_and_phone_show_the_name_and_the_stage(client, parks):
    number = apply(client, parks)
    response = look_up(client, number, "13912345678")
    assert response.status_code == 200
    card = status_card(response)
    assert "滨湖乐龄互助会" in card and "包河区社会组织创新园" in card
    assert '<span class="badge text-bg-primary fs-6 stage">申请</span>' in card
    assert "园区已收到申请" in card and "决定日期" not in card
    assert NOT_FOUND not in page_text(response)


def test_the_phone_may_be_typed_with_spaces_and_the_number_in_full_width(client, parks):
    number = apply(client, parks, contact_phone="0551-63571234")
    fullwidth = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert "滨湖乐龄互助会" in status_card(look_up(client, f" {fullwidth} ", "0551 6357 1234"))


def test_a_decided_application_shows_the_outcome_and_date_but_never_the_reviewers_notes(client, make_org):
    org = make_org(park="district", stage="applied", name="方兴邻里互助会", contact_phone="13800001111")
    db.session.add_all([
        Transition(organization_id=org.id, from_stage="applied", to_stage="reviewing", note="专家打分62分"),
        Transition(organization_id=org.id, from_stage="reviewing", to_stage="rejected", note="评审意见：财务制度不健全"),
    ])
    org.stage = "rejected"
    db.session.commit()
    decided = Transition.query.filter_by(organization_id=org.id, to_stage="rejected").one()
    response = look_up(client, str(org.id), "13800001111")
    html = page_text(response)
    card = status_card(response)
    assert "方兴邻里互助会" in card and ">未通过</span>" in card and "申请未通过" in card
    assert "决定日期" in card and show_date(decided.created_at) in card
    assert "62" not in html and "财务制度" not in html and "评审意见" not in html


def test_an_admitted_organization_shows_incubation(client, make_org):
    org = make_org(park="district", stage="incubating", contact_phone="13800002222")
    card = status_card(look_up(client, str(org.id), "13800002222"))
    assert ">入园孵化</span>" in card and "决定日期" in card


def test_a_wrong_phone_and_an_unknown_number_answer_the_same_neutral_message(client, parks):
    number = apply(client, parks)
    wrong_phone = look_up(client, number, "13900000000")
    unknown = look_up(client, str(int(number) + 1000), "13912345678")
    nonsense = look_up(client, "abc", "13912345678")
    for response in (wrong_phone, unknown, nonsense):
        html = page_text(response)
        assert response.status_code == 200
        assert NOT_FOUND in html
        assert "滨湖乐龄互助会" not in html and "包河区社会组织创新园" not in html and not status_card(response)
    # Nothing but the typed values tells the answers apart.
    strip = lambda r: re.sub(r'value="[^"]*"', "", page_text(r))  # noqa: E731
    assert strip(wrong_phone) == strip(unknown) == strip(nonsense)


def test_an_empty_lookup_names_the_missing_fields(client, network):
    response = look_up(client, "", "")
    assert response.status_code == 422
    assert page_text(response).count("该字段是必填字段。") == 2 and NOT_FOUND not in page_text(response)


def test_a_number_too_large_for_the_database_is_just_not_found(client, network):
    response = look_up(client, "99999999999999999999", "13912345678")
    assert response.status_code == 200 and NOT_FOUND in page_text(response)


@pytest.fixture
def limited_client(rate_limited):
    return rate_limited(STATUS_RATE_LIMIT="3 per hour")


def test_lookups_are_rate_limited(limited_client, make_org):
    org = make_org(park="district", stage="applied", contact_phone="13800003333")
    for phone in ("13800000001", "13800000002", "13800000003"):
        assert look_up(limited_client, str(org.id), phone).status_code == 200
    response = look_up(limited_client, str(org.id), "13800003333")  # even the right phone, now
    assert response.status_code == 429 and "请求过于频繁" in page_text(response)
    assert limited_client.get("/apply/status").status_code == 200  # only lookups are limited


def test_the_limit_is_configurable_and_defaults_to_ten_an_hour(app):
    assert app.config["STATUS_RATE_LIMIT"] == "10 per hour"


# -- the apply form's messages ---------------------------------------------------------------------

def test_a_bad_uscc_is_explained_beside_the_field_and_in_a_summary(client, parks):
    bad = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    response = client.post("/apply", data=application(parks, uscc=bad, registration_status="registered"))
    html = page_text(response)
    assert response.status_code == 422
    assert "申请未提交：有 1 处需要修改" in html
    assert '<a class="alert-link" href="#uscc">统一社会信用代码</a>：统一社会信用代码校验位不正确' in html
    # …and right under the field itself, marked invalid.
    assert re.search(r'class="form-control is-invalid" id="uscc"[^>]*>\s*'
                     r'<div class="invalid-feedback d-block">统一社会信用代码校验位不正确</div>', html)
    assert count_rows(Organization) == 0


def test_a_bad_phone_and_a_missing_name_are_both_listed(client, parks):
    response = client.post("/apply", data=application(parks, contact_phone="1234567", name=""))
    html = page_text(response)
    assert "有 2 处需要修改" in html
    assert 'href="#name">组织名称</a>' in html and 'href="#contact_phone">联系电话</a>' in html
    assert "请填写有效的手机号或固定电话" in html
