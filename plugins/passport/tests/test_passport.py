"""义粉护照: registering volunteers, recording service, the ledger, redemption windows and gifts."""
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from incubator.dates import today
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.plugins import set_enablement
from incubator.stamps import data_changed
from plugins.passport import idcard, services
from plugins.passport.models import Gift, LedgerEntry, Volunteer

# -- ID numbers ----------------------------------------------------------------------------------

def test_id_check_digit_follows_gb_11643():
    assert idcard.error("11010519491231002X") is None  # the standard's own example
    assert idcard.error("110105194912310021") == "身份证号码校验位不正确"
    assert idcard.error("11010519491331002X") == "身份证号码中的出生日期无效"
    assert idcard.error("1101051949123100") is not None
    assert idcard.mask("340111197001101234") == "340111********1234"


def test_manager_registers_a_volunteer_and_the_id_number_never_shows_in_full(id_numbers, login_as, client, api, fangxing):
    full_id = id_numbers[0]
    login_as("fangxing-mgr")
    response = client.post("/passport/fangxing/volunteers/new",
                           data={"name": "王秀英", "phone": "13955100001", "id_number": full_id})
    assert response.status_code == 302
    volunteer = db.session.scalar(select(Volunteer).where(Volunteer.name == "王秀英"))
    assert volunteer.id_masked == full_id[:6] + "********" + full_id[-4:]
    assert full_id not in (volunteer.id_hash, volunteer.id_masked)

    for url in (f"/passport/volunteers/{volunteer.id}", "/passport/fangxing/"):
        page = client.get(url).get_data(as_text=True)
        assert volunteer.id_masked in page and full_id not in page
    headers = api("fangxing-mgr")
    for url in (f"/api/v1/passport/volunteers/{volunteer.id}", "/api/v1/passport/parks/fangxing/volunteers"):
        body = client.get(url, headers=headers).get_data(as_text=True)
        assert volunteer.id_masked in body and full_id not in body and "13955100001" not in body

    export = client.get("/passport/fangxing/export.xlsx")
    assert export.status_code == 200
    cells = [str(c.value) for ws in load_workbook(BytesIO(export.data)) for row in ws.iter_rows() for c in row]
    assert volunteer.id_masked in cells
    assert not any(full_id in c for c in cells)


def test_a_wrong_check_digit_is_refused_on_the_page_and_in_the_api(id_numbers, login_as, client, api):
    bad = id_numbers[1][:17] + ("0" if id_numbers[1][17] != "0" else "1")
    login_as("fangxing-mgr")
    response = client.post("/passport/fangxing/volunteers/new",
                           data={"name": "李建国", "phone": "13955100002", "id_number": bad})
    assert response.status_code == 422
    assert "身份证号码校验位不正确" in response.get_data(as_text=True)
    response = client.post("/api/v1/passport/parks/fangxing/volunteers", headers=api("fangxing-mgr"),
                           json={"name": "李建国", "phone": "13955100002", "id_number": bad})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "id_number"
    assert db.session.scalar(select(Volunteer.id)) is None


def test_the_same_id_number_cannot_register_twice(id_numbers, client, api):
    headers = api("fangxing-mgr")
    body = {"name": "张桂兰", "phone": "13955100003", "id_number": id_numbers[2]}
    assert client.post("/api/v1/passport/parks/fangxing/volunteers", headers=headers, json=body).status_code == 201
    body["id_number"] = id_numbers[2].lower()  # an x typed in lower case is the same number
    response = client.post("/api/v1/passport/parks/fangxing/volunteers", headers=headers, json=body)
    assert response.status_code == 409
    assert "已登记" in response.get_json()["errors"][0]["message"]


# -- points rule and recording -------------------------------------------------------------------

def test_points_are_one_per_full_half_hour_with_an_optional_cap(make_volunteer, make_activity, manager):
    volunteer = make_volunteer()
    service = services.record_service(make_activity(), volunteer, 95, user=manager)
    assert service.points == 3
    capped = services.record_service(make_activity(title="义诊", points_cap=2), volunteer, 240, user=manager)
    assert capped.points == 2
    db.session.refresh(volunteer)
    assert volunteer.balance == 5 and volunteer.minutes_served == 335


def test_the_manager_can_change_the_rule_for_new_activities(fangxing, manager, make_volunteer, make_activity):
    services.save_settings(fangxing, {"points_per_half_hour": 2, "default_points_cap": 5, "window_months": 6,
                                      "window_days": 15}, user=manager)
    volunteer = make_volunteer()
    service = services.record_service(make_activity(), volunteer, 120, user=manager)
    assert service.points == 5  # 4 half hours × 2, capped at 5


def test_a_volunteer_is_recorded_once_per_activity(make_volunteer, make_activity, manager):
    volunteer, activity = make_volunteer(), make_activity()
    services.record_service(activity, volunteer, 60, user=manager)
    with pytest.raises(Conflict):
        services.record_service(activity, volunteer, 60, user=manager)


def test_the_organizer_records_on_the_activity_page(login_as, client, make_volunteer, make_activity):
    volunteer = make_volunteer(name="陈晓燕")
    activity = make_activity()
    login_as("fangxing-mgr")
    response = client.post(f"/passport/activities/{activity.id}", data={"volunteer": volunteer.phone, "minutes": 60})
    assert response.status_code == 302
    page = client.get(f"/passport/activities/{activity.id}").get_data(as_text=True)
    assert "陈晓燕" in page
    db.session.refresh(volunteer)
    assert volunteer.balance == 2


def test_an_organizations_user_records_its_own_activities_only(login_as, client, users, make_org, make_volunteer,
                                                                 make_activity):
    org = make_org(park="fangxing", stage="incubating")
    trainee = users["trainee-chen"]
    trainee.organization_id = org.id
    db.session.commit()
    volunteer = make_volunteer()
    own = make_activity(title="组织自办活动", organization_id=org.id)
    community = make_activity(title="社区自办活动")
    login_as("trainee-chen")
    assert "义粉护照" in client.get("/parks").get_data(as_text=True)  # menu entry for an organizer
    response = client.post(f"/passport/activities/{own.id}", data={"volunteer": str(volunteer.id), "minutes": 30})
    assert response.status_code == 302
    assert client.post(f"/passport/activities/{community.id}",
                       data={"volunteer": str(volunteer.id), "minutes": 30}).status_code == 403
    assert client.get("/passport/fangxing/").status_code == 403
    db.session.refresh(volunteer)
    assert volunteer.balance == 1


def test_an_activity_cannot_be_organized_by_another_parks_organization(make_org, make_activity):
    other = make_org(park="changqing")
    with pytest.raises(ValidationError):
        make_activity(organization_id=other.id)


# -- the ledger ----------------------------------------------------------------------------------

def test_a_correction_is_a_new_entry_referencing_the_corrected_one(make_volunteer, earn, manager):
    volunteer = make_volunteer()
    earn(volunteer, 120)
    original = db.session.scalar(select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer.id))
    correction = services.correct(volunteer, original.id, -2, -60, "实际服务1小时", user=manager)
    assert correction.kind == "correction" and correction.corrects_id == original.id
    db.session.refresh(original)
    assert original.points == 4 and original.minutes == 120  # untouched
    db.session.refresh(volunteer)
    assert volunteer.balance == 2 and volunteer.minutes_served == 60
    assert services.ledger_sum(volunteer.id) == (2, 60)


def test_the_ledger_refuses_edits_and_deletes(make_volunteer, earn):
    volunteer = make_volunteer()
    earn(volunteer, 60)
    entry = db.session.scalar(select(LedgerEntry))
    entry.points = 100
    with pytest.raises(RuntimeError, match="只增不改"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(LedgerEntry)))
    with pytest.raises(RuntimeError, match="不可删除"):
        db.session.flush()
    db.session.rollback()


def test_the_balance_never_goes_below_zero(make_volunteer, earn, manager, client, api):
    volunteer = make_volunteer()
    earn(volunteer, 60)
    entry = db.session.scalar(select(LedgerEntry))
    with pytest.raises(Conflict, match="积分余额不足"):
        services.correct(volunteer, entry.id, -3, 0, "多记", user=manager)
    response = client.post(f"/api/v1/passport/volunteers/{volunteer.id}/corrections", headers=api("fangxing-mgr"),
                           json={"entry_id": entry.id, "points": -3, "note": "多记"})
    assert response.status_code == 409
    db.session.refresh(volunteer)
    assert volunteer.balance == 2 and len(services.ledger(volunteer.id)) == 1


# -- windows, gifts, redemption ------------------------------------------------------------------

def test_the_default_rule_gives_half_yearly_windows(fangxing, manager):
    assert services.default_windows(fangxing.id, 2027) == [
        ("2027年6月兑换", date(2027, 6, 16), date(2027, 6, 30)),
        ("2027年12月兑换", date(2027, 12, 17), date(2027, 12, 31))]
    created = services.generate_windows(fangxing, 2027, user=manager)
    assert len(created) == 2
    assert services.generate_windows(fangxing, 2027, user=manager) == []  # no overlapping duplicates


def test_redemption_only_inside_a_window(make_volunteer, earn, make_gift, manager, fangxing):
    volunteer = make_volunteer()
    earn(volunteer, 120)
    gift = make_gift()
    with pytest.raises(Conflict, match="兑换窗口"):
        services.redeem(volunteer, gift, user=manager)
    services.create_window(fangxing, "本期", today(), today(), user=manager)
    services.redeem(volunteer, gift, user=manager)
    db.session.refresh(volunteer)
    db.session.refresh(gift)
    assert volunteer.balance == 0 and gift.stock == 9


def test_redemption_checks_stock_and_balance_and_keeps_the_hours(make_volunteer, earn, make_gift, manager, open_window):
    volunteer = make_volunteer()
    earn(volunteer, 300)  # 10 points
    scarce = make_gift(name="保温杯", points_cost=2, stock=1)
    with pytest.raises(Conflict, match="库存不足"):
        services.redeem(volunteer, scarce, 2, user=manager)
    dear = make_gift(name="粮油礼包", points_cost=11, stock=5)
    with pytest.raises(Conflict, match="积分余额不足"):
        services.redeem(volunteer, dear, user=manager)
    services.redeem(volunteer, scarce, 1, user=manager)
    db.session.refresh(volunteer)
    assert volunteer.balance == 8 and volunteer.minutes_served == 300
    assert [e.kind for e in services.ledger(volunteer.id)] == ["earn", "redeem"]


def test_manager_redeems_at_the_counter_and_the_passport_shows_the_history(login_as, client, make_volunteer, earn,
                                                                             make_gift, open_window):
    volunteer = make_volunteer(name="赵春梅")
    earn(volunteer, 240)
    gift = make_gift(name="理发券", points_cost=3, stock=4)
    login_as("fangxing-mgr")
    response = client.post(f"/passport/volunteers/{volunteer.id}/redeem", data={"gift_id": gift.id, "quantity": 2})
    assert response.status_code == 302
    page = client.get(f"/passport/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "理发券 × 2" in page and "-6" in page and "4.0</strong> 小时" in page
    db.session.refresh(volunteer)
    assert volunteer.balance == 2


def test_api_redemption_outside_a_window_is_409(client, api, make_volunteer, earn, make_gift):
    volunteer = make_volunteer()
    earn(volunteer, 60)
    gift = make_gift(points_cost=1)
    response = client.post(f"/api/v1/passport/volunteers/{volunteer.id}/redemptions", headers=api("fangxing-mgr"),
                           json={"gift_id": gift.id})
    assert response.status_code == 409
    assert "兑换窗口" in response.get_json()["errors"][0]["message"]


def test_manager_manages_windows_gifts_and_the_rule_on_one_page(login_as, client):
    login_as("fangxing-mgr")
    assert client.post("/passport/fangxing/redemption", data={
        "form": "gift", "gift-name": "环保袋", "gift-points_cost": 4, "gift-stock": 20, "gift-active": "y"}).status_code == 302
    assert client.post("/passport/fangxing/redemption", data={"form": "generate", "gen-year": 2027}).status_code == 302
    assert client.post("/passport/fangxing/redemption", data={
        "form": "settings", "settings-points_per_half_hour": 2, "settings-window_months": 3,
        "settings-window_days": 10}).status_code == 302
    page = client.get("/passport/fangxing/redemption").get_data(as_text=True)
    assert "环保袋" in page and "2027年6月兑换" in page
    assert services.settings_for(db.session.scalar(select(Gift.park_id))).points_per_half_hour == 2
    response = client.post("/passport/fangxing/redemption", data={
        "form": "gift", "gift-name": "坏库存", "gift-points_cost": 4, "gift-stock": -1})
    assert response.status_code == 200 and db.session.scalar(select(Gift).where(Gift.name == "坏库存")) is None


def test_stock_cannot_go_negative_in_the_database(make_gift):
    gift = make_gift(stock=1)
    gift.stock = -1
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# -- ranking, own passport, permissions, enablement ------------------------------------------------

def test_the_ranking_orders_by_hours_and_masks_names_for_the_public(client, login_as, make_volunteer, earn):
    first, second = make_volunteer(name="周海涛"), make_volunteer(name="吴淑珍")
    earn(first, 60)
    earn(second, 180)
    page = client.get("/passport/fangxing/ranking").get_data(as_text=True)
    assert page.index("吴**") < page.index("周**") and "周海涛" not in page
    login_as("fangxing-mgr")
    page = client.get("/passport/fangxing/ranking").get_data(as_text=True)
    assert page.index("吴淑珍") < page.index("周海涛")


def test_a_volunteer_sees_their_own_passport_only(login_as, client, users, make_volunteer, earn):
    mine = make_volunteer(name="孙玉兰", user_id=users["trainee-wang"].id)
    other = make_volunteer(name="徐国庆")
    earn(mine, 90)
    login_as("trainee-wang")
    me = client.get("/me").get_data(as_text=True)
    assert "我的义粉护照" in me and "1.5 小时" in me
    assert client.get(f"/passport/volunteers/{mine.id}").status_code == 200
    assert client.get(f"/passport/volunteers/{other.id}").status_code == 403
    assert client.post(f"/passport/volunteers/{mine.id}/redeem", data={"gift_id": 1}).status_code == 403


def test_manager_of_another_park_is_refused(login_as, client, api, make_volunteer):
    volunteer = make_volunteer()
    login_as("changqing-mgr")
    assert client.get(f"/passport/volunteers/{volunteer.id}").status_code == 403
    assert client.get("/passport/fangxing/").status_code == 403
    assert client.get(f"/api/v1/passport/volunteers/{volunteer.id}", headers=api("changqing-mgr")).status_code == 403


def test_nothing_shows_and_the_api_answers_404_where_the_plugin_is_not_enabled(id_numbers, login_as, client, api, parks,
                                                                                 make_volunteer, manager):
    volunteer = make_volunteer()
    login_as("changqing-mgr")
    assert "义粉护照" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/passport/changqing/").status_code == 404
    assert client.get("/passport/changqing/ranking").status_code == 404
    headers = api("changqing-mgr")
    assert client.get("/api/v1/passport/parks/changqing/volunteers", headers=headers).status_code == 404
    assert client.post("/api/v1/passport/parks/changqing/volunteers", headers=headers,
                       json={"name": "x", "phone": "13900000000", "id_number": id_numbers[9]}).status_code == 404

    login_as("fangxing-mgr")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "义粉护照" in page
    set_enablement("passport", "parks", [parks["changqing"]])
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "义粉护照" not in page
    assert client.get(f"/passport/volunteers/{volunteer.id}").status_code == 404
    assert client.get(f"/api/v1/passport/volunteers/{volunteer.id}", headers=api("fangxing-mgr")).status_code == 404


def test_forms_need_the_csrf_token(id_numbers, app, login_as, client):
    login_as("fangxing-mgr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/passport/fangxing/volunteers/new",
                               data={"name": "王秀英", "phone": "13955100001", "id_number": id_numbers[0]})
        assert response.status_code in (400, 422)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(select(Volunteer.id)) is None


# -- CLI, demo -----------------------------------------------------------------------------------

def test_cli_check_compares_balances_with_the_ledger(app, make_volunteer, earn):
    volunteer = make_volunteer()
    earn(volunteer, 60)
    result = app.test_cli_runner().invoke(args=["passport", "check"])
    assert result.exit_code == 0 and "0 mismatch" in result.output
    db.session.execute(Volunteer.__table__.update().values(balance=99))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["passport", "check"])
    assert result.exit_code == 1 and "1 mismatch" in result.output


def test_demo_data_is_consistent_and_seeding_twice_adds_nothing(network):
    from plugins.passport.demo import seed
    seed(db.session)
    db.session.commit()
    count = len(db.session.scalars(select(Volunteer)).all())
    seed(db.session)
    assert count == 12 and len(db.session.scalars(select(Volunteer)).all()) == 12
    for volunteer in db.session.scalars(select(Volunteer)):
        assert services.ledger_sum(volunteer.id) == (volunteer.balance, volunteer.minutes_served)


def test_list_pages_issue_a_bounded_number_of_queries(app, login_as, client, make_volunteer, make_activity, earn,
                                                      make_org):
    from incubator.testing import counting_queries

    def queries(url):
        client.get(url)  # warm: the first request after the data changed reads the plugins' enablement
        with app.app_context():
            data_changed()  # and the to-dos are counted again, as after any write
        with app.app_context():
            engine = db.engine
        with counting_queries(engine) as counter:
            assert client.get(url).status_code == 200
        return counter.n

    login_as("fangxing-mgr")
    org = make_org(park="fangxing")
    for i in range(3):
        earn(make_volunteer(), 60)
    make_activity(title="组织活动", organization_id=org.id)
    few = {url: queries(url) for url in ("/passport/fangxing/", "/passport/fangxing/activities")}
    for i in range(25):
        earn(make_volunteer(), 60)
        make_activity(title=f"更多活动{i}", organization_id=org.id)
    for url, count in few.items():
        assert queries(url) == count, url
    page = client.get("/passport/fangxing/").get_data(as_text=True)
    assert "/passport/fangxing/?page=2" in page
    assert "志愿者27" in client.get("/passport/fangxing/?page=2").get_data(as_text=True)


def test_an_organizations_user_starts_its_own_activity_then_records_it(login_as, client, users, make_org,
                                                                         make_volunteer):
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    users["trainee-chen"].organization_id = org.id
    db.session.commit()
    volunteer = make_volunteer()
    login_as("trainee-chen")
    assert "发起志愿活动" in client.get("/passport/").get_data(as_text=True)
    response = client.post("/passport/fangxing/activities/new", data={
        "title": "邻里互助集市", "held_on": today().isoformat(), "place": "社区广场",
        "organization_id": 999})  # ignored: always the user's own organization
    assert response.status_code == 302
    from plugins.passport.models import Activity
    activity = db.session.scalar(select(Activity))
    assert activity.organization_id == org.id and activity.created_by_id == users["trainee-chen"].id
    assert client.post(response.headers["Location"], data={"volunteer": str(volunteer.id), "minutes": 90}).status_code == 302
    db.session.refresh(volunteer)
    assert volunteer.balance == 3
    assert client.post("/passport/changqing/activities/new", data={
        "title": "x", "held_on": today().isoformat()}).status_code == 404  # not enabled there
    assert client.post("/passport/fangxing/activities/new", data={"title": "x"}).status_code == 302


def test_a_user_without_an_organization_in_the_park_cannot_start_activities(login_as, client, users, make_org):
    users["trainee-chen"].organization_id = make_org(park="changqing").id
    db.session.commit()
    login_as("trainee-chen")
    assert client.get("/passport/").status_code == 404
    assert client.post("/passport/fangxing/activities/new", data={
        "title": "x", "held_on": today().isoformat()}).status_code == 403


def test_manager_edits_contact_details_but_never_the_id_number(login_as, client, users, make_volunteer):
    volunteer = make_volunteer(name="黄丽华")
    masked = volunteer.id_masked
    login_as("fangxing-mgr")
    page = client.get(f"/passport/volunteers/{volunteer.id}/edit").get_data(as_text=True)
    assert masked in page and "不可修改" in page
    response = client.post(f"/passport/volunteers/{volunteer.id}/edit", data={
        "name": "黄丽华", "phone": "13800001111", "username": "trainee-wang", "id_number": "110105194912310021"})
    assert response.status_code == 302
    db.session.refresh(volunteer)
    assert volunteer.phone == "13800001111" and volunteer.user_id == users["trainee-wang"].id
    assert volunteer.id_masked == masked
    assert client.post(f"/passport/volunteers/{volunteer.id}/edit", data={
        "name": "黄丽华", "phone": "12345"}).status_code == 200  # refused with a message, nothing saved
    db.session.refresh(volunteer)
    assert volunteer.phone == "13800001111"
