"""Passport notices, as volunteers meet them: on a redemption window's first day, each volunteer with
points and an account is told, once; nobody without points or an account, nothing where it is off."""
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from incubator.dates import today
from incubator.extensions import db
from incubator.notifications.models import Notice
from incubator.notifications.reminders import send_reminders
from incubator.notifications.testing import reached
from incubator.plugins import set_enablement

if "passport" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin passport is disabled", allow_module_level=True)

from plugins.passport import services


@pytest.fixture
def volunteers(make_volunteer, earn, users):
    """wang's record has 4 points, chen's none yet, 李阿姨 has points and no account."""
    wang = make_volunteer(name="王学员", user_id=users["trainee-wang"].id)
    earn(wang, 120)
    make_volunteer(name="陈学员", user_id=users["trainee-chen"].id)
    earn(make_volunteer(name="李阿姨"), 60)
    return wang


@pytest.fixture
def next_window(fangxing, manager):
    """A window opening in three days."""
    opens = today() + timedelta(days=3)
    return services.create_window(fangxing, "冬季兑换", opens, opens + timedelta(days=14), user=manager)


def test_incubator_reminders_tell_volunteers_with_points_and_an_account_on_the_windows_first_day_once(
        app, volunteers, next_window, addresses, mail_server, login_as, client):
    opens = next_window.opens_on
    send_reminders(on=opens - timedelta(days=1))
    assert reached("passport.window_open") == []
    send_reminders(on=opens)
    send_reminders(on=opens)  # the worker asks again every hour
    send_reminders(on=opens + timedelta(days=1))
    assert reached("passport.window_open") == ["trainee-wang"]  # not chen (no points), not 李阿姨 (no account)
    [mail] = mail_server.messages
    assert mail["Subject"] == "积分兑换窗口开放：冬季兑换" and mail.envelope_to == ["trainee-wang@example.cn"]
    assert "的兑换窗口“冬季兑换”今天开放，至 " in mail.get_body(("plain",)).get_content()
    assert f"您的积分余额为 {volunteers.balance} 分" in mail.get_body(("plain",)).get_content()
    [notice] = db.session.scalars(select(Notice).where(Notice.kind == "passport.window_open")).all()
    assert notice.link == f"/passport/volunteers/{volunteers.id}" and notice.park_id == volunteers.park_id
    login_as("trainee-wang")  # their own passport opens
    page = client.get(notice.link)
    assert page.status_code == 200 and "王学员" in page.get_data(as_text=True)


def test_the_volunteer_reads_the_reminder_in_english(app, volunteers, next_window, users, addresses, mail_server):
    users["trainee-wang"].locale = "en"
    db.session.commit()
    send_reminders(on=next_window.opens_on)
    [mail] = mail_server.messages
    assert mail["Subject"] == "Points redemption window open: 冬季兑换"
    assert f"Your balance is {volunteers.balance} points" in mail.get_body(("plain",)).get_content()


def test_no_reminder_where_the_passport_is_off(volunteers, next_window, parks):
    set_enablement("passport", "parks", [parks["changqing"]])
    db.session.commit()
    send_reminders(on=next_window.opens_on)
    assert reached("passport.window_open") == []


def test_incubator_notification_kinds_offers_the_window_notice_to_those_who_may_volunteer(network, login_as, client):
    offered = {}
    for username in ("trainee-wang", "expert-li", "fangxing-mgr"):
        login_as(username)
        offered[username] = "积分兑换窗口开放" in client.get("/me/notifications").get_data(as_text=True)
    assert offered == {"trainee-wang": True, "expert-li": True, "fangxing-mgr": False}
