"""Attendance, completion and its hook, the trainee's hours, sign-in sheets, reports and exports, the widget."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.hookspecs import hookimpl
from incubator.plugins import registry
from plugins.enrolment import completion, reporting, services
from plugins.enrolment.models import Enrolment, TraineeProfile

from .conftest import login


@pytest.fixture
def held(make_offering, users, make_trainee):
    """A CG101 offering (12 学时, rule 80%) whose four sessions are over, with wang, chen and one more seated."""
    offering = make_offering(started=True, capacity=5)
    manager = users["fangxing-mgr"]
    people = [users["trainee-wang"], users["trainee-chen"], make_trainee()]
    enrolments = [services.enrol(offering, p, by=manager, as_manager=True) for p in people]
    return offering, enrolments


def test_instructor_takes_attendance_on_the_roster_page(client, held):
    offering, (wang, chen, third) = held
    session = offering.sessions[0]
    login(client, "expert-li")
    page = client.get(f"/academy/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "王学员" in page and "出勤" in page and "迟到" in page and "请假" in page and "缺勤" in page
    response = client.post(f"/academy/sessions/{session.id}/attendance",
                           data={f"mark-{wang.id}": "present", f"mark-{chen.id}": "late", f"mark-{third.id}": "excused"})
    assert response.status_code == 302
    marks = {a.enrolment_id: a.status for a in db.session.scalars(db.select(services.Attendance))}
    assert marks == {wang.id: "present", chen.id: "late", third.id: "excused"}
    # Correcting a record updates it (one row per person and session).
    client.post(f"/academy/sessions/{session.id}/attendance", data={f"mark-{third.id}": "absent"})
    assert db.session.scalar(db.select(db.func.count()).select_from(services.Attendance)) == 3


def test_one_click_marks_everyone_not_yet_marked(client, held):
    offering, (wang, chen, third) = held
    login(client, "expert-li")
    client.post(f"/academy/sessions/{offering.sessions[0].id}/attendance",
                data={f"mark-{chen.id}": "late", "fill": "present"})
    marks = {a.enrolment_id: a.status for a in db.session.scalars(db.select(services.Attendance))}
    assert marks == {wang.id: "present", chen.id: "late", third.id: "present"}


def test_another_expert_cannot_take_attendance_but_the_parks_manager_can(client, held):
    offering, (wang, *_rest) = held
    session = offering.sessions[0]
    login(client, "expert-zhou")
    assert client.get(f"/academy/sessions/{session.id}/attendance").status_code == 403
    assert client.post(f"/academy/sessions/{session.id}/attendance", data={f"mark-{wang.id}": "present"}).status_code == 403
    login(client, "changqing-mgr")
    assert client.get(f"/academy/sessions/{session.id}/attendance").status_code == 403
    login(client, "fangxing-mgr")
    assert client.post(f"/academy/sessions/{session.id}/attendance", data={f"mark-{wang.id}": "present"}).status_code == 302


def test_expert_sees_the_offerings_they_teach(client, held, make_offering):
    make_offering(instructor="expert-zhou", title="周老师的班")
    login(client, "expert-li")
    page = client.get("/academy/manage").get_data(as_text=True)
    assert "测试班" in page and "周老师的班" not in page and "新建班次" not in page


def test_only_seated_people_can_be_marked_and_only_known_statuses(held, make_trainee, users, make_offering):
    offering, (wang, *_rest) = held
    waiting_offering = make_offering(capacity=1)
    other = services.enrol(waiting_offering, make_trainee(), by=users["fangxing-mgr"], as_manager=True)
    with pytest.raises(ValidationError, match="不在该班次的正式名单"):
        completion.record_attendance(offering.sessions[0], {other.id: "present"}, by=users["expert-li"])
    with pytest.raises(ValidationError):
        completion.record_attendance(offering.sessions[0], {wang.id: "sleeping"}, by=users["expert-li"])


def test_attendance_cannot_be_taken_for_a_session_days_ahead(make_offering, users):
    offering = make_offering(capacity=2)  # starts in 10 days
    e = services.enrol(offering, users["trainee-wang"], by=users["trainee-wang"])
    with pytest.raises(Conflict, match="尚未开始"):
        completion.record_attendance(offering.sessions[0], {e.id: "present"}, by=users["expert-li"])


def mark_all(offering, plan, by):
    """plan: {enrolment id: "PPLA"} one letter per session (P present, L late, E excused, A absent)."""
    codes = {"P": "present", "L": "late", "E": "excused", "A": "absent"}
    completed = []
    for n, session in enumerate(offering.sessions):
        completed += completion.record_attendance(session, {eid: codes[p[n]] for eid, p in plan.items()}, by=by)
    return completed


def test_incubator_enrolment_completed_fires_on_the_80_percent_rule_with_the_hours(held, users, completions):
    offering, (wang, chen, third) = held
    completed = mark_all(offering, {wang.id: "PPPL", chen.id: "PPPE", third.id: "PAPA"}, by=users["expert-li"])
    # 4 sessions × 80% → 4 needed (late counts, excused does not).
    assert [e.id for e in completed] == [wang.id]
    db.session.expire_all()
    done = db.session.get(Enrolment, wang.id)
    assert done.status == "completed" and done.hours == Decimal("12") and done.completed_at is not None
    assert db.session.get(Enrolment, chen.id).status == "enrolled"
    assert completions.calls == [(wang.id, "trainee-wang", "CG101", "社区参与式治理", Decimal("12"), "fangxing",
                                  Decimal("12"), done.completed_at)]


def test_a_lower_threshold_course_completes_with_one_absence(make_offering, users, completions):
    offering = make_offering(course="CG103", started=True, capacity=3)  # 75%
    e = services.enrol(offering, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    mark_all(offering, {e.id: "PAPP"}, by=users["expert-li"])
    assert db.session.get(Enrolment, e.id).status == "completed"
    assert len(completions.calls) == 1


def test_a_course_with_an_assessment_completes_on_attendance_and_tells_the_hook_so(make_offering, users, app):
    """No exam result is recorded: the rule's attendance decides; the course's word reaches the hook."""
    seen = []

    class Follower:
        @hookimpl
        def incubator_enrolment_completed(self, enrolment):
            course = enrolment.offering.course
            seen.append((course.code, course.completion_assessment, course.completion_note))

    registry().pm.register(Follower(), name="assessment-follower")
    try:
        offering = make_offering(course="CG301", started=True, capacity=3)  # 90%, 结业考核
        e = services.enrol(offering, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
        mark_all(offering, {e.id: "PPPP"}, by=users["expert-li"])
    finally:
        registry().pm.unregister(name="assessment-follower")
    assert db.session.get(Enrolment, e.id).status == "completed"
    assert seen == [("CG301", True, "出勤率不低于90%，并通过结业考核：提交两份督导记录，由讲师评阅")]


def test_completion_waits_for_all_sessions_while_the_course_is_running(make_offering, users, completions):
    offering = make_offering(course="CG103", started=True, capacity=3, sessions=4)
    # Move the last session into the future: the course is still running.
    last = offering.sessions[-1]
    last.starts_at, last.ends_at = utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=2)
    db.session.commit()
    e = services.enrol(offering, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    for session in offering.sessions[:3]:
        completion.record_attendance(session, {e.id: "present"}, by=users["expert-li"])
    assert db.session.get(Enrolment, e.id).status == "enrolled"  # 3/4 meets 75%, but the course goes on
    assert completions.calls == []
    with pytest.raises(Conflict, match="最后一次课开始后"):
        completion.close_offering(offering, by=users["fangxing-mgr"])


def test_managers_close_the_offering_counting_unrecorded_sessions_as_absent(client, held, users, completions):
    offering, (wang, chen, third) = held
    for session in offering.sessions:
        completion.record_attendance(session, {wang.id: "present"}, by=users["expert-li"])
    login(client, "fangxing-mgr")
    assert client.post(f"/academy/manage/{offering.id}/close").status_code == 302
    db.session.expire_all()
    assert [db.session.get(Enrolment, e.id).status for e in (wang, chen, third)] == ["completed", "enrolled", "enrolled"]
    assert len(completions.calls) == 1  # fired once, not again on close


def test_a_completion_stands_on_its_attendance(held, users):
    offering, (wang, *_rest) = held
    mark_all(offering, {wang.id: "PPPP"}, by=users["expert-li"])
    with pytest.raises(Conflict, match="已结业学员的出勤不能改到低于结业要求"):
        completion.record_attendance(offering.sessions[0], {wang.id: "absent"}, by=users["expert-li"])
    completion.record_attendance(offering.sessions[0], {wang.id: "late"}, by=users["expert-li"])  # still attended
    assert db.session.get(Enrolment, wang.id).status == "completed"


def test_completed_enrolments_cannot_be_removed_or_cancelled(held, users):
    offering, (wang, *_rest) = held
    mark_all(offering, {wang.id: "PPPP"}, by=users["expert-li"])
    with pytest.raises(Conflict):
        services.remove(db.session.get(Enrolment, wang.id), by=users["fangxing-mgr"])


def test_a_failing_follower_does_not_undo_the_completion(held, users, app):
    from incubator.hookspecs import hookimpl
    from incubator.plugins import registry

    class Broken:
        @hookimpl
        def incubator_enrolment_completed(self, enrolment):
            raise RuntimeError("certificate service down")

    registry().pm.register(Broken(), name="broken-follower")
    try:
        offering, (wang, *_rest) = held
        mark_all(offering, {wang.id: "PPPP"}, by=users["expert-li"])
    finally:
        registry().pm.unregister(name="broken-follower")
    db.session.expire_all()
    assert db.session.get(Enrolment, wang.id).status == "completed"


def test_incubator_certificate_completions_gives_an_offerings_completions(held, users, app):
    from plugins import enrolment
    offering, (wang, *_rest) = held
    mark_all(offering, {wang.id: "PPPP"}, by=users["expert-li"])
    assert [e.id for e in enrolment.incubator_certificate_completions(offering_id=offering.id)] == [wang.id]
    assert enrolment.incubator_certificate_completions(offering_id=99999) is None


# -- the trainee's page ----------------------------------------------------------------------

def test_trainee_page_shows_offerings_waitlist_positions_attendance_and_hours_per_year(client, held, users,
                                                                                      make_offering, make_trainee):
    offering, (wang, *_rest) = held
    mark_all(offering, {wang.id: "PPPL"}, by=users["expert-li"])
    # A completion in an earlier year counts towards that year.
    older = make_offering(course="CG102", started=True, sessions=1, capacity=2, title="去年班")
    e = services.enrol(older, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    completion.record_attendance(older.sessions[0], {e.id: "present"}, by=users["expert-li"])
    db.session.get(Enrolment, e.id).completed_at = utcnow().replace(year=utcnow().year - 1)
    db.session.commit()
    full = make_offering(course="PM101", capacity=1, title="满员班")
    filler = make_trainee()
    services.enrol(full, filler, by=filler)
    services.enrol(full, users["trainee-wang"], by=users["trainee-wang"])

    login(client, "trainee-wang")
    page = client.get("/academy/my").get_data(as_text=True)
    this_year = utcnow().year
    assert ">20<" in page  # 12 + 8 学时 in total
    assert f"{this_year} 年：12 学时" in page and f"{this_year - 1} 年：8 学时" in page
    assert "候补第 1 位" in page and "满员班" in page
    assert "4/4 次到课" in page and "迟到" in page
    me = client.get("/me").get_data(as_text=True)
    assert "我的学习" in me and "累计 <strong>20</strong> 学时" in me and "候补第 1 位" in me


def test_trainee_page_is_for_logged_in_users_only(client, network):
    response = client.get("/academy/my")
    assert response.status_code == 302 and "/login" in response.location


# -- sign-in sheet, roster export, reports ---------------------------------------------------

def test_printable_sign_in_sheet_lists_the_seated_with_masked_phones(client, held, make_trainee, users):
    offering, enrolments = held
    waiting = make_trainee(name="候补者")
    offering.capacity = 3
    db.session.commit()
    services.enrol(offering, waiting, by=users["fangxing-mgr"], as_manager=True)
    login(client, "expert-li")
    page = client.get(f"/academy/manage/{offering.id}/signin").get_data(as_text=True)
    assert page.count("学员签到表") == 4 and "王学员" in page and "陈学员" in page
    assert "候补者" not in page and "window.print()" in page
    phone = users["trainee-wang"].phone
    assert not phone or phone not in page
    one = client.get(f"/academy/manage/{offering.id}/signin?session={offering.sessions[1].id}").get_data(as_text=True)
    assert one.count("学员签到表") == 1 and "第2次课" in one


def test_roster_and_results_export_to_excel(client, held, users):
    offering, (wang, chen, third) = held
    mark_all(offering, {wang.id: "PPPP", chen.id: "PAAA", third.id: "PPPP"}, by=users["expert-li"])
    login(client, "fangxing-mgr")
    response = client.get(f"/academy/manage/{offering.id}/export.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "姓名", "用户名", "手机号", "单位", "状态") and rows[0][-3:] == ("到课次数", "结业时间", "学时")
    by_user = {r[2]: r for r in rows[1:]}
    assert by_user["trainee-wang"][5] == "已结业" and by_user["trainee-wang"][-1] == 12
    assert by_user["trainee-chen"][5] == "已报名" and by_user["trainee-chen"][-3] == 1
    assert by_user["trainee-chen"][8:12] == ("出勤", "缺勤", "缺勤", "缺勤")


def test_reports_per_offering_park_and_organization(client, held, users, make_offering, make_org):
    offering, (wang, chen, third) = held
    org = make_org(name="方兴邻里互助会")
    users["trainee-wang"].organization_id = org.id
    db.session.add(TraineeProfile(user_id=users["trainee-chen"].id, organization_name="常青街道社工站"))
    db.session.commit()
    mark_all(offering, {wang.id: "PPPP", chen.id: "PPPP", third.id: "AAAA"}, by=users["expert-li"])
    make_offering(park="changqing", title="常青班")

    login(client, "fangxing-mgr")
    page = client.get("/academy/reports").get_data(as_text=True)
    assert "方兴社区" in page and "常青班" not in page  # a manager sees their own parks
    rows = reporting.offering_report([offering.park_id])
    assert rows[0]["seated"] == 3 and rows[0]["completed"] == 2 and round(rows[0]["completion"], 2) == 0.67
    assert rows[0]["fill"] == 3 / 5
    park = reporting.park_report([offering.park_id])[0]
    assert (park["offerings"], park["seated"], park["completed"], park["hours"]) == (1, 3, 2, Decimal(24))
    orgs = {r["organization"]: r for r in reporting.organization_report([offering.park_id])}
    assert orgs["方兴邻里互助会"]["completed"] == 1 and orgs["常青街道社工站"]["hours"] == Decimal(12)
    assert orgs["（未填写单位）"]["completed"] == 0

    response = client.get("/academy/reports/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按班次", "按园区", "按组织"]
    assert list(book["按园区"].iter_rows(values_only=True))[1][:6] == ("方兴社区社会组织孵化基地", 1, 5, 3, 0, 2)


def test_admin_reports_cover_every_park(client, held, make_offering):
    make_offering(park="changqing", title="常青班")
    login(client, "admin")
    page = client.get("/academy/reports").get_data(as_text=True)
    assert "常青班" in page and "测试班" in page


def test_dashboard_widget_shows_upcoming_offerings_and_fill_rates(client, make_offering, users, make_trainee):
    offering = make_offering(capacity=4, title="下周开课班")
    for _ in range(3):
        p = make_trainee()
        services.enrol(offering, p, by=p)
    login(client, "fangxing-mgr")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "近期班次" in page and "下周开课班" in page and "3/4" in page and "75%" in page
    login(client, "changqing-mgr")
    assert "下周开课班" not in client.get("/dashboard").get_data(as_text=True)


def test_nav_has_courses_for_everyone_and_offering_management_for_managers(client, network):
    assert ">课程<" in client.get("/academy/courses").get_data(as_text=True)
    login(client, "fangxing-mgr")
    page = client.get("/academy/courses").get_data(as_text=True)
    assert ">班次管理<" in page
    login(client, "trainee-wang")
    page = client.get("/academy/courses").get_data(as_text=True)
    assert ">班次管理<" not in page and ">我的学习<" in page
