"""What people meet in mentoring: experts shown and assigned on the organization page, assignments
that end when the organization graduates or exits, sessions counted on distinct days, 0 hours
refused, the experts' landing page and everyone's to-dos, the contact's confirmation."""
import os
import re
from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import event, select, update

from incubator.audit.models import AuditEntry
from incubator.dates import today
from incubator.errors import Conflict, ValidationError, Vetoed
from incubator.extensions import db
from incubator.organizations import services as orgs
from incubator.plugins import collect, hooks_for, set_enablement

if "mentoring" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin mentoring is disabled", allow_module_level=True)

import plugins.mentoring as mentoring
from plugins.mentoring import assigning, services
from plugins.mentoring.models import MentorAssignment, SupervisionLog


def _fresh():
    """A new request's `g` (the to-dos and the plugin enablement are read once per request)."""
    for key in list(g):
        g.pop(key, None)


def _log(org, users, log_data, expert="expert-li", **overrides):
    return services.create_log(org, log_data(**overrides), user=users[expert])


def _confirmed(org, users, log_data, *days_back, expert="expert-li"):
    for back in days_back:
        services.confirm(_log(org, users, log_data, expert=expert, held_on=today() - timedelta(days=back)),
                         user=users["trainee-wang"])


def _panel(org, user) -> str:
    _fresh()
    panels = collect(hooks_for([org.park_id]).incubator_org_panels(org=org, user=user))
    mine = [p for p in panels if p.title == "督导记录"]
    return str(mine[0].html) if mine else ""


def _todos(user) -> dict:
    _fresh()
    return {t.label: t for t in mentoring.incubator_todos(user=user) or []}


# -- experts on the organization page --------------------------------------------------------

def test_manager_sees_the_experts_and_assigns_one_from_the_organization_page(supervised, users, login_as, client):
    login_as("fangxing-mgr")
    page = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert "督导专家" in page and "李督导" in page
    since = assigning.assignments(supervised.id)[0].starts_on
    assert f"自 {since.year}年{since.month}月{since.day}日 起" in page
    # A select of the expert accounts, a start date that defaults to today, a submit button.
    assert re.search(r'<select[^>]*name="assign-expert"', page)
    assert '<option value="expert-zhou">周督导（expert-zhou）</option>' in page
    assert re.search(rf'<input[^>]*name="assign-starts_on"[^>]*type="date" value="{today().isoformat()}"', page)
    assert ">指派专家</button>" in page

    response = client.post(f"/mentoring/orgs/{supervised.id}/assignments", data={
        "assign-expert": "expert-zhou", "assign-starts_on": today().isoformat(), "next": f"/orgs/{supervised.id}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orgs/{supervised.id}")
    page = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert "已指派 周督导" in page and "周督导" in page.split("督导专家")[1]
    assert {a.expert.username for a in services.current_assignments(supervised.id)} == {"expert-li", "expert-zhou"}


def test_assigning_sends_nobody_off_the_site(supervised, login_as, client):
    login_as("fangxing-mgr")
    response = client.post(f"/mentoring/orgs/{supervised.id}/assignments", data={
        "assign-expert": "expert-zhou", "assign-starts_on": today().isoformat(), "next": "//evil.example/x"})
    assert response.headers["Location"].endswith(f"/mentoring/orgs/{supervised.id}")


def test_ending_an_assignment_asks_first_and_stops_the_experts_new_logs(supervised, users, log_data, login_as,
                                                                         client):
    login_as("fangxing-mgr")
    page = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/mentoring/assignments/(\d+)/end"\s+data-confirm="([^"]+)"', page)
    assert form and "确定今天结束 李督导 的指派吗？" in form.group(2)
    response = client.post(f"/mentoring/assignments/{form.group(1)}/end", data={"next": f"/orgs/{supervised.id}"})
    assert response.headers["Location"].endswith(f"/orgs/{supervised.id}")
    assignment = db.session.get(MentorAssignment, int(form.group(1)))
    db.session.refresh(assignment)
    assert assignment.ends_on == today()
    # Ended today: a session held today still counts, tomorrow's will not.
    assert not assigning.is_assigned(users["expert-li"], supervised.id, active_on=today() + timedelta(days=1))
    assert assigning.is_assigned(users["expert-li"], supervised.id, active_on=today())


def test_an_assignment_not_yet_started_is_called_off(supervised, users):
    later = assigning.assign(supervised, users["expert-zhou"], today() + timedelta(days=10), None,
                            user=users["fangxing-mgr"])
    assert assigning.end_assignment(later, None, user=users["fangxing-mgr"]) is None
    assert db.session.get(MentorAssignment, later.id) is None
    assignment = assigning.assignments(supervised.id)[0]
    assigning.end_assignment(assignment, today() - timedelta(days=5), user=users["fangxing-mgr"])
    with pytest.raises(Conflict, match="已于"):
        assigning.end_assignment(assignment, today(), user=users["fangxing-mgr"])


def test_incubator_org_panels_shows_the_expert_no_assignment_form(supervised, users):
    html = _panel(supervised, users["expert-li"])
    assert "李督导" in html and "记录一次督导" in html
    assert "assign-expert" not in html and "结束指派" not in html


def test_incubator_org_panels_gives_the_contact_the_history_and_what_to_confirm(supervised, users, log_data):
    _confirmed(supervised, users, log_data, 9)
    waiting = _log(supervised, users, log_data, held_on=today() - timedelta(days=2))
    html = _panel(supervised, users["trainee-wang"])
    assert "以下督导记录待您确认" in html and f'href="/mentoring/logs/{waiting.id}">查看并确认' in html
    assert html.count("/mentoring/logs/") >= 3  # the pending one twice (link and history), the confirmed one
    # Read-only otherwise: no assigning, no ending, no logging.
    assert "assign-expert" not in html and "结束指派" not in html and "记录一次督导" not in html
    assert _panel(supervised, users["trainee-chen"]) == ""


def test_incubator_org_panels_counts_sessions_and_says_why_fewer_than_entries(supervised, users, log_data):
    _confirmed(supervised, users, log_data, 3, 3, 3, 4)
    html = _panel(supervised, users["fangxing-mgr"])
    assert "4 条已确认记录计为 2 次督导：同一天的记录只计一次。" in html


# -- assignments close when the organization graduates or exits ------------------------------

def test_incubator_transition_done_ends_the_assignments_when_the_organization_exits(supervised, users, log_data,
                                                                                    login_as, client):
    later = assigning.assign(supervised, users["expert-zhou"], today() + timedelta(days=30), None,
                            user=users["fangxing-mgr"])
    transition = orgs.move(supervised, "exited", user=users["fangxing-mgr"], note="停止运营")
    day = transition.happened_on
    assert day == today()
    assignment = assigning.assignments(supervised.id)[0]
    db.session.refresh(assignment)
    assert assignment.ends_on == day
    assert db.session.get(MentorAssignment, later.id) is None  # would have started after the exit
    assert db.session.scalars(select(AuditEntry.summary).where(AuditEntry.action == "mentoring.unassign")).all()

    # No supervision after the exit; a session held before it may still be written up.
    assert not assigning.is_assigned(users["expert-li"], supervised.id, active_on=day + timedelta(days=1))
    assert _log(supervised, users, log_data, held_on=today() - timedelta(days=1)).status == "pending"
    with pytest.raises(Conflict, match="已出壳或退出"):
        assigning.assign(supervised, users["expert-zhou"], today(), None, user=users["fangxing-mgr"])

    login_as("fangxing-mgr")
    page = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert "assign-expert" not in page and "结束指派" not in page
    assert f"至 {day.year}年{day.month}月{day.day}日" in page


def test_incubator_transition_done_ends_the_assignments_when_the_organization_graduates(
        supervised, users, log_data, only_mentoring_vetoes, login_as, client):
    _confirmed(supervised, users, log_data, 1, 2, 3, 4, 5, 6)
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{supervised.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 302
    assignment = assigning.assignments(supervised.id)[0]
    db.session.refresh(assignment)
    assert assignment.ends_on == today()
    assert not assigning.is_assigned(users["expert-li"], supervised.id, active_on=today() + timedelta(days=1))


def test_moving_between_incubating_and_virtual_keeps_the_assignment(supervised, users):
    orgs.move(supervised, "virtual", user=users["fangxing-mgr"], note="转壳外")
    assert assigning.assignments(supervised.id)[0].ends_on is None


def test_a_back_dated_exit_ends_the_assignment_on_the_day_it_happened(supervised, users):
    """(The district's day of a move is the core's `happened_on`: tests/test_happened_on.py.)"""
    exited_on = today() - timedelta(days=3)
    from incubator.organizations.models import Transition
    db.session.execute(update(Transition).where(Transition.organization_id == supervised.id)
                       .values(happened_on=today() - timedelta(days=400)))  # (it entered long ago)
    db.session.commit()
    orgs.move(supervised, "exited", user=users["fangxing-mgr"], note="停止运营", happened_on=exited_on)
    assignment = assigning.assignments(supervised.id)[0]
    db.session.refresh(assignment)
    assert assignment.ends_on == exited_on


# -- sessions on distinct days ---------------------------------------------------------------

def test_count_sessions_walks_the_days_in_order():
    d = date(2026, 3, 1)
    days = [d, d, d, d + timedelta(days=1), d + timedelta(days=3), d + timedelta(days=9), d + timedelta(days=10)]
    assert services.count_sessions(days) == 5
    assert services.count_sessions(days, 7) == 2  # day 0 and day 9 (day 3 and 10 are within a week of them)
    assert services.count_sessions([], 1) == 0


def test_six_entries_on_one_day_are_one_session(supervised, users, log_data, only_mentoring_vetoes):
    _confirmed(supervised, users, log_data, *[2] * 6)
    assert services.confirmed_entries(supervised.id) == 6
    assert services.confirmed_sessions(supervised.id) == 1
    with pytest.raises(Vetoed) as refused:
        orgs.move(supervised, "graduated", user=users["fangxing-mgr"])
    assert refused.value.reasons == ["出壳前须完成至少 6 次经组织签字确认的督导（目前计 1 次：已确认的 6 条记录中，"
                                     "同一天的记录只计一次）"]
    _confirmed(supervised, users, log_data, 3, 4, 5, 6, 7)
    orgs.move(supervised, "graduated", user=users["fangxing-mgr"])
    assert supervised.stage == "graduated"


def test_a_park_sets_a_minimum_gap_between_sessions(supervised, users, log_data, parks, login_as, client, api,
                                                    only_mentoring_vetoes):
    login_as("fangxing-mgr")
    page = client.get("/mentoring/settings/fangxing").get_data(as_text=True)
    assert "两次督导至少相隔（天）" in page and 'name="min_gap_days"' in page
    response = client.post("/mentoring/settings/fangxing", data={
        "graduation_veto": "y", "min_confirmed_sessions": "3", "min_gap_days": "7", "topics": "内部治理\n财务管理"})
    assert response.status_code == 302
    assert services.settings_for(parks["fangxing"].id).min_gap_days == 7
    _confirmed(supervised, users, log_data, 20, 15, 13, 8, 2)  # weeks apart: day -20, -13, -2 count
    assert services.confirmed_sessions(supervised.id) == 3
    services.save_settings(parks["fangxing"], graduation_veto=True, min_confirmed_sessions=4, min_gap_days=7,
                           topics=["内部治理", "财务管理"], user=users["fangxing-mgr"])
    response = client.post(f"/api/v1/organizations/{supervised.id}/transitions", headers=api("fangxing-mgr"),
                           json={"to_stage": "graduated"})
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["message"] == (
        "出壳前须完成至少 4 次经组织签字确认的督导（目前计 3 次：已确认的 5 条记录中，相隔不足 7 天的只计一次）")
    summary = client.get(f"/api/v1/mentoring/organizations/{supervised.id}", headers=api("fangxing-mgr")).get_json()
    assert (summary["confirmed_sessions"], summary["confirmed_entries"]) == (3, 5)


def test_the_minimum_gap_is_checked(parks, users, client, api, login_as):
    with pytest.raises(ValidationError, match="1–365"):
        services.save_settings(parks["fangxing"], graduation_veto=True, min_confirmed_sessions=6, min_gap_days=0,
                               topics=["筹资"], user=users["fangxing-mgr"])
    response = client.put("/api/v1/mentoring/parks/fangxing/settings", headers=api("fangxing-mgr"),
                          json={"graduation_veto": True, "min_confirmed_sessions": 6, "min_gap_days": 400,
                                "topics": ["筹资"]})
    assert response.status_code == 422
    login_as("fangxing-mgr")
    response = client.post("/mentoring/settings/fangxing", data={
        "min_confirmed_sessions": "6", "min_gap_days": "0", "topics": "筹资"})
    assert response.status_code == 200 and "应在 1–365 之间" in response.get_data(as_text=True)


def test_zero_hours_is_refused_with_a_message_that_says_so(supervised, users, log_data, login_as, client, api):
    with pytest.raises(ValidationError, match="督导时长须大于 0 小时"):
        _log(supervised, users, log_data, hours="0")
    login_as("expert-li")
    response = client.post(f"/mentoring/orgs/{supervised.id}/logs/new", data={
        "held_on": today().isoformat(), "hours": "0", "mode": "onsite", "topics": ["筹资"],
        "findings": "x", "advice": "y"})
    assert response.status_code == 200 and "督导时长须大于 0 小时" in response.get_data(as_text=True)
    payload = {**log_data(held_on=today().isoformat(), actions=[]), "hours": 0}
    response = client.post(f"/api/v1/mentoring/organizations/{supervised.id}/logs", json=payload,
                           headers=api("expert-li"))
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert (error["message"], error["field"]) == ("督导时长须大于 0 小时", "hours")
    assert db.session.scalar(select(SupervisionLog.id)) is None


def test_the_log_form_starts_on_today(supervised, login_as, client):
    login_as("expert-li")
    page = client.get(f"/mentoring/orgs/{supervised.id}/logs/new").get_data(as_text=True)
    assert re.search(rf'<input[^>]*name="held_on"[^>]*type="date" value="{today().isoformat()}"', page)
    assert 'aria-label="跟进事项 1"' in page and 'aria-label="完成期限 1"' in page


# -- landing page and to-dos -----------------------------------------------------------------

def test_incubator_home_url_sends_experts_to_my_supervision(supervised, users, client):
    assert mentoring.incubator_home_url(user=users["expert-li"]) == "/mentoring"
    assert mentoring.incubator_home_url(user=users["trainee-chen"]) is None
    assert mentoring.incubator_home_url(user=users["fangxing-mgr"]) is None
    response = client.post("/login", data={"username": "expert-li", "password": "demo12345"})
    assert response.headers["Location"].endswith("/mentoring")


def test_incubator_todos_lists_an_experts_logs_awaiting_the_organization(supervised, users, log_data, login_as,
                                                                         client):
    _log(supervised, users, log_data, held_on=today() - timedelta(days=3))
    _log(supervised, users, log_data, held_on=today() - timedelta(days=2), actions=[
        {"description": "补齐会议纪要", "owner": "张芳", "due_on": today() + timedelta(days=3)}])
    disputed = _log(supervised, users, log_data, held_on=today() - timedelta(days=1), actions=[])
    services.dispute(disputed, "时长不对", user=users["trainee-wang"])
    todos = _todos(users["expert-li"])
    assert todos["督导记录待组织确认"].count == 2 and todos["督导记录待组织确认"].url == "/mentoring?status=pending"
    assert todos["有异议的督导记录待修改"].url == f"/mentoring/logs/{disputed.id}"
    assert todos["督导跟进事项即将到期或已逾期"].count == 1  # the fixture's action (in 14 days) is not due yet
    assert todos["督导跟进事项即将到期或已逾期"].due == today() + timedelta(days=3)
    assert _todos(users["expert-zhou"]) == {}

    login_as("expert-li")
    page = client.get("/mentoring").get_data(as_text=True)
    assert page.index("待办") < page.index("指派给我的组织")
    assert "督导记录待组织确认" in page and "有异议的督导记录待修改" in page


def test_incubator_todos_show_an_experts_overdue_follow_up_with_its_date(supervised, users, log_data):
    _log(supervised, users, log_data, held_on=today() - timedelta(days=30), actions=[
        {"description": "建立志愿者台账", "owner": "王静", "due_on": today() - timedelta(days=5)}])
    todo = _todos(users["expert-li"])["督导跟进事项即将到期或已逾期"]
    assert todo.due == today() - timedelta(days=5) and todo.url == "/mentoring#actions"


def test_incubator_todos_lists_logs_awaiting_the_contact(supervised, users, log_data, login_as, client):
    first = _log(supervised, users, log_data, held_on=today() - timedelta(days=3), actions=[])
    todo = _todos(users["trainee-wang"])["督导记录待确认"]
    assert (todo.count, todo.url) == (1, f"/mentoring/logs/{first.id}")  # one: straight to it
    _log(supervised, users, log_data, held_on=today() - timedelta(days=1), actions=[
        {"description": "提交年度计划", "owner": "张芳", "due_on": today() + timedelta(days=2)}])
    todos = _todos(users["trainee-wang"])
    assert (todos["督导记录待确认"].count, todos["督导记录待确认"].url) == (2, "/mentoring")
    assert todos["督导跟进事项待完成"].due == today() + timedelta(days=2)
    assert _todos(users["trainee-chen"]) == {}

    login_as("trainee-wang")
    home = client.get("/mentoring").get_data(as_text=True)
    menu_count = re.search(r'待办\s*<span class="badge rounded-pill[^>]*>(\d+)</span>', home)
    assert menu_count and int(menu_count.group(1)) >= 3  # two entries to sign, one follow-up due
    assert "待您确认的督导记录" in home and home.count("查看并确认") == 2


def test_incubator_todos_lists_disputed_logs_for_the_parks_managers(supervised, users, log_data):
    log = _log(supervised, users, log_data)
    services.dispute(log, "时长不对", user=users["trainee-wang"])
    assert _todos(users["fangxing-mgr"])["有异议的督导记录"].url == "/mentoring?status=disputed"
    assert _todos(users["admin"])["有异议的督导记录"].count == 1
    assert _todos(users["changqing-mgr"]) == {}


def test_incubator_todos_stay_within_two_queries(app, supervised, users, log_data):
    _log(supervised, users, log_data)
    for username, most in (("expert-li", 2), ("trainee-wang", 2), ("fangxing-mgr", 1)):
        user = users[username]
        db.session.refresh(user)
        user.parks, user.organization_id  # loaded, as for the logged-in user of a request
        _fresh()
        from incubator.plugins import enablement
        enablement()  # read once per request by the core anyway
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            mentoring.incubator_todos(user=user)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(statements) <= most, (username, statements)


def test_incubator_todos_say_nothing_where_mentoring_is_off(supervised, users, log_data, parks):
    _log(supervised, users, log_data)
    set_enablement("mentoring", "parks", [parks["changqing"]])
    db.session.commit()
    assert _todos(users["trainee-wang"]) == {} and _todos(users["expert-li"]) == {}


# -- the contact confirms --------------------------------------------------------------------

def test_contact_confirms_from_the_list_and_the_log_is_locked(supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data)
    login_as("trainee-wang")
    listing = client.get("/mentoring").get_data(as_text=True)
    assert f'href="/mentoring/logs/{log.id}">查看并确认' in listing
    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    confirm = re.search(r'action="/mentoring/logs/\d+/confirm" class="mb-3"\s+data-confirm="([^"]+)"', page)
    assert confirm and "确认后记录锁定" in confirm.group(1) and "出壳" in confirm.group(1) and "督导时长" in confirm.group(1)
    assert re.search(r'action="/mentoring/logs/\d+/dispute"\s+data-confirm="确定对这条督导记录提出异议吗？', page)
    response = client.post(f"/mentoring/logs/{log.id}/confirm")
    assert response.headers["Location"].endswith(f"/mentoring/logs/{log.id}")
    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert "已签字确认" in page and "签字确认</button>" not in page and "本记录不可再修改" in page
    assert services.confirmed_sessions(supervised.id) == 1
    assert _todos(users["trainee-wang"]).get("督导记录待确认") is None


def test_withdrawing_and_ending_an_assignment_ask_for_confirmation(supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data)
    login_as("expert-li")
    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert re.search(r'action="/mentoring/logs/\d+/withdraw" data-confirm="确定撤回这条督导记录吗？', page)
    login_as("fangxing-mgr")
    page = client.get(f"/mentoring/orgs/{supervised.id}").get_data(as_text=True)
    assert "/unlink" not in page  # contacts are granted on the core's organization page, not here
    assert re.search(r'/end"\s+data-confirm="确定今天结束 李督导 的指派吗？', page)


def test_assigning_without_choosing_an_expert_says_so(supervised, login_as, client):
    login_as("fangxing-mgr")
    page = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="assign-expert"[^>]*>\s*<option (?:selected )?value="">请选择……</option>', page)
    client.post(f"/mentoring/orgs/{supervised.id}/assignments", data={
        "assign-expert": "", "assign-starts_on": today().isoformat(), "next": f"/orgs/{supervised.id}"})
    assert "请选择要指派的专家" in client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert len(assigning.assignments(supervised.id)) == 1
