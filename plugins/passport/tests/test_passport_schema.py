"""One source of validation for volunteers and activities: the forms, the API and the services share
plugins/passport/schema.py."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from incubator.dates import today
from incubator.errors import ValidationError
from incubator.extensions import db
from plugins.passport import services
from plugins.passport.api import ActivitySchema, VolunteerSchema
from plugins.passport.forms import ActivityForm, VolunteerEditForm, VolunteerForm
from plugins.passport.models import Activity, Volunteer
from plugins.passport.schema import ActivityFields, VolunteerFields

from .conftest import ID_NUMBERS

PHONE_MESSAGE = "请填写有效的手机号或固定电话（如 13912345678 或 0551-12345678）"


def field_html(html: str, field_id: str) -> str:
    """The input (or textarea) with that id and the error right under it, if any."""
    found = re.search(rf'<(input|textarea|select)[^>]* id="{field_id}"[^>]*>(?:[^<]*</textarea>)?\s*'
                      rf'(<div class="invalid-feedback d-block">[^<]*</div>)?', html)
    assert found, field_id
    return found.group(0)


def test_the_forms_and_the_api_share_the_schemas():
    assert VolunteerForm.schema is VolunteerFields and VolunteerEditForm.schema is VolunteerFields
    assert ActivityForm.schema is ActivityFields
    assert issubclass(VolunteerSchema, VolunteerFields) and issubclass(ActivitySchema, ActivityFields)


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "请填写姓名"),
    ("name", "王" * 61, "姓名不能超过60字"),
    ("name", "王\u200b秀英", "不能含有不可见字符或文字方向控制符（U+200B）"),
    ("phone", "", PHONE_MESSAGE),
    ("phone", "1395510", PHONE_MESSAGE),
    ("id_number", "", "身份证号码应为18位（最后一位可为X）"),
    ("id_number", ID_NUMBERS[5][:17] + ("0" if ID_NUMBERS[5][17] != "0" else "1"), "身份证号码校验位不正确"),
])
def test_registering_refuses_what_the_schema_refuses(field, value, message, fangxing, manager):
    data = dict({"name": "王秀英", "phone": "13955100001", "id_number": ID_NUMBERS[5]}, **{field: value})
    with pytest.raises(ValidationError) as raised:
        services.register(fangxing, data, user=manager)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0


def test_the_id_number_is_loaded_compact_and_editing_leaves_it_alone(fangxing, manager, make_volunteer):
    number = ID_NUMBERS[6]
    volunteer = services.register(fangxing, {"name": " 王秀英 ", "phone": "13955100001",
                                             "id_number": f"{number[:6]} {number[6:14]}-{number[14:]}"}, user=manager)
    assert volunteer.name == "王秀英" and volunteer.id_masked == number[:6] + "********" + number[-4:]
    services.update_volunteer(volunteer, {"name": "王秀英", "phone": "0551-63571234"}, user=manager)
    assert volunteer.phone == "0551-63571234"
    with pytest.raises(ValidationError) as raised:
        services.update_volunteer(volunteer, {"name": "王秀英", "phone": "119"}, user=manager)
    assert raised.value.field == "phone"


@pytest.mark.parametrize("field, value, message", [
    ("title", "", "请填写活动名称"),
    ("title", "活" * 121, "活动名称不能超过120字"),
    ("held_on", None, "请填写活动日期"),
    ("held_on", today() + timedelta(days=1), "活动日期不能晚于今天（先办活动，后记时长）"),
    ("place", "地" * 121, "地点不能超过120字"),
    ("points_cap", 0, "积分上限至少为1"),
    ("description", "说" * 2001, "说明不能超过2000字"),
])
def test_an_activity_is_refused_what_the_schema_refuses(field, value, message, fangxing, manager):
    data = dict({"title": "楼道清洁日", "held_on": today(), "place": "党群服务中心"}, **{field: value})
    with pytest.raises(ValidationError) as raised:
        services.create_activity(fangxing, data, user=manager)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize("url, body, field, message", [
    ("/api/v1/passport/parks/fangxing/volunteers", {"name": "王" * 61, "phone": "13955100001",
                                                     "id_number": ID_NUMBERS[7]}, "name", "姓名不能超过60字"),
    ("/api/v1/passport/parks/fangxing/volunteers", {"name": "王秀英", "phone": "110", "id_number": ID_NUMBERS[7]},
     "phone", PHONE_MESSAGE),
    ("/api/v1/passport/activities", {"park": "fangxing", "title": "义诊", "held_on": today().isoformat(),
                                     "points_cap": 0}, "points_cap", "积分上限至少为1"),
    ("/api/v1/passport/activities", {"park": "fangxing", "title": "义诊",
                                     "held_on": (today() + timedelta(days=2)).isoformat()},
     "held_on", "活动日期不能晚于今天（先办活动，后记时长）"),
])
def test_the_api_answers_with_the_schemas_messages(url, body, field, message, client, api):
    response = client.post(url, headers=api("fangxing-mgr"), json=body)
    assert response.status_code == 422
    assert {"field": field, "message": message} in [{k: e.get(k) for k in ("field", "message")}
                                                     for e in response.get_json()["errors"]]


def test_the_volunteer_form_is_marked_from_the_schema(login_as, client, fangxing):
    login_as("fangxing-mgr")
    html = client.get("/passport/fangxing/volunteers/new").get_data(as_text=True)
    assert " required" in field_html(html, "name") and 'maxlength="60"' in field_html(html, "name")
    assert " required" in field_html(html, "phone") and 'maxlength="20"' in field_html(html, "phone")
    assert " required" in field_html(html, "id_number") and 'maxlength="18"' in field_html(html, "id_number")
    assert " required" not in field_html(html, "username")


@pytest.mark.parametrize("field, value, message", [
    ("name", "王" * 61, "字段长度不能超过 60 个字符。"),
    ("phone", "1395510", PHONE_MESSAGE),  # once only a message at the top, now beside the field too
    ("id_number", ID_NUMBERS[8][:17] + ("0" if ID_NUMBERS[8][17] != "0" else "1"), "身份证号码校验位不正确"),
])
def test_the_register_page_shows_the_message_next_to_the_field(field, value, message, login_as, client, fangxing):
    login_as("fangxing-mgr")
    data = dict({"name": "王秀英", "phone": "13955100001", "id_number": ID_NUMBERS[8]}, **{field: value})
    response = client.post("/passport/fangxing/volunteers/new", data=data)
    assert response.status_code == 422
    assert f'<div class="invalid-feedback d-block">{message}</div>' in field_html(response.get_data(as_text=True), field)
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0


def test_the_activity_page_shows_the_message_next_to_the_field(login_as, client, fangxing):
    login_as("fangxing-mgr")
    response = client.post("/passport/fangxing/activities", data={
        "title": "义诊", "organization_id": 0, "held_on": (today() + timedelta(days=1)).isoformat(),
        "place": "", "points_cap": "", "description": ""})
    shown = field_html(response.get_data(as_text=True), "held_on")
    assert '<div class="invalid-feedback d-block">活动日期不能晚于今天（先办活动，后记时长）</div>' in shown
    assert 'min="1"' in field_html(response.get_data(as_text=True), "points_cap")  # the schema's Range
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "points_cost": 4, "stock": 1}, "name", "请填写礼品名称"),
    ({"name": "礼" * 81, "points_cost": 4, "stock": 1}, "name", "礼品名称不能超过80字"),
    ({"name": "购物袋", "points_cost": 0, "stock": 1}, "points_cost", "所需积分至少为1"),
    ({"name": "购物袋", "points_cost": 4, "stock": -1}, "stock", "库存不能为负数"),
    ({"name": "购物袋", "points_cost": 4, "stock": None}, "stock", "库存不能为负数"),
])
def test_a_gift_is_refused_what_the_schema_refuses(data, field, message, fangxing, manager):
    with pytest.raises(ValidationError) as raised:
        services.save_gift(fangxing, data, user=manager)
    assert (raised.value.field, raised.value.message) == (field, message)


@pytest.mark.parametrize("name, opens_on, closes_on, field, message", [
    (" ", date(2026, 6, 16), date(2026, 6, 30), "name", "请填写窗口名称"),
    ("六月兑换", date(2026, 6, 16), None, "closes_on", "请填写开始和结束日期"),
    ("六月兑换", date(2026, 6, 16), date(2026, 6, 1), "closes_on", "结束日期不能早于开始日期"),
])
def test_a_window_is_refused_what_the_schema_refuses(name, opens_on, closes_on, field, message, fangxing, manager):
    with pytest.raises(ValidationError) as raised:
        services.create_window(fangxing, name, opens_on, closes_on, user=manager)
    assert (raised.value.field, raised.value.message) == (field, message)


def test_the_api_and_the_page_refuse_a_window_that_ends_before_it_opens(client, api, login_as, fangxing):
    response = client.post("/api/v1/passport/parks/fangxing/windows", headers=api("fangxing-mgr"),
                           json={"name": "六月兑换", "opens_on": "2026-06-16", "closes_on": "2026-06-01"})
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [
        ("closes_on", "结束日期不能早于开始日期")]
    login_as("fangxing-mgr")
    html = client.post("/passport/fangxing/redemption", data={
        "form": "window", "window-name": "六月兑换", "window-opens_on": "2026-06-16",
        "window-closes_on": "2026-06-01"}).get_data(as_text=True)
    assert "结束日期不能早于开始日期" in html
    assert 'maxlength="80"' in field_html(html, "gift-name") and 'min="1"' in field_html(html, "gift-points_cost")


def test_each_gifts_edit_form_takes_its_marks_from_the_schema_and_saves(client, login_as, make_gift):
    gift = make_gift(name="环保购物袋", points_cost=4, stock=10)
    login_as("fangxing-mgr")
    html = client.get("/passport/fangxing/redemption").get_data(as_text=True)
    name, cost, stock = (field_html(html, f"gift-{gift.id}-{key}") for key in ("name", "cost", "stock"))
    assert 'name="gift-name"' in name and 'value="环保购物袋"' in name and " required" in name and 'maxlength="80"' in name
    assert 'type="number"' in cost and 'min="1"' in cost and " required" in cost and 'value="4"' in cost
    assert 'min="0"' in stock and 'value="10"' in stock
    response = client.post(f"/passport/gifts/{gift.id}", data={
        "gift-name": "环保购物袋（大）", "gift-points_cost": 5, "gift-stock": 8, "gift-active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (gift.name, gift.points_cost, gift.stock, gift.active) == ("环保购物袋（大）", 5, 8, True)


# -- corrections, redemptions and the points rule: CorrectionFields, RedemptionFields, SettingsFields ----

def test_the_correction_redemption_and_settings_forms_share_the_schemas():
    from plugins.passport.api import CorrectionSchema, RedemptionSchema
    from plugins.passport.forms import CorrectionForm, RedeemForm, SettingsForm
    from plugins.passport.schema import CorrectionFields, RedemptionFields, SettingsFields
    assert CorrectionForm.schema is CorrectionFields and issubclass(CorrectionSchema, CorrectionFields)
    assert RedeemForm.schema is RedemptionFields and issubclass(RedemptionSchema, RedemptionFields)
    assert SettingsForm.schema is SettingsFields  # no API for the rule: the page and the service


@pytest.mark.parametrize("points, minutes, note, field, message", [
    (-1, 0, " ", "note", "请说明更正原因"),
    (-1, 0, "多" * 301, "note", "更正原因不能超过300字"),
    (0, 0, "多记", "points", "更正的积分或时长不能都为零"),
    (None, None, "多记", "points", "更正的积分或时长不能都为零"),
])
def test_a_correction_is_refused_the_same_way_by_the_service_the_api_and_the_page(
        points, minutes, note, field, message, make_volunteer, earn, manager, client, api, login_as):
    from plugins.passport.models import LedgerEntry
    volunteer = make_volunteer()
    earn(volunteer, 120)
    entry = db.session.scalar(select(LedgerEntry))
    with pytest.raises(ValidationError) as raised:
        services.correct(volunteer, entry.id, points, minutes, note, user=manager)
    assert (raised.value.field, raised.value.message) == (field, message)
    body = {k: v for k, v in {"entry_id": entry.id, "points": points, "minutes": minutes, "note": note}.items()
            if v is not None}
    response = client.post(f"/api/v1/passport/volunteers/{volunteer.id}/corrections", headers=api("fangxing-mgr"),
                           json=body)
    assert response.status_code == 422
    assert {"field": field, "message": message} in [{k: e.get(k) for k in ("field", "message")}
                                                     for e in response.get_json()["errors"]]
    login_as("fangxing-mgr")
    page = client.post(f"/passport/volunteers/{volunteer.id}/corrections", follow_redirects=True, data={
        "entry_id": entry.id, "points": "" if points is None else points, "minutes": "" if minutes is None else minutes,
        "note": note}).get_data(as_text=True)
    if field == "points":  # the page's own checks pass; the schema's message, named by its field's label
        assert f"积分增减：{message}" in page
    else:  # the browser's check on the server, from the schema's required and max_length
        assert "更正原因：" in page
    assert len(services.ledger(volunteer.id)) == 1


def test_the_correction_form_is_marked_from_the_schema(login_as, client, make_volunteer):
    volunteer = make_volunteer()
    login_as("fangxing-mgr")
    html = client.get(f"/passport/volunteers/{volunteer.id}").get_data(as_text=True)
    assert " required" in field_html(html, "entry_id")
    assert " required" in field_html(html, "note") and 'maxlength="300"' in field_html(html, "note")
    assert " required" not in field_html(html, "points")


@pytest.mark.parametrize("quantity, message", [(0, "兑换数量至少为1"), (101, "每次兑换数量不能超过100")])
def test_a_redemption_is_refused_the_same_way_by_the_service_the_api_and_the_page(
        quantity, message, make_volunteer, earn, make_gift, manager, client, api, login_as, open_window):
    volunteer = make_volunteer()
    earn(volunteer, 120)
    gift = make_gift(points_cost=1, stock=200)
    with pytest.raises(ValidationError) as raised:
        services.redeem(volunteer, gift, quantity, user=manager)
    assert (raised.value.field, raised.value.message) == ("quantity", message)
    response = client.post(f"/api/v1/passport/volunteers/{volunteer.id}/redemptions", headers=api("fangxing-mgr"),
                           json={"gift_id": gift.id, "quantity": quantity})
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [("quantity", message)]
    login_as("fangxing-mgr")
    html = client.get(f"/passport/volunteers/{volunteer.id}").get_data(as_text=True)
    assert 'min="1"' in field_html(html, "quantity") and 'max="100"' in field_html(html, "quantity")
    page = client.post(f"/passport/volunteers/{volunteer.id}/redeem", follow_redirects=True,
                       data={"gift_id": gift.id, "quantity": quantity}).get_data(as_text=True)
    assert "数量：" in page  # the schema's Range, checked on the server as the browser does
    db.session.refresh(volunteer)
    assert volunteer.balance == 4 and len(services.ledger(volunteer.id)) == 1


@pytest.mark.parametrize("field, value, message", [
    ("points_per_half_hour", 0, "每半小时积分应在1到100之间"),
    ("points_per_half_hour", 101, "每半小时积分应在1到100之间"),
    ("points_per_half_hour", None, "每半小时积分应在1到100之间"),
    ("default_points_cap", 0, "单次活动积分上限至少为1"),
    ("window_months", 5, "兑换周期应为1、2、3、4、6或12个月"),
    ("window_days", 32, "窗口天数应在1到31之间"),
])
def test_the_points_rule_is_refused_what_the_schema_refuses(field, value, message, fangxing, manager):
    from plugins.passport.models import PassportSettings
    data = dict({"points_per_half_hour": 2, "default_points_cap": None, "window_months": 6, "window_days": 15},
                **{field: value})
    with pytest.raises(ValidationError) as raised:
        services.save_settings(fangxing, data, user=manager)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert db.session.get(PassportSettings, fangxing.id) is None


def test_the_settings_form_is_marked_and_checked_from_the_schema(login_as, client, fangxing):
    from plugins.passport.models import PassportSettings
    login_as("fangxing-mgr")
    html = client.get("/passport/fangxing/redemption").get_data(as_text=True)
    per = field_html(html, "settings-points_per_half_hour")
    assert " required" in per and 'min="1"' in per and 'max="100"' in per
    days = field_html(html, "settings-window_days")
    assert 'min="1"' in days and 'max="31"' in days
    assert 'min="1"' in field_html(html, "settings-default_points_cap")
    assert " required" not in field_html(html, "settings-default_points_cap")
    response = client.post("/passport/fangxing/redemption", data={
        "form": "settings", "settings-points_per_half_hour": 2, "settings-window_months": 3,
        "settings-window_days": 40})
    assert response.status_code == 200 and "每期窗口天数（周期末）：" in response.get_data(as_text=True)
    assert db.session.get(PassportSettings, fangxing.id) is None
