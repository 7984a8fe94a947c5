"""义粉护照 for a person at a browser: every form can be sent, spending points asks first, tables
fold into cards on a phone, dates read 2026年12月1日."""
from datetime import timedelta

from sqlalchemy import select

from incubator.dates import show_date, today
from incubator.extensions import db
from incubator.testing import Page
from plugins.passport.models import Activity


def forms_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return Page(response.get_data(as_text=True))


def test_every_passport_form_a_manager_fills_in_has_a_submit_button(login_as, client, make_volunteer):
    volunteer = make_volunteer()
    login_as("fangxing-mgr")
    for url in ("/passport/fangxing/activities", "/passport/fangxing/volunteers/new",
                f"/passport/volunteers/{volunteer.id}/edit", "/passport/fangxing/redemption",
                f"/passport/volunteers/{volunteer.id}"):
        forms = forms_of(client, url).forms
        assert forms, url
        assert [f["action"] for f in forms if not f["submit"]] == [], url
    activities = forms_of(client, "/passport/fangxing/activities").forms
    assert "新建活动" in activities[-1]["submit"]
    assert "登记志愿者" in forms_of(client, "/passport/fangxing/volunteers/new").forms[-1]["submit"]
    assert "保存" in forms_of(client, f"/passport/volunteers/{volunteer.id}/edit").forms[-1]["submit"]


def test_the_new_activity_form_sends_with_its_button_and_defaults_to_today(login_as, client):
    login_as("fangxing-mgr")
    page = client.get("/passport/fangxing/activities").get_data(as_text=True)
    assert f'value="{today().isoformat()}"' in page  # 活动日期 starts at the district's today
    response = client.post("/passport/fangxing/activities", data={
        "title": "社区读书会", "organization_id": 0, "held_on": today().isoformat(), "place": "党群服务中心",
        "points_cap": "", "description": "", "submit": "新建活动"})
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity).where(Activity.title == "社区读书会"))
    assert response.headers["Location"].endswith(f"/passport/activities/{activity.id}")


def test_redeeming_and_correcting_ask_for_confirmation(login_as, client, make_volunteer, earn, make_gift, open_window):
    volunteer = make_volunteer(name="王秀英")
    earn(volunteer, 120)
    make_gift()
    login_as("fangxing-mgr")
    forms = forms_of(client, f"/passport/volunteers/{volunteer.id}").forms
    redeem = next(f for f in forms if f["action"].endswith("/redeem"))
    correct = next(f for f in forms if f["action"].endswith("/corrections"))
    assert "王秀英" in redeem["confirm"] and "不能撤销" in redeem["confirm"] and redeem["confirm"].endswith("。")
    assert "确定" in correct["confirm"] and "？" in correct["confirm"]


def test_without_an_open_window_the_passport_says_so_and_offers_no_redemption(login_as, client, make_volunteer, earn,
                                                                             make_gift):
    volunteer = make_volunteer()
    earn(volunteer, 60)
    make_gift()
    login_as("fangxing-mgr")
    page = client.get(f"/passport/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "当前不在兑换窗口期内" in page and "/redeem" not in page


def test_the_passport_pages_fold_their_tables_into_cards_on_a_phone(login_as, client, make_volunteer, earn,
                                                                     make_gift, open_window):
    volunteer = make_volunteer()
    service = earn(volunteer, 90)
    make_gift()
    login_as("fangxing-mgr")
    for url in ("/passport/fangxing/", "/passport/fangxing/activities", f"/passport/activities/{service.activity_id}",
                f"/passport/volunteers/{volunteer.id}", "/passport/fangxing/redemption"):
        tables = forms_of(client, url).tables
        assert tables, url
        for table in tables:
            if "table-stack" in table["class"]:
                assert table["labelled"] >= table["cells"] - 1, (url, table)  # each cell names its column
            else:
                assert "w-auto" in table["class"], (url, table)  # a narrow table that fits as it is


def test_dates_on_the_passport_pages_read_the_chinese_way(login_as, client, make_activity):
    held = today() - timedelta(days=3)
    activity = make_activity(title="楼道清洁日", held_on=held)
    login_as("fangxing-mgr")
    for url in ("/passport/fangxing/activities", f"/passport/activities/{activity.id}"):
        page = client.get(url).get_data(as_text=True)
        assert show_date(held) in page and held.isoformat() not in page.replace(f'value="{today().isoformat()}"', "")
