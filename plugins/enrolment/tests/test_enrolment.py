"""Offerings and enrolment: capacity, the waitlist and its promotions, approval, cancellation, removal,
windows, prerequisites, self sign-up, bulk import, permissions and per-park enablement."""
import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy.exc import IntegrityError

from incubator.dates import to_local
from incubator.audit.models import AuditEntry
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.plugins import set_enablement
from incubator.users.models import User
from plugins.enrolment import completion, reporting, services
from plugins.enrolment.models import Enrolment, Offering, TraineeProfile

from .conftest import login


def statuses(offering):
    db.session.expire_all()
    return [(e.user.username, e.status) for e in services.roster(offering)]


def test_trainee_enrols_through_the_offering_page(client, make_offering, users):
    offering = make_offering(capacity=2)
    login(client, "trainee-wang")
    response = client.post(f"/academy/offerings/{offering.id}/enrol")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "报名成功" in page and "已报名" in page
    assert statuses(offering) == [("trainee-wang", "enrolled")]


def test_capacity_is_never_exceeded_and_the_rest_wait_first_come_first_served(make_offering, make_trainee):
    offering = make_offering(capacity=2)
    people = [make_trainee() for _ in range(5)]
    results = [services.enrol(offering, p, by=p) for p in people]
    assert [e.status for e in results] == ["enrolled", "enrolled", "waitlisted", "waitlisted", "waitlisted"]
    assert [services.waitlist_positions(results).get(e.id) for e in results] == [None, None, 1, 2, 3]


def test_the_same_person_cannot_enrol_twice(make_offering, users):
    offering = make_offering(capacity=1)
    wang = users["trainee-wang"]
    services.enrol(offering, wang, by=wang)
    with pytest.raises(Conflict, match="不能重复报名"):
        services.enrol(offering, wang, by=wang)
    with pytest.raises(Conflict):
        services.enrol(offering, wang, by=users["fangxing-mgr"], as_manager=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Enrolment)) == 1


def test_uniqueness_of_offering_and_person_is_a_database_constraint(make_offering, users):
    offering = make_offering()
    db.session.add(Enrolment(offering_id=offering.id, user_id=users["trainee-wang"].id, status="enrolled"))
    db.session.add(Enrolment(offering_id=offering.id, user_id=users["trainee-wang"].id, status="enrolled"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cancelling_a_seat_promotes_the_head_of_the_waitlist_at_once(client, make_offering, users, make_trainee):
    offering = make_offering(capacity=1)
    wang, chen, third = users["trainee-wang"], users["trainee-chen"], make_trainee()
    first = services.enrol(offering, wang, by=wang)
    services.enrol(offering, chen, by=chen)
    services.enrol(offering, third, by=third)

    login(client, "trainee-wang")
    response = client.post(f"/academy/enrolments/{first.id}/cancel")
    assert response.status_code == 302
    assert statuses(offering) == [("trainee-chen", "enrolled"), ("trainee-t1", "waitlisted"),
                                  ("trainee-wang", "cancelled")]
    promoted = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == chen.id))
    assert promoted.promoted_at is not None
    assert services.waitlist_positions(services.roster(offering)) == {
        db.session.scalar(db.select(Enrolment.id).where(Enrolment.user_id == third.id)): 1}

    # The promoted trainee sees it on their pages.
    login(client, "trainee-chen")
    assert "由候补转为" in client.get("/academy/my").get_data(as_text=True)
    assert "已由候补转正" in client.get("/me").get_data(as_text=True)
    assert "由候补转为正式学员" in client.get(f"/academy/offerings/{offering.id}").get_data(as_text=True)


def test_raising_the_capacity_promotes_as_many_as_the_new_seats(client, make_offering, make_trainee):
    offering = make_offering(capacity=1)
    people = [make_trainee() for _ in range(4)]
    for p in people:
        services.enrol(offering, p, by=p)
    response = client.patch(f"/api/v1/offerings/{offering.id}", json={"capacity": 3},
                            headers=_token(client, "fangxing-mgr"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["seats_taken"] == 3 and response.get_json()["waitlisted"] == 1
    assert [s for _u, s in statuses(offering)] == ["enrolled", "enrolled", "enrolled", "waitlisted"]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "academy.promote")) == 2


def test_capacity_cannot_drop_below_the_seats_taken(make_offering, make_trainee, users):
    offering = make_offering(capacity=3)
    for _ in range(2):
        p = make_trainee()
        services.enrol(offering, p, by=p)
    with pytest.raises(Conflict, match="容量不能小于已报名人数"):
        services.update_offering(offering, {"capacity": 1}, user=users["fangxing-mgr"])
    assert db.session.get(Offering, offering.id).capacity == 3


def test_capacity_must_be_positive_as_a_database_check(make_offering):
    offering = make_offering()
    offering.capacity = 0
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_approval_gives_a_seat_or_the_waitlist_and_rejection_closes_the_door(client, make_offering, users,
                                                                             make_trainee):
    offering = make_offering(capacity=1, requires_approval=True)
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    a = services.enrol(offering, wang, by=wang)
    b = services.enrol(offering, chen, by=chen)
    c_person = make_trainee()
    c = services.enrol(offering, c_person, by=c_person)
    assert (a.status, b.status, c.status) == ("pending", "pending", "pending")

    login(client, "fangxing-mgr")
    assert client.post(f"/academy/enrolments/{b.id}/approve").status_code == 302
    assert client.post(f"/academy/enrolments/{a.id}/approve").status_code == 302
    assert client.post(f"/academy/enrolments/{c.id}/reject", data={"note": "不符合对象"}).status_code == 302
    assert dict(statuses(offering)) == {"trainee-chen": "enrolled", "trainee-wang": "waitlisted",
                                        "trainee-t1": "rejected"}
    with pytest.raises(Conflict, match="联系园区管理员"):
        services.enrol(offering, c_person, by=c_person)
    with pytest.raises(Conflict, match="只能审核待审核的报名"):
        services.approve(db.session.get(Enrolment, a.id), by=users["fangxing-mgr"])


def test_trainee_may_cancel_only_before_the_offering_starts(make_offering, users):
    offering = make_offering(started=True, capacity=5)
    wang = users["trainee-wang"]
    enrolment = services.enrol(offering, wang, by=users["fangxing-mgr"], as_manager=True)
    with pytest.raises(Conflict, match="已开课"):
        services.cancel(enrolment, by=wang)


def test_a_trainee_cannot_cancel_someone_elses_enrolment(client, make_offering, users):
    offering = make_offering()
    wang = users["trainee-wang"]
    enrolment = services.enrol(offering, wang, by=wang)
    login(client, "trainee-chen")
    assert client.post(f"/academy/enrolments/{enrolment.id}/cancel").status_code == 403
    assert client.post(f"/api/v1/enrolments/{enrolment.id}/cancel",
                       headers=_token(client, "trainee-chen")).status_code == 403


def test_a_trainee_who_cancelled_may_enrol_again_at_the_end_of_the_queue(make_offering, users, make_trainee):
    offering = make_offering(capacity=1)
    wang = users["trainee-wang"]
    enrolment = services.enrol(offering, wang, by=wang)
    services.cancel(enrolment, by=wang)
    other = make_trainee()
    services.enrol(offering, other, by=other)
    again = services.enrol(offering, wang, by=wang)
    assert again.id == enrolment.id and again.status == "waitlisted"


def test_manager_removes_a_trainee_and_the_seat_goes_to_the_waitlist(client, make_offering, users, make_trainee):
    offering = make_offering(capacity=1, started=True)
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    manager = users["fangxing-mgr"]
    first = services.enrol(offering, wang, by=manager, as_manager=True)
    services.enrol(offering, chen, by=manager, as_manager=True)
    login(client, "fangxing-mgr")
    response = client.post(f"/academy/enrolments/{first.id}/remove", data={"note": "长期缺勤"})
    assert response.status_code == 302
    assert dict(statuses(offering)) == {"trainee-wang": "removed", "trainee-chen": "enrolled"}
    with pytest.raises(Conflict):
        services.enrol(offering, wang, by=wang)  # a removed trainee cannot put themselves back


def test_enrolment_window_is_enforced_for_trainees_but_not_for_managers(make_offering, users):
    now = utcnow()
    later = make_offering(opens=now + timedelta(days=1), closes=now + timedelta(days=3))
    closed = make_offering(opens=now - timedelta(days=5), closes=now - timedelta(days=1), title="已截止")
    wang = users["trainee-wang"]
    with pytest.raises(Conflict, match="报名尚未开始"):
        services.enrol(later, wang, by=wang)
    with pytest.raises(Conflict, match="报名已截止"):
        services.enrol(closed, wang, by=wang)
    assert services.enrol(closed, wang, by=users["fangxing-mgr"], as_manager=True).status == "enrolled"


def test_a_trainee_cannot_enrol_once_the_offering_has_started(make_offering, users):
    now = utcnow()
    running = make_offering(started=True, closes=now + timedelta(days=30))  # window left open by mistake
    with pytest.raises(Conflict, match="已开课"):
        services.enrol(running, users["trainee-wang"], by=users["trainee-wang"])


def test_prerequisites_must_be_completed_first(make_offering, users):
    advanced = make_offering(course="CG301")
    wang = users["trainee-wang"]
    with pytest.raises(Conflict, match="请先修完先修课程：社区社会组织培育孵化"):
        services.enrol(advanced, wang, by=wang)
    basic = make_offering(course="CG201", started=True, sessions=1)
    enrolment = services.enrol(basic, wang, by=users["fangxing-mgr"], as_manager=True)
    completion.record_attendance(basic.sessions[0], {enrolment.id: "present"}, by=users["expert-li"])
    assert services.enrol(advanced, wang, by=wang).status == "enrolled"


def test_retired_course_offerings_refuse_new_self_enrolment(make_offering, users, courses):
    offering = make_offering()
    courses["CG101"].active = False
    db.session.commit()
    with pytest.raises(Conflict, match="已下架"):
        services.enrol(offering, users["trainee-wang"], by=users["trainee-wang"])


# -- scheduling ------------------------------------------------------------------------------

def test_manager_schedules_an_offering_with_sessions_in_beijing_time(client, courses, users, parks):
    login(client, "fangxing-mgr")
    assert client.get("/academy/manage/new").status_code == 200
    response = client.post("/academy/manage/new", data={
        "course": courses["CG102"].id, "park": parks["fangxing"].id, "title": "2027年第1期", "venue": "三楼会议室",
        "instructor": users["expert-zhou"].id, "capacity": 20, "requires_approval": "y",
        "enrol_opens_at": "2027-01-01T09:00", "enrol_closes_at": "2027-01-10T18:00",
        "sessions": "2027-01-15 09:00-12:00 为什么要协商\n2027-01-22 14:00-17:00 模拟协商\n"})
    assert response.status_code == 302, response.get_data(as_text=True)
    offering = db.session.scalar(db.select(Offering).where(Offering.title == "2027年第1期"))
    assert offering.capacity == 20 and offering.requires_approval and offering.instructor.username == "expert-zhou"
    assert [(s.starts_at.isoformat(), s.topic) for s in offering.sessions] == [
        ("2027-01-15T01:00:00", "为什么要协商"), ("2027-01-22T06:00:00", "模拟协商")]  # stored in UTC
    assert offering.starts_at == offering.sessions[0].starts_at
    page = client.get(f"/academy/offerings/{offering.id}").get_data(as_text=True)
    assert "2027年1月15日 09:00" in page and "需审核" in page


def test_offering_form_reports_a_bad_session_line(client, courses, parks, users):
    login(client, "fangxing-mgr")
    response = client.post("/academy/manage/new", data={
        "course": courses["CG102"].id, "park": parks["fangxing"].id, "venue": "会议室", "instructor": 0,
        "capacity": 20, "enrol_opens_at": "2027-01-01T09:00", "enrol_closes_at": "2027-01-10T18:00",
        "sessions": "2027-01-15 09:00-12:00 第一讲\n下周三上午\n"})
    assert response.status_code == 200
    assert "第2行格式应为" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Offering)) == 0


def test_manager_cannot_schedule_in_another_park(client, courses, parks):
    login(client, "fangxing-mgr")
    response = client.post("/academy/manage/new", data={
        "course": courses["CG102"].id, "park": parks["changqing"].id, "venue": "会议室", "instructor": 0,
        "capacity": 20, "enrol_opens_at": "2027-01-01T09:00", "enrol_closes_at": "2027-01-10T18:00",
        "sessions": "2027-01-15 09:00-12:00 第一讲"})
    assert response.status_code == 200 and "不是有效的选择" in response.get_data(as_text=True)  # not offered
    assert db.session.scalar(db.select(db.func.count()).select_from(Offering)) == 0


def test_instructor_must_be_an_expert(courses, parks, users):
    now = utcnow()
    with pytest.raises(ValidationError, match="专家"):
        services.create_offering({"course": courses["CG101"], "park": parks["fangxing"], "venue": "x",
                                  "instructor": users["trainee-wang"], "capacity": 5, "enrol_opens_at": now,
                                  "enrol_closes_at": now + timedelta(days=1),
                                  "sessions": [(now + timedelta(days=2), now + timedelta(days=2, hours=2), "")]},
                                 user=users["fangxing-mgr"])


def test_editing_an_offering_keeps_sessions_with_attendance(client, make_offering, users):
    offering = make_offering(started=True, sessions=2, capacity=2)
    wang = users["trainee-wang"]
    e = services.enrol(offering, wang, by=users["fangxing-mgr"], as_manager=True)
    completion.record_attendance(offering.sessions[0], {e.id: "present"}, by=users["expert-li"])
    first, second = offering.sessions
    with pytest.raises(Conflict, match="已有考勤记录"):
        services.update_offering(offering, {"sessions": [(second.starts_at, second.ends_at, "改")]},
                                 user=users["fangxing-mgr"])
    services.update_offering(offering, {"sessions": [(first.starts_at, first.ends_at, "第一讲（改）"),
                                                     (second.starts_at, second.ends_at, "")]},
                             user=users["fangxing-mgr"])
    db.session.expire_all()
    assert [s.topic for s in db.session.get(Offering, offering.id).sessions] == ["第一讲（改）", ""]


# -- managers' lists and permissions ---------------------------------------------------------

def test_manager_lists_only_their_parks_offerings(client, make_offering):
    make_offering(park="fangxing", title="方兴班")
    make_offering(park="changqing", title="常青班")
    login(client, "fangxing-mgr")
    page = client.get("/academy/manage").get_data(as_text=True)
    assert "方兴班" in page and "常青班" not in page


def test_manager_of_another_park_gets_403_on_roster_and_decisions(client, make_offering, users):
    offering = make_offering(park="fangxing", requires_approval=True)
    wang = users["trainee-wang"]
    enrolment = services.enrol(offering, wang, by=wang)
    login(client, "changqing-mgr")
    assert client.get(f"/academy/manage/{offering.id}").status_code == 403
    assert client.post(f"/academy/enrolments/{enrolment.id}/approve").status_code == 403
    assert client.post(f"/academy/manage/{offering.id}/enrol", data={"person": "trainee-chen"}).status_code == 403
    assert client.get(f"/academy/manage/{offering.id}/export.xlsx").status_code == 403
    assert db.session.get(Enrolment, enrolment.id).status == "pending"


def test_trainee_cannot_reach_manager_pages(client, make_offering):
    offering = make_offering()
    login(client, "trainee-wang")
    assert client.get("/academy/manage").status_code == 403
    assert client.get("/academy/manage/new").status_code == 403
    assert client.get(f"/academy/manage/{offering.id}").status_code == 403
    assert client.get("/academy/reports").status_code == 403


def test_anonymous_visitor_is_sent_to_log_in_to_enrol(client, make_offering):
    offering = make_offering()
    assert "注册学员账号" in client.get(f"/academy/offerings/{offering.id}").get_data(as_text=True)
    response = client.post(f"/academy/offerings/{offering.id}/enrol")
    assert response.status_code == 302 and "/login" in response.location


def test_missing_records_are_404(client, courses):
    login(client, "fangxing-mgr")
    assert client.get("/academy/offerings/9999").status_code == 404
    assert client.get("/academy/manage/9999").status_code == 404
    assert client.post("/academy/enrolments/9999/approve").status_code == 404
    assert client.get("/academy/courses/NOPE").status_code == 404


def test_disabled_for_a_park_means_404_and_no_offerings_listed(client, make_offering, parks, users):
    offering = make_offering(park="fangxing", title="方兴班")
    set_enablement("enrolment", "parks", [parks["changqing"]])
    db.session.commit()
    login(client, "fangxing-mgr")
    assert client.get(f"/academy/offerings/{offering.id}").status_code == 404
    assert client.get(f"/academy/manage/{offering.id}").status_code == 404
    assert "方兴班" not in client.get("/academy/manage").get_data(as_text=True)
    assert client.get(f"/api/v1/offerings/{offering.id}").status_code == 404
    assert client.get("/api/v1/offerings").get_json()["total"] == 0
    assert "近期班次" not in client.get("/dashboard").get_data(as_text=True)


def test_forms_are_csrf_protected(app, client, make_offering):
    offering = make_offering()
    login(client, "trainee-wang")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/academy/offerings/{offering.id}/enrol").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(db.select(db.func.count()).select_from(Enrolment)) == 0


def test_every_enrolment_write_is_audited(make_offering, users):
    offering = make_offering(capacity=1)
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    a = services.enrol(offering, wang, by=wang)
    services.enrol(offering, chen, by=chen)
    services.cancel(a, by=wang)
    actions = set(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.action.like("academy.%"))))
    assert {"academy.offering.create", "academy.enrol", "academy.cancel", "academy.promote"} <= actions


# -- self sign-up ----------------------------------------------------------------------------

def test_a_trainee_signs_up_and_can_enrol_right_away(client, make_offering):
    offering = make_offering()
    response = client.post(f"/academy/signup?next=/academy/offerings/{offering.id}", data={
        "username": "xiaoli", "name": "李小丽", "phone": "13955556666", "organization": "方兴邻里互助会",
        "password": "secret123", "confirm": "secret123"})
    assert response.status_code == 302 and response.location.endswith(f"/academy/offerings/{offering.id}")
    user = db.session.scalar(db.select(User).where(User.username == "xiaoli"))
    assert user.role == "trainee" and user.check_password("secret123")
    assert client.post(f"/academy/offerings/{offering.id}/enrol").status_code == 302
    assert statuses(offering) == [("xiaoli", "enrolled")]


def test_naming_an_organization_at_sign_up_does_not_make_the_account_its_contact(client, make_offering, make_org):
    """Membership is granted by the organization's park, never claimed by typing its name."""
    org = make_org(name="方兴邻里互助会", park="fangxing")
    form = client.get("/academy/signup").get_data(as_text=True)
    assert "不会使您成为该组织的联系人" in form and "组织所在园区的管理员添加" in form
    response = client.post("/academy/signup", data={
        "username": "stranger", "name": "冒名者", "phone": "13955558888", "organization": "方兴邻里互助会",
        "password": "secret123", "confirm": "secret123"})
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.username == "stranger"))
    assert user.organization_id is None
    assert db.session.get(TraineeProfile, user.id).organization_name == "方兴邻里互助会"  # kept for the reports
    assert client.get(f"/orgs/{org.id}").status_code == 403  # the organization's page stays closed to them
    assert "我的组织" not in client.get("/academy/my").get_data(as_text=True)
    offering = make_offering(park="fangxing")
    services.enrol(offering, user, by=user)
    assert [r["organization"] for r in reporting.organization_report([offering.park_id])] == ["方兴邻里互助会"]


def test_sign_up_keeps_an_unregistered_organization_name_and_refuses_a_taken_phone(client, network):
    client.post("/academy/signup", data={"username": "xiaozhang", "name": "张小", "phone": "13955557777",
                                         "organization": "常青街道社工站", "password": "secret123",
                                         "confirm": "secret123"})
    user = db.session.scalar(db.select(User).where(User.username == "xiaozhang"))
    assert db.session.get(TraineeProfile, user.id).organization_name == "常青街道社工站"
    client.post("/logout")
    response = client.post("/academy/signup", data={"username": "another", "name": "张二", "phone": "13955557777",
                                                    "password": "secret123", "confirm": "secret123"})
    assert response.status_code == 200 and "该手机号已注册" in response.get_data(as_text=True)
    response = client.post("/academy/signup", data={"username": "third", "name": "张三", "phone": "12345",
                                                    "password": "secret123", "confirm": "secret123"})
    assert "请填写有效的手机号" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(
        User.username.in_(["another", "third"]))) == 0


# -- managers enrol one by one or from a file ------------------------------------------------

def test_manager_enrols_a_person_by_phone(client, make_offering, users):
    offering = make_offering()
    users["trainee-chen"].phone = "13911112222"
    db.session.commit()
    login(client, "fangxing-mgr")
    client.post(f"/academy/manage/{offering.id}/enrol", data={"person": "13911112222"})
    assert statuses(offering) == [("trainee-chen", "enrolled")]
    response = client.post(f"/academy/manage/{offering.id}/enrol", data={"person": "nobody"}, follow_redirects=True)
    assert "找不到账号" in response.get_data(as_text=True)


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_bulk_import_from_excel_enrols_everyone_and_waitlists_past_capacity(client, make_offering, make_trainee):
    offering = make_offering(capacity=2)
    people = [make_trainee() for _ in range(3)]
    content = _xlsx([["姓名", "手机号"]] + [[p.name, int(p.phone)] for p in people])
    login(client, "fangxing-mgr")
    response = client.post(f"/academy/manage/{offering.id}/import",
                           data={"file": (io.BytesIO(content), "名单.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert [s for _u, s in statuses(offering)] == ["enrolled", "enrolled", "waitlisted"]


def test_a_file_with_any_bad_row_imports_nothing_and_names_every_bad_row(client, make_offering, make_trainee,
                                                                         users):
    offering = make_offering(capacity=10)
    good, enrolled = make_trainee(), make_trainee()
    services.enrol(offering, enrolled, by=enrolled)
    csv = ("用户名,手机号,姓名\n"
           f"{good.username},,{good.name}\n"
           ",13000000000,\n"                     # row 3: nobody has this phone
           f"{good.username},,\n"                # row 4: duplicate of row 2
           f"{enrolled.username},,\n"            # row 5: already enrolled
           ",,\n"                                # blank: skipped
           f"trainee-wang,,错的名字\n"            # row 7: name mismatch
           ",,张三\n")                            # row 8: no identifier
    login(client, "fangxing-mgr")
    response = client.post(f"/academy/manage/{offering.id}/import",
                           data={"file": (io.BytesIO(csv.encode("utf-8-sig")), "list.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for expected in ("第3行：找不到账号 13000000000", "第4行", "与第2行重复", "第5行", "已报名该班次",
                     "第7行：姓名“错的名字”", "第8行：缺少用户名或手机号"):
        assert expected in page, expected
    assert "第2行" not in page.replace("与第2行重复", "")
    assert statuses(offering) == [(enrolled.username, "enrolled")]


def test_import_rejects_a_file_without_a_header_or_of_the_wrong_type(client, make_offering):
    offering = make_offering()
    login(client, "fangxing-mgr")
    response = client.post(f"/academy/manage/{offering.id}/import",
                           data={"file": (io.BytesIO("a,b\n1,2\n".encode()), "x.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "表头" in response.get_data(as_text=True)
    response = client.post(f"/academy/manage/{offering.id}/import",
                           data={"file": (io.BytesIO(b"%PDF"), "x.pdf")}, content_type="multipart/form-data",
                           follow_redirects=True)
    assert "只接受 .xlsx 或 .csv 文件" in response.get_data(as_text=True)


def test_gbk_csv_from_older_excel_is_read(make_offering, make_trainee, users):
    offering = make_offering()
    person = make_trainee(name="赵敏")
    content = f"手机号,姓名\n{person.phone},赵敏\n".encode("gbk")
    enrolments = services.import_roster(offering, "名单.csv", content, by=users["fangxing-mgr"])
    assert [e.user.username for e in enrolments] == [person.username]


def _token(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_manager_raises_capacity_on_the_edit_page_and_the_waitlist_moves_up(client, make_offering, make_trainee):
    offering = make_offering(capacity=1)
    people = [make_trainee() for _ in range(3)]
    for p in people:
        services.enrol(offering, p, by=p)
    login(client, "fangxing-mgr")
    page = client.get(f"/academy/manage/{offering.id}/edit").get_data(as_text=True)
    assert "第1讲" in page and 'value="1"' in page  # sessions and capacity filled in, in Beijing time
    form = {"course": offering.course_id, "park": offering.park_id, "title": "测试班", "venue": "活动室",
            "instructor": offering.instructor_id, "capacity": 2,
            "enrol_opens_at": to_local(offering.enrol_opens_at).strftime("%Y-%m-%dT%H:%M"),
            "enrol_closes_at": to_local(offering.enrol_closes_at).strftime("%Y-%m-%dT%H:%M"),
            "sessions": "\n".join(f"{to_local(s.starts_at):%Y-%m-%d %H:%M}-{to_local(s.ends_at):%H:%M} {s.topic}"
                                  for s in offering.sessions)}
    response = client.post(f"/academy/manage/{offering.id}/edit", data=form, follow_redirects=True)
    assert "已从候补名单递补 1 人" in response.get_data(as_text=True)
    assert [s for _u, s in statuses(offering)] == ["enrolled", "enrolled", "waitlisted"]
    assert len(db.session.get(Offering, offering.id).sessions) == 4  # unchanged sessions kept
