"""我的学习: where trainees land, what waits for them (and for instructors and managers), certificates,
confirmations and phone layouts of the academy's pages."""
from datetime import datetime, time, timedelta

from incubator.dates import today, to_utc
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.plugins import collect, hook, set_enablement
from incubator.testing import PASSWORD
from plugins.enrolment import completion, incubator_home_url, services
from plugins.enrolment.models import Enrolment

from .conftest import login


def todos_of(user):
    return collect(hook().incubator_todos(user=user))


def labels_of(user):
    return [t.label for t in todos_of(user)]


def offering_tomorrow(courses, parks, users, capacity=3, **fields):
    """An offering in 方兴 whose one session is tomorrow at 09:00 Beijing time, enrolment open now."""
    starts = to_utc(datetime.combine(today() + timedelta(days=1), time(9)))
    now = utcnow()
    data = {"course": courses["CG104"], "park": parks["fangxing"], "title": "明日班", "venue": "三楼活动室",
            "instructor": users["expert-li"], "capacity": capacity, "enrol_opens_at": now - timedelta(days=3),
            "enrol_closes_at": starts, "sessions": [(starts, starts + timedelta(hours=3), "议事规则")]}
    data.update(fields)
    return services.create_offering(data, user=users["fangxing-mgr"])


# -- landing ---------------------------------------------------------------------------------

def test_a_trainee_lands_on_my_learning_with_the_to_do_list_on_top(client, courses, parks, users):
    chen = users["trainee-chen"]
    offering = offering_tomorrow(courses, parks, users)
    services.enrol(offering, chen, by=chen)
    response = client.post("/login", data={"username": "trainee-chen", "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/academy/my")
    page = client.get("/academy/my").get_data(as_text=True)
    assert page.index("待办") < page.index("我报名的班次")
    assert "明天上课：《居民议事会与议事规则 · 明日班》09:00，三楼活动室" in page


def test_incubator_home_url_answers_only_for_trainees(users):
    assert incubator_home_url(user=users["trainee-chen"]) == "/academy/my"
    for other in ("expert-li", "fangxing-mgr", "admin"):
        assert incubator_home_url(user=users[other]) is None


# -- to-dos ----------------------------------------------------------------------------------

def test_incubator_todos_tell_a_trainee_of_a_class_tomorrow_and_an_enrolment_awaiting_approval(
        courses, parks, users, make_offering):
    wang = users["trainee-wang"]
    services.enrol(offering_tomorrow(courses, parks, users), wang, by=wang)
    services.enrol(make_offering(requires_approval=True, title="审核班"), wang, by=wang)
    services.enrol(make_offering(title="下月班"), wang, by=wang)  # sessions in 10 days: nothing to do yet
    labels = labels_of(wang)
    assert any(label.startswith("明天上课：《居民议事会与议事规则 · 明日班》09:00") for label in labels), labels
    assert "《社区参与式治理 · 审核班》的报名等待园区审核" in labels
    assert not any("下月班" in label for label in labels)
    assert labels_of(users["trainee-chen"]) == []


def test_a_class_today_is_a_to_do_until_it_ends(courses, parks, users):
    chen = users["trainee-chen"]
    starts = utcnow() + timedelta(minutes=30)
    offering = offering_tomorrow(courses, parks, users, enrol_closes_at=starts,
                                 sessions=[(starts, starts + timedelta(hours=1), "")])
    services.enrol(offering, chen, by=chen)
    assert any(label.startswith("今天上课") or label.startswith("明天上课") for label in labels_of(chen))
    session = offering.sessions[0]
    session.starts_at, session.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
    db.session.commit()
    assert not any("上课" in label for label in labels_of(chen))


def test_a_promotion_from_the_waitlist_is_a_to_do_until_the_trainee_has_seen_it(client, make_offering, users):
    offering = make_offering(capacity=1, title="一座班")
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    seat = services.enrol(offering, wang, by=wang)
    services.enrol(offering, chen, by=chen)
    assert labels_of(chen) == []
    services.cancel(seat, by=wang)
    assert labels_of(chen) == ["您已由候补转为《社区参与式治理 · 一座班》的正式学员，请按时上课"]
    login(client, "trainee-chen")
    first = client.get("/academy/my").get_data(as_text=True)
    assert "您已由候补转为《社区参与式治理 · 一座班》的正式学员" in first  # in the to-dos, this once
    db.session.expire_all()
    assert labels_of(chen) == []
    again = client.get("/academy/my").get_data(as_text=True)
    assert "您已由候补转为《社区参与式治理 · 一座班》的正式学员，请按时上课" not in again
    assert "候补转正" in again and "好消息" in again and "<strong>已报名</strong>" in again  # still told on the page


def test_the_offering_page_also_counts_as_seeing_the_promotion(client, make_offering, users):
    offering = make_offering(capacity=1)
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    seat = services.enrol(offering, wang, by=wang)
    services.enrol(offering, chen, by=chen)
    services.cancel(seat, by=wang)
    login(client, "trainee-chen")
    assert "由候补转为正式学员" in client.get(f"/academy/offerings/{offering.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Enrolment, services.roster(offering)[0].id).promotion_seen_at is not None
    assert labels_of(chen) == []


def test_the_instructor_is_asked_to_record_attendance_for_sessions_that_have_begun(make_offering, users):
    offering = make_offering(started=True, sessions=2, title="已开班")
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    for person in (wang, chen):
        services.enrol(offering, person, by=users["fangxing-mgr"], as_manager=True)
    items = [t for t in todos_of(users["expert-li"]) if t.label.startswith("记录考勤")]
    assert [t.url for t in items] == [f"/academy/sessions/{s.id}/attendance" for s in offering.sessions]
    first = offering.sessions[0]
    seated = services.seated_roster(offering)
    completion.record_attendance(first, {seated[0].id: "present"}, by=users["expert-li"])
    assert len([t for t in todos_of(users["expert-li"]) if t.label.startswith("记录考勤")]) == 2  # one still missing
    completion.record_attendance(first, {seated[1].id: "absent"}, by=users["expert-li"])
    items = [t for t in todos_of(users["expert-li"]) if t.label.startswith("记录考勤")]
    assert [t.url for t in items] == [f"/academy/sessions/{offering.sessions[1].id}/attendance"]
    assert not [t for t in todos_of(users["expert-zhou"]) if t.label.startswith("记录考勤")]  # not their class


def test_a_manager_is_asked_to_approve_enrolments_in_their_parks_offerings_only(make_offering, users):
    offering = make_offering(requires_approval=True, title="需审核班")
    for person in (users["trainee-wang"], users["trainee-chen"]):
        services.enrol(offering, person, by=person)
    mine = [t for t in todos_of(users["fangxing-mgr"]) if "有报名待审核" in t.label]
    assert [(t.label, t.count, t.url) for t in mine] == [
        ("《社区参与式治理 · 需审核班》有报名待审核", 2, f"/academy/manage/{offering.id}")]
    assert not [t for t in todos_of(users["changqing-mgr"]) if "有报名待审核" in t.label]
    services.approve(services.roster(offering)[0], by=users["fangxing-mgr"])
    assert [t.count for t in todos_of(users["fangxing-mgr"]) if "有报名待审核" in t.label] == [1]


def test_the_academy_gives_no_to_dos_where_it_is_switched_off(make_offering, users, parks):
    offering = make_offering(requires_approval=True)
    services.enrol(offering, users["trainee-wang"], by=users["trainee-wang"])
    set_enablement("enrolment", "parks", [parks["changqing"]])
    db.session.commit()
    assert labels_of(users["trainee-wang"]) == []
    assert not [t for t in todos_of(users["admin"]) if "有报名待审核" in t.label]


# -- 我的学习 ---------------------------------------------------------------------------------

def test_my_learning_shows_status_position_hours_and_a_link_to_each_certificate(client, make_offering, users, parks):
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    held = make_offering(started=True, sessions=1, title="结业班")
    done = services.enrol(held, wang, by=users["fangxing-mgr"], as_manager=True)
    completion.record_attendance(held.sessions[0], {done.id: "present"}, by=users["expert-li"])
    full = make_offering(capacity=1, title="满员班")
    services.enrol(full, chen, by=chen)
    services.enrol(full, wang, by=wang)
    login(client, "trainee-wang")
    page = client.get("/academy/my").get_data(as_text=True)
    assert "<strong>已结业</strong>" in page and "12 学时" in page
    assert "<strong>候补</strong>，候补第 1 位" in page
    assert 'href="/me"' in page and ">结业证书<" in page
    set_enablement("certificates", "parks", [parks["changqing"]])
    db.session.commit()
    assert ">结业证书<" not in client.get("/academy/my").get_data(as_text=True)


def test_my_learning_and_the_academy_pages_stack_their_tables_on_a_phone(client, make_offering, users):
    offering = make_offering(started=True, sessions=1)
    services.enrol(offering, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    login(client, "trainee-wang")
    my = client.get("/academy/my").get_data(as_text=True)
    assert 'class="table align-middle table-stack' in my and 'data-label="状态"' in my and 'data-label="班次"' in my
    login(client, "fangxing-mgr")
    for path in ("/academy/manage", f"/academy/manage/{offering.id}",
                 f"/academy/sessions/{offering.sessions[0].id}/attendance", f"/academy/offerings/{offering.id}"):
        assert "table-stack" in client.get(path).get_data(as_text=True), path
    assert client.get("/academy/reports").get_data(as_text=True).count('class="table-responsive"') == 3


# -- confirmations ---------------------------------------------------------------------------

def test_cancelling_removing_and_rejecting_ask_first(client, make_offering, users):
    offering = make_offering(requires_approval=True, title="确认班")
    wang, chen = users["trainee-wang"], users["trainee-chen"]
    services.enrol(offering, wang, by=wang)
    services.enrol(offering, chen, by=chen)
    services.approve(services.roster(offering)[0], by=users["fangxing-mgr"])
    login(client, "trainee-wang")
    for path in ("/academy/my", f"/academy/offerings/{offering.id}"):
        page = client.get(path).get_data(as_text=True)
        assert 'data-confirm="确定取消《社区参与式治理 · 确认班》的报名吗？' in page, path
    login(client, "fangxing-mgr")
    roster = client.get(f"/academy/manage/{offering.id}").get_data(as_text=True)
    assert 'data-confirm="确定不通过 陈学员 的报名吗？' in roster or 'data-confirm="确定不通过 trainee-chen' in roster
    assert roster.count('data-confirm="确定将 ') == 2  # each of the two may be removed, after asking
    assert "onsubmit" not in roster
