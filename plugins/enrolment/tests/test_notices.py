"""Academy notices, as people meet them: a trainee moved up from the waitlist, told of the park's
decision on their enrolment and of their completion; the seated trainees and the instructor reminded
of a class the day before, once per session; nobody else, nothing where the academy is off."""
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from incubator.dates import to_local
from incubator.extensions import db
from incubator.notifications.models import Notice
from incubator.notifications.reminders import send_reminders
from incubator.notifications.testing import notices, reached
from incubator.plugins import set_enablement

if "enrolment" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin enrolment is disabled", allow_module_level=True)

from plugins.enrolment import completion, services


def academy_notices() -> list[str]:
    return list(db.session.scalars(select(Notice.kind).where(Notice.kind.like("enrolment.%"))))


@pytest.fixture
def full(make_offering, users):
    """A one-seat offering: wang seated, chen first on the waitlist, t1 second."""
    def _make(make_trainee, **options):
        offering = make_offering(capacity=1, **options)
        seated = services.enrol(offering, users["trainee-wang"], by=users["trainee-wang"])
        first = services.enrol(offering, users["trainee-chen"], by=users["trainee-chen"])
        other = make_trainee()
        second = services.enrol(offering, other, by=other)
        assert (seated.status, first.status, second.status) == ("enrolled", "waitlisted", "waitlisted")
        return offering, seated, first, second
    return _make


# -- moved up from the waitlist ------------------------------------------------------------------

def test_a_trainee_moved_up_from_the_waitlist_is_told_by_email_and_nobody_else(
        app, full, make_trainee, users, addresses, mail_server, login_as, client):
    offering, seated, first, _second = full(make_trainee)
    assert academy_notices() == []  # enrolling by oneself tells nobody: the page said it
    services.cancel(seated, by=users["trainee-wang"])
    assert reached("enrolment.promoted") == ["trainee-chen"]
    [mail] = mail_server.messages
    assert mail["Subject"] == f"候补转正：《{offering.display_title}》"
    assert mail.envelope_to == ["trainee-chen@example.cn"]
    first_class = to_local(offering.sessions[0].starts_at)
    assert "您已由候补转为正式学员，请按时上课。下次课：" in mail.get_body(("plain",)).get_content()
    assert f"{first_class:%H:%M}" in mail.get_body(("plain",)).get_content()
    [notice] = notices("enrolment.promoted")
    assert notice.link == f"/academy/offerings/{offering.id}" and notice.park_id == offering.park_id
    login_as("trainee-chen")  # the link opens the offering, showing the seat
    page = client.get(notice.link)
    assert page.status_code == 200 and "已报名" in page.get_data(as_text=True)


def test_a_raised_capacity_tells_each_trainee_moved_up(full, make_trainee, users):
    offering, _seated, _first, second = full(make_trainee)
    services.update_offering(offering, {"capacity": 3}, user=users["fangxing-mgr"])
    assert reached("enrolment.promoted") == ["trainee-chen", second.user.username]


def test_a_trainee_moved_up_reads_it_in_english(app, full, make_trainee, users, addresses, mail_server):
    users["trainee-chen"].locale = "en"
    db.session.commit()
    offering, seated, _first, _second = full(make_trainee)
    services.remove(seated, by=users["fangxing-mgr"], note="重复报名")
    [mail] = mail_server.messages
    assert mail["Subject"] == f"Moved up from the waitlist: “{offering.display_title}”"
    assert "A seat came free in" in mail.get_body(("plain",)).get_content()


# -- the park's decision -------------------------------------------------------------------------

def test_approval_and_rejection_reach_each_trainee_only(
        app, make_offering, make_trainee, users, addresses, mail_server, login_as, client):
    offering = make_offering(capacity=1, requires_approval=True)
    manager = users["fangxing-mgr"]
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    other = make_trainee()
    pending = [services.enrol(offering, person, by=person) for person in (wang, chen, other)]
    assert academy_notices() == []
    services.approve(pending[0], by=manager)  # the seat
    services.approve(pending[1], by=manager)  # full: the waitlist
    services.reject(pending[2], by=manager, note="不属于本社区")
    assert reached("enrolment.decided") == ["trainee-chen", other.username, "trainee-wang"]
    mails = {m.envelope_to[0]: m for m in mail_server.messages}
    assert sorted(mails) == ["trainee-chen@example.cn", "trainee-wang@example.cn"]  # t1 has no address
    title = offering.display_title
    approved = notices("enrolment.decided")[0]
    assert approved.subject == "报名已通过：《%(title)s》" and approved.params["title"] == title
    assert mails["trainee-wang@example.cn"]["Subject"] == f"报名已通过：《{title}》"  # (no space lost in folding)
    assert "请按时上课。下次课：" in mails["trainee-wang@example.cn"].get_body(("plain",)).get_content()
    assert "您现在候补第 1 位" in mails["trainee-chen@example.cn"].get_body(("plain",)).get_content()
    rejected = notices("enrolment.decided")[2]
    assert rejected.subject == "报名未通过：《%(title)s》" and rejected.params["note"] == "不属于本社区"
    login_as(other.username)
    assert client.get(rejected.link).status_code == 200


def test_a_decision_notice_cannot_be_turned_off(network):
    from incubator.notifications.registry import kind
    assert kind("enrolment.decided").optional is False and kind("enrolment.promoted").optional is True


# -- completion ----------------------------------------------------------------------------------

def test_the_trainee_who_completes_is_told_of_their_hours(
        app, make_offering, users, addresses, mail_server, login_as, client):
    offering = make_offering(started=True, capacity=5)
    manager = users["fangxing-mgr"]
    wang, chen = (services.enrol(offering, users[name], by=manager, as_manager=True)
                  for name in ("trainee-wang", "trainee-chen"))
    assert academy_notices() == []  # a manager's enrolment is shown to them, not sent
    for session in offering.sessions:
        completion.record_attendance(session, {wang.id: "present", chen.id: "absent"}, by=users["expert-li"])
    assert reached("enrolment.completed") == ["trainee-wang"]
    [mail] = [m for m in mail_server.messages if m["Subject"].startswith("恭喜结业")]  # (the certificate has its own)
    assert mail["Subject"] == f"恭喜结业：《{offering.display_title}》"
    assert mail.envelope_to == ["trainee-wang@example.cn"]
    hours = f"{float(offering.course.hours):g}"
    assert f"获得 {hours} 学时" in mail.get_body(("plain",)).get_content()
    [notice] = notices("enrolment.completed")
    login_as("trainee-wang")
    page = client.get(notice.link)
    assert notice.link == "/academy/my" and page.status_code == 200 and offering.course.title in page.get_data(as_text=True)
    # A correction afterwards completes nobody again and tells nobody again.
    completion.record_attendance(offering.sessions[0], {wang.id: "late"}, by=users["expert-li"])
    assert reached("enrolment.completed") == ["trainee-wang"]


# -- classes tomorrow ----------------------------------------------------------------------------

def test_incubator_reminders_tell_the_seated_and_the_instructor_the_day_before_each_class_once(
        app, full, make_trainee, users, addresses, mail_server, login_as, client):
    offering, seated, first, second = full(make_trainee)
    services.update_offering(offering, {"capacity": 2}, user=users["fangxing-mgr"])  # chen moves up
    mail_server.messages.clear()
    day = to_local(offering.sessions[0].starts_at).date()
    send_reminders(on=day - timedelta(days=2))
    assert reached("enrolment.class_tomorrow") == [] and reached("enrolment.teaching_tomorrow") == []
    send_reminders(on=day - timedelta(days=1))
    send_reminders(on=day - timedelta(days=1))  # the worker asks again every hour
    send_reminders(on=day)  # the class is today: nothing new
    assert reached("enrolment.class_tomorrow") == ["trainee-chen", "trainee-wang"]  # not the waitlisted t1
    assert reached("enrolment.teaching_tomorrow") == ["expert-li"]
    title = offering.display_title
    assert sorted((m["Subject"], m.envelope_to[0]) for m in mail_server.messages) == [
        (f"明天上课：《{title}》", "trainee-chen@example.cn"), (f"明天上课：《{title}》", "trainee-wang@example.cn"),
        (f"明天授课：《{title}》", "expert-li@example.cn")]
    teaching = next(m for m in mail_server.messages if m.envelope_to == ["expert-li@example.cn"])
    assert "地点：活动室；正式学员 2 人。" in teaching.get_body(("plain",)).get_content()
    [trainees] = notices("enrolment.class_tomorrow")
    assert trainees.params["topic"] == "第1讲" and trainees.link == f"/academy/offerings/{offering.id}"
    [instructor] = notices("enrolment.teaching_tomorrow")
    login_as("expert-li")  # the instructor's link opens the roster
    assert instructor.link == f"/academy/manage/{offering.id}" and client.get(instructor.link).status_code == 200
    send_reminders(on=day + timedelta(days=6))  # the second class, a week later: a new occasion
    assert reached("enrolment.class_tomorrow") == ["trainee-chen", "trainee-chen", "trainee-wang", "trainee-wang"]


def test_no_class_reminders_where_the_academy_is_off(make_offering, users, parks):
    offering = make_offering()
    services.enrol(offering, users["trainee-wang"], by=users["trainee-wang"])
    set_enablement("enrolment", "parks", [parks["changqing"]])
    db.session.commit()
    send_reminders(on=to_local(offering.sessions[0].starts_at).date() - timedelta(days=1))
    assert academy_notices() == []


def test_nothing_is_told_where_the_academy_is_off(full, make_trainee, make_offering, users, parks):
    offering, seated, _first, _second = full(make_trainee)
    approval = make_offering(requires_approval=True, title="审核班")
    pending = services.enrol(approval, users["trainee-chen"], by=users["trainee-chen"])
    held = make_offering(started=True, title="已开课班")
    done = services.enrol(held, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    set_enablement("enrolment", "parks", [parks["changqing"]])
    db.session.commit()
    services.cancel(seated, by=users["trainee-wang"])  # the pages would be a 404; the services alone say nothing
    services.approve(pending, by=users["fangxing-mgr"])
    for session in held.sessions:
        completion.record_attendance(session, {done.id: "present"}, by=users["expert-li"])
    assert db.session.get(services.Enrolment, done.id).status == "completed"
    assert academy_notices() == []


# -- who is offered what ------------------------------------------------------------------------

def test_incubator_notification_kinds_offers_each_person_the_academy_notices_that_concern_them(
        network, login_as, client):
    labels = ("候补转为正式学员", "报名审核结果", "明天上课", "明天授课", "课程结业")
    offered = {}
    for username in ("trainee-wang", "expert-li", "fangxing-mgr"):
        login_as(username)
        page = client.get("/me/notifications").get_data(as_text=True)
        offered[username] = {label for label in labels if label in page}
    assert offered == {"trainee-wang": {"候补转为正式学员", "报名审核结果", "明天上课", "课程结业"},
                       "expert-li": set(labels), "fangxing-mgr": set()}
