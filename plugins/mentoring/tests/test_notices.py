"""Mentoring notices, as people meet them: the contact asked to sign a log off, the expert and the park
told of a dispute, the expert reminded of a follow-up due and then overdue, once each."""
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from incubator.dates import today
from incubator.extensions import db
from incubator.notifications.models import Notice
from incubator.notifications.reminders import send_reminders
from incubator.notifications.testing import notices, reached
from incubator.plugins import set_enablement

if "mentoring" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin mentoring is disabled", allow_module_level=True)

from plugins.mentoring import services
from plugins.mentoring.models import FollowUpAction

ORG = "方兴邻里互助会"  # the `supervised` organization


def _log(org, users, log_data, **overrides):
    return services.create_log(org, log_data(**overrides), user=users["expert-li"])


# -- a log to sign off ---------------------------------------------------------------------------

def test_a_new_log_asks_the_organizations_contact_by_email_and_nobody_else(
        app, supervised, users, log_data, addresses, mail_server, login_as, client):
    log = _log(supervised, users, log_data)
    assert reached("mentoring.log_submitted") == ["trainee-wang"]
    [mail] = mail_server.messages
    assert mail["Subject"] == f"督导记录待确认：{ORG}"
    assert mail.envelope_to == ["trainee-wang@example.cn"]
    assert "李督导 记录了" in mail.get_body(("plain",)).get_content()
    [notice] = notices("mentoring.log_submitted")
    assert notice.link == f"/mentoring/logs/{log.id}" and notice.park_id == supervised.park_id
    login_as("trainee-wang")  # the link opens for the contact, with the buttons to sign off
    page = client.get(notice.link)
    assert page.status_code == 200 and f"/mentoring/logs/{log.id}/confirm" in page.get_data(as_text=True)


def test_a_correction_and_a_revision_after_a_dispute_ask_the_contact_again(supervised, users, log_data):
    log = _log(supervised, users, log_data)
    services.update_log(log, log_data(advice="每月开会"), user=users["expert-li"])  # still pending: told already
    assert reached("mentoring.log_submitted") == ["trainee-wang"]
    services.dispute(log, "时长应为2小时", user=users["trainee-wang"])
    services.update_log(log, log_data(hours="2"), user=users["expert-li"])
    services.confirm(log, user=users["trainee-wang"])
    services.create_log(supervised, log_data(findings="补记：理事会记录已补齐"), user=users["expert-li"], amends=log)
    assert reached("mentoring.log_submitted") == ["trainee-wang"] * 3
    bodies = [n.body for n in notices("mentoring.log_submitted")]
    assert "已根据异议修改" in bodies[1] and "补充更正" in bodies[2]


def test_a_failed_log_tells_nobody(supervised, users, log_data):
    from incubator.errors import Conflict
    with pytest.raises(Conflict):
        _log(supervised, users, log_data, held_on=today() - timedelta(days=400))  # before the assignment
    assert reached("mentoring.log_submitted") == []


def test_the_contact_reads_the_notice_in_english(app, supervised, users, log_data, addresses, mail_server):
    users["trainee-wang"].locale = "en"
    db.session.commit()
    _log(supervised, users, log_data)
    assert mail_server.messages[0]["Subject"] == f"Mentoring log to sign off: {ORG}"


# -- a dispute -----------------------------------------------------------------------------------

def test_a_dispute_reaches_the_expert_and_the_parks_managers_only(
        app, supervised, users, log_data, addresses, mail_server, login_as, client):
    log = _log(supervised, users, log_data)
    services.dispute(log, "时长应为2小时", user=users["trainee-wang"])
    assert reached("mentoring.log_disputed") == ["expert-li", "fangxing-mgr"]
    disputed = [m for m in mail_server.messages if m["Subject"] == f"督导记录有异议：{ORG}"]
    assert sorted(to for m in disputed for to in m.envelope_to) == ["expert-li@example.cn", "fangxing-mgr@example.cn"]
    assert "时长应为2小时" in disputed[0].get_body(("plain",)).get_content()
    [notice] = notices("mentoring.log_disputed")
    for username in ("expert-li", "fangxing-mgr"):  # each may open the entry the notice links to
        login_as(username)
        assert client.get(notice.link).status_code == 200


def test_nothing_is_told_where_mentoring_is_off(supervised, users, log_data, parks):
    set_enablement("mentoring", "parks", [parks["changqing"]])
    db.session.commit()
    log = _log(supervised, users, log_data)  # the pages would be a 404; the service alone says nothing
    services.dispute(log, "不对", user=users["trainee-wang"])
    assert db.session.scalar(select(Notice.id).where(Notice.kind.like("mentoring.%")).limit(1)) is None


# -- follow-ups due and overdue --------------------------------------------------------------------

def test_incubator_reminders_tell_the_expert_of_a_follow_up_due_then_overdue_once_each(
        app, supervised, users, log_data, addresses, mail_server):
    due = today() + timedelta(days=5)
    _log(supervised, users, log_data, actions=[{"description": "补齐会议纪要", "owner": "张芳", "due_on": due}])
    mail_server.messages.clear()  # the contact's mail about the log
    send_reminders(on=due - timedelta(days=2))
    assert reached("mentoring.action_due") == []
    send_reminders(on=due - timedelta(days=1))  # due tomorrow
    send_reminders(on=due - timedelta(days=1))  # the worker asks again the same day
    send_reminders(on=due)  # due today: the same occasion
    assert reached("mentoring.action_due") == ["expert-li"]
    send_reminders(on=due + timedelta(days=1))  # overdue
    send_reminders(on=due + timedelta(days=1))
    send_reminders(on=due + timedelta(days=2))
    assert reached("mentoring.action_overdue") == ["expert-li"]
    assert [m["Subject"] for m in mail_server.messages] == [f"督导跟进事项明天到期：{ORG}", f"督导跟进事项已逾期：{ORG}"]
    assert all(m.envelope_to == ["expert-li@example.cn"] for m in mail_server.messages)
    assert "“补齐会议纪要”（负责人 张芳）已于" in mail_server.messages[1].get_body(("plain",)).get_content()
    [action] = db.session.scalars(select(FollowUpAction)).all()
    assert {n.link for n in notices("mentoring.action_overdue")} == {f"/mentoring/logs/{action.log_id}"}


def test_a_follow_up_first_seen_on_its_day_is_due_today(supervised, users, log_data):
    _log(supervised, users, log_data, actions=[{"description": "提交季度报告", "owner": "李伟", "due_on": today()}])
    send_reminders(on=today())
    assert [n.subject for n in notices("mentoring.action_due")] == ["督导跟进事项今天到期：%(org)s"]


def test_a_follow_up_long_overdue_is_not_reminded_any_more(supervised, users, log_data):
    from plugins.mentoring.notices import OVERDUE_DAYS
    due = today()
    _log(supervised, users, log_data, actions=[{"description": "补齐会议纪要", "owner": "张芳", "due_on": due}])
    send_reminders(on=due + timedelta(days=OVERDUE_DAYS + 1))  # the worker was down for a month and more
    assert reached("mentoring.action_overdue") == []
    send_reminders(on=due + timedelta(days=OVERDUE_DAYS))
    assert reached("mentoring.action_overdue") == ["expert-li"]


def test_a_follow_up_done_or_where_mentoring_is_off_is_not_reminded(supervised, users, log_data, make_org, parks):
    due = today() + timedelta(days=1)
    log = _log(supervised, users, log_data, actions=[{"description": "补齐会议纪要", "owner": "张芳", "due_on": due}])
    services.mark_done(log.actions[0], user=users["trainee-wang"])
    send_reminders(on=due + timedelta(days=1))
    assert reached("mentoring.action_due") == [] and reached("mentoring.action_overdue") == []
    _log(supervised, users, log_data, actions=[{"description": "建立志愿者台账", "owner": "王静", "due_on": due}])
    set_enablement("mentoring", "parks", [parks["changqing"]])
    db.session.commit()
    send_reminders(on=due + timedelta(days=1))
    assert reached("mentoring.action_overdue") == []


def test_an_organization_that_graduated_or_exited_brings_no_reminders(supervised, users, log_data):
    from incubator.organizations import services as orgs
    _log(supervised, users, log_data, actions=[{"description": "补齐会议纪要", "owner": "张芳", "due_on": today()}])
    orgs.move(supervised, "exited", user=users["fangxing-mgr"], note="停止运营")
    send_reminders(on=today() + timedelta(days=1))
    assert reached("mentoring.action_overdue") == []


# -- who is offered what ------------------------------------------------------------------------

def test_incubator_notification_kinds_offers_each_person_the_mentoring_notices_that_concern_them(
        supervised, login_as, client):
    offered = {}
    for username in ("trainee-wang", "expert-li", "fangxing-mgr"):
        login_as(username)
        page = client.get("/me/notifications").get_data(as_text=True)
        offered[username] = {label for label in ("督导记录待确认", "督导记录有异议", "督导跟进事项即将到期",
                                                 "督导跟进事项已逾期") if label in page}
    assert offered == {"trainee-wang": {"督导记录待确认"},
                       "expert-li": {"督导记录有异议", "督导跟进事项即将到期", "督导跟进事项已逾期"},
                       "fangxing-mgr": {"督导记录有异议"}}
