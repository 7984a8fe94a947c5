"""Notifications: the inbox, e-mail through a real SMTP server, retries, reminders once per occasion,
people's choices, the API, and the hooks plugins use to declare kinds, channels, tasks and reminders."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from incubator import hookimpl
from incubator.dates import today
from incubator.errors import Conflict
from incubator.extensions import db
from incubator.notifications import Kind, Reminder, msg, notify
from incubator.notifications.models import Delivery, Notice, Notification
from incubator.notifications.registry import UnknownKind
from incubator.notifications.reminders import send_reminders
from incubator.notifications.sending import send_due
from incubator.organizations import services as orgs
from incubator.queue import Periodic, Task
from incubator.testing import login

from .helpers import count_rows, page_text


@pytest.fixture
def contact(users, make_org):
    """张芳, the contact of an incubating organization of 方兴社区, with an e-mail address."""
    org = make_org(park="fangxing", stage="reviewing", name="方兴邻里互助会")
    person = users["contact-zhang"]
    person.organization_id, person.email = org.id, "zhangfang@example.cn"
    db.session.commit()
    return person, org


def deliveries(**where):
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).filter_by(**where).order_by(Delivery.id)))


# -- the inbox ---------------------------------------------------------------------------------------
def test_a_stage_move_reaches_the_contacts_inbox_and_the_bell_counts_it(app, client, contact, users):
    person, org = contact
    orgs.move(org, "incubating", user=users["fangxing-mgr"], note="评审会通过")
    login(client, "contact-zhang")
    html = page_text(client.get("/me"))
    assert 'id="unread-count"' in html and ">1</span>" in html
    inbox = page_text(client.get("/notifications"))
    assert "入园申请已通过：方兴邻里互助会" in inbox and "评审会通过" in inbox
    item = db.session.scalar(select(Notification).where(Notification.user_id == person.id))
    opened = client.get(f"/notifications/{item.id}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/orgs/{org.id}"
    assert 'id="unread-count"' not in page_text(client.get("/notifications"))


def test_someone_elses_notice_is_a_404_and_marking_all_read_counts(app, client, contact, users):
    person, org = contact
    orgs.move(org, "incubating", user=users["fangxing-mgr"])
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    theirs = db.session.scalars(select(Notification.id).where(Notification.user_id == person.id)).all()
    login(client, "fangxing-mgr")
    assert client.get(f"/notifications/{theirs[0]}").status_code == 404
    assert client.post(f"/notifications/{theirs[0]}/read").status_code == 404
    client.post("/logout")
    login(client, "contact-zhang")
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "已将 2 条通知标为已读" in page_text(response)


def test_a_notice_of_an_undeclared_kind_is_refused(ctx, users):
    with pytest.raises(UnknownKind):
        notify([users["admin"]], "nobody.declared", "x")


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_a_notice_link_must_be_a_path_on_the_site(ctx, users, link):
    with pytest.raises(ValueError, match="a path on this site"):
        notify([users["admin"]], "org.stage_moved", "x", link=link)


def test_a_notice_rolls_back_with_the_write_that_caused_it(ctx, users):
    from incubator.database import transaction
    with pytest.raises(Conflict):
        with transaction():
            notify([users["admin"]], "org.stage_moved", "不会出现的通知")
            raise Conflict("the write failed")
    assert count_rows(Notice) == 0 and count_rows(Notification) == 0


# -- e-mail, through a real SMTP server ----------------------------------------------------------------
def test_the_email_carries_chinese_subject_recipient_and_link_in_text_and_html(app, contact, users, mail_server):
    app.config["BASE_URL"] = "https://xueyuan.baohe.example.cn/"
    try:
        person, org = contact
        orgs.move(org, "incubating", user=users["fangxing-mgr"], note="评审会通过")
    finally:
        app.config["BASE_URL"] = None
    [mail] = mail_server.messages
    assert mail["Subject"] == "入园申请已通过：方兴邻里互助会"
    assert mail.envelope_to == ["zhangfang@example.cn"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = f"https://xueyuan.baohe.example.cn/orgs/{org.id}"
    assert link in text and "评审会通过" in text
    assert f'href="{link}"' in html and "查看详情" in html
    assert deliveries()[0].status == "sent"


def test_an_english_reader_gets_the_notice_in_english(app, contact, users, mail_server):
    person, org = contact
    person.locale = "en"
    db.session.commit()
    orgs.move(org, "incubating", user=users["fangxing-mgr"])
    assert mail_server.messages[0]["Subject"] == "Application accepted: 方兴邻里互助会"


def test_a_refusing_smtp_server_does_not_break_the_page_and_is_retried_once(app, client, contact, users, mail_server):
    person, org = contact
    mail_server.refuse()
    login(client, "fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "incubating", "move-note": "评审会通过"},
                           follow_redirects=True)
    assert response.status_code == 200 and "入园孵化" in page_text(response)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == ("pending", 1) and "451" in delivery.last_error
    assert delivery.next_attempt_at > delivery.created_at + timedelta(seconds=50)  # the first back-off: 1 min
    mail_server.accept()
    assert send_due() == 0  # not due yet
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    assert send_due() == 1
    assert send_due() == 0  # a second worker, or the next minute: nothing again
    assert len(mail_server.messages) == 1 and deliveries()[0].status == "sent"


def test_a_channel_that_keeps_failing_ends_failed_and_the_administrator_sees_it(app, client, contact, users, mail_server):
    person, org = contact
    mail_server.refuse("550 5.1.1 no such mailbox")
    orgs.move(org, "incubating", user=users["fangxing-mgr"])
    for _attempt in app.config["NOTIFY_RETRY_DELAYS"]:
        [delivery] = deliveries()
        delivery.next_attempt_at = delivery.created_at
        db.session.commit()
        send_due()
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", len(app.config["NOTIFY_RETRY_DELAYS"]) + 1)
    login(client, "fangxing-mgr")
    assert client.get("/admin/notifications").status_code == 403
    client.post("/logout")
    login(client, "admin")
    assert "通知发送失败，请检查邮件、短信或企业微信的配置" in page_text(client.get("/dashboard"))  # a to-do
    page = page_text(client.get("/admin/notifications"))
    assert "550 5.1.1 no such mailbox" in page and "zhangfang@example.cn" in page and "重新发送" in page
    mail_server.accept()
    client.post(f"/admin/notifications/{delivery.id}/retry")
    assert send_due() == 1 and len(mail_server.messages) == 1


def test_two_workers_sending_the_same_delivery_send_it_once(app, contact, users, mail_server):
    from incubator.notifications.sending import deliver
    mail_server.refuse()
    person, org = contact
    orgs.move(org, "incubating", user=users["fangxing-mgr"])
    mail_server.accept()
    [delivery] = deliveries()
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    assert [deliver(delivery.id), deliver(delivery.id)] == [True, False]
    assert len(mail_server.messages) == 1


# -- people's choices ------------------------------------------------------------------------------------
def test_the_settings_page_saves_the_address_and_turns_a_kind_off(app, client, contact, users, mail_server):
    person, org = contact
    login(client, "contact-zhang")
    page = page_text(client.get("/me/notifications"))
    assert "孵化阶段变更" in page and "电子邮件" in page and "必收" in page
    response = client.post("/me/notifications", data={"email": "zf@example.cn", "phone": "13812345678"},
                           follow_redirects=True)  # every box unticked
    assert "通知设置已保存" in page_text(response)
    db.session.expire_all()
    assert (person.email, person.phone) == ("zf@example.cn", "13812345678")
    orgs.move(org, "incubating", user=users["fangxing-mgr"])  # 入园申请结果: 必收, still sent
    orgs.move(org, "virtual", user=users["fangxing-mgr"])  # 孵化阶段变更: turned off
    assert [m["Subject"] for m in mail_server.messages] == ["入园申请已通过：方兴邻里互助会"]
    assert count_rows(Notification, Notification.user_id == person.id) == 2  # the inbox has both


def test_a_bad_email_address_is_refused_next_to_the_field(app, client, contact):
    login(client, "contact-zhang")
    response = client.post("/me/notifications", data={"email": "not an address"})
    assert "请填写有效的电子邮箱" in page_text(response)


# -- reminders ----------------------------------------------------------------------------------------------
def test_the_incubation_due_in_30_days_is_announced_once_on_the_right_day(app, users, make_org, mail_server):
    users["fangxing-mgr"].email = "mgr@example.cn"
    due = today() + timedelta(days=90)
    make_org(park="fangxing", stage="incubating", name="望湖健康服务中心",
             incubation_start=due - timedelta(days=730), incubation_due=due)
    db.session.commit()
    assert send_reminders(due - timedelta(days=61)) == 0
    assert send_reminders(due - timedelta(days=60)) == 1  # 60 days before
    assert send_reminders(due - timedelta(days=59)) == 0
    assert send_reminders(due - timedelta(days=31)) == 0
    assert send_reminders(due - timedelta(days=30)) == 1  # 30 days before
    assert send_reminders(due - timedelta(days=30)) == 0  # the worker asks again the same day: nothing
    assert send_reminders(due + timedelta(days=1)) == 1  # overdue
    assert send_reminders(due + timedelta(days=2)) == 0
    subjects = [m["Subject"] for m in mail_server.messages]
    assert subjects == ["孵化将于 60 天后到期：望湖健康服务中心", "孵化将于 30 天后到期：望湖健康服务中心",
                        "孵化已超期：望湖健康服务中心"]
    assert all(m.envelope_to == ["mgr@example.cn"] for m in mail_server.messages)


@pytest.mark.usefixtures("postgres_only")
def test_two_workers_reminding_at_once_notify_each_manager_once(app, users, make_org):
    from incubator.testing import race
    due = today() + timedelta(days=10)
    make_org(park="fangxing", stage="incubating", incubation_start=due - timedelta(days=730), incubation_due=due)
    outcomes = race(app, 4, lambda i: send_reminders(today()))
    assert sorted(outcomes) == [0, 0, 0, 1]
    assert count_rows(Notification, Notification.user_id == users["fangxing-mgr"].id) == 1


def test_incubator_reminders_from_a_plugin_are_sent_once_per_key(ctx, users, extra_plugin):
    class Street:
        @hookimpl
        def incubator_notification_kinds(self):
            return [Kind("baogong.notice", "包公街道通知", channels=())]

        @hookimpl
        def incubator_reminders(self, on):
            return [Reminder([users["admin"]], "baogong.notice", msg("%(day)s 社区议事会", day=on.isoformat()),
                             key=f"baogong:{on.isoformat()}")]

    extra_plugin(Street())
    assert send_reminders(today()) == 1 and send_reminders(today()) == 0
    assert send_reminders(today() + timedelta(days=1)) == 1


# -- the hooks ----------------------------------------------------------------------------------------------
def test_incubator_notification_kinds_offers_a_plugins_kind_on_the_settings_page(app, client, network, extra_plugin):
    class Street:
        @hookimpl
        def incubator_notification_kinds(self):
            return [Kind("baogong.notice", "包公街道通知", roles=("manager",))]

    extra_plugin(Street())
    login(client, "fangxing-mgr")
    assert "包公街道通知" in page_text(client.get("/me/notifications"))
    client.post("/logout")
    login(client, "contact-zhang")
    assert "包公街道通知" not in page_text(client.get("/me/notifications"))


def test_incubator_notification_channels_delivers_through_a_plugins_channel(ctx, users, extra_plugin):
    sent = []

    class Pager:
        key, label, audience = "pager", "寻呼机", "user"

        def address(self, user):
            return user.username

        def send(self, message):
            sent.append((message.address, message.subject, message.kind))

    class Street:
        @hookimpl
        def incubator_notification_kinds(self):
            return [Kind("baogong.notice", "包公街道通知", channels=("pager",))]

        @hookimpl
        def incubator_notification_channels(self):
            return [Pager()]

    extra_plugin(Street())
    notify([users["admin"], users["fangxing-mgr"]], "baogong.notice", msg("议事会：%(topic)s", topic="停车"))
    assert sent == [("admin", "议事会：停车", "baogong.notice"), ("fangxing-mgr", "议事会：停车", "baogong.notice")]


def test_a_choice_not_to_receive_a_plugins_channel_is_kept(ctx, users, extra_plugin):
    class Street:
        @hookimpl
        def incubator_notification_kinds(self):
            return [Kind("baogong.notice", "包公街道通知", channels=("email",))]

    extra_plugin(Street())
    admin = users["admin"]
    admin.email = "admin@example.cn"
    admin.notification_choices = {"baogong.notice": {"email": False}}
    db.session.commit()
    from incubator.notifications.registry import kind
    from incubator.notifications.services import chosen_channels
    assert chosen_channels([admin], kind("baogong.notice"))[admin.id] == set()
    assert chosen_channels([users["fangxing-mgr"]], kind("baogong.notice"))[users["fangxing-mgr"].id] == {"email"}


def test_incubator_tasks_are_registered_on_the_platforms_queue(app, ctx, extra_plugin):
    from huey import crontab

    from incubator import queue
    ran = []

    class Street:
        @hookimpl
        def incubator_tasks(self):
            return [Task("baogong.count", lambda n: ran.append(n)),
                    Periodic("baogong.nightly", lambda: None, crontab(hour="16", minute="0"))]

    extra_plugin(Street())
    huey = queue.build(app, immediate=True)
    assert {"baogong.count", "notifications.deliver"} <= set(huey.incubator_tasks)
    assert "baogong.nightly" in {task.__name__ for task in huey._registry._periodic_tasks}
    app.extensions["incubator_queue"], saved = huey, app.extensions.get("incubator_queue")
    try:
        queue.enqueue("baogong.count", 7)
    finally:
        if saved is None:  # (not built yet: the next use builds the app's own)
            app.extensions.pop("incubator_queue")
        else:
            app.extensions["incubator_queue"] = saved
    assert ran == [7]


def test_incubator_worker_started_runs_before_the_worker_takes_tasks(app, extra_plugin, monkeypatch):
    from incubator import queue
    started = []

    class Street:
        @hookimpl
        def incubator_worker_started(self):
            started.append(db.session.get_bind().dialect.name)

    class Consumer:
        def run(self):
            started.append("consuming")

    extra_plugin(Street())
    monkeypatch.setattr(queue, "_worker_app", None)  # (run_worker sets it: put back afterwards)
    monkeypatch.setattr(queue, "queue", lambda app=None: type("Q", (), {"create_consumer": lambda *a, **k: Consumer()})())
    queue.run_worker(app)
    assert started[-1] == "consuming" and len(started) >= 2


def test_a_long_chinese_subject_arrives_as_written(ctx, users, mail_server):
    admin = users["admin"]
    admin.email = "admin@example.cn"
    db.session.commit()
    subject = "报名已通过：《社区参与式治理 · 2026年第二期社区骨干能力提升专题研修班》，请于开课前十五分钟到达活动室签到"
    notify([admin], "org.stage_moved", subject)
    assert mail_server.messages[0]["Subject"] == subject


def test_the_settings_service_checks_the_address_as_the_page_does(ctx, users):
    """(A caller other than the page — the API one day — gets the same refusal.)"""
    from incubator.errors import ValidationError
    from incubator.notifications.services import save_settings
    with pytest.raises(ValidationError, match="请填写有效的电子邮箱"):
        save_settings(users["admin"], email="not an address", phone="", choices={})
    with pytest.raises(ValidationError, match="请填写有效的手机号"):
        save_settings(users["admin"], email="", phone="12345", choices={})


def test_a_reminder_already_told_writes_nothing_the_next_hour(app, users, make_org):
    from incubator.testing import counting_queries
    due = today() - timedelta(days=20)
    for n in range(5):
        make_org(park="fangxing", stage="incubating", incubation_start=due - timedelta(days=730), incubation_due=due)
    assert send_reminders(today()) == 5
    with counting_queries(db.engine) as counter:
        assert send_reminders(today()) == 0
    assert not [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE"))]
    assert count_rows(Notice) == 5  # (no notice written and taken back)
