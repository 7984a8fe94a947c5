"""Mentoring logs, told as the users' stories: assign, log, confirm, dispute, amend, follow up, report, veto."""
import os
import threading
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, ValidationError, Vetoed
from incubator.extensions import db
from incubator.organizations import services as orgs
from incubator.plugins import set_enablement

# With the plugin disabled its tests are skipped; skip before importing it, so its models never join the
# metadata the test harness empties (its tables do not exist then).
if "mentoring" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin mentoring is disabled", allow_module_level=True)

from plugins.mentoring import assigning, reporting, services
from plugins.mentoring.models import FollowUpAction, SupervisionLog


def _log(org, users, log_data, expert="expert-li", **overrides):
    return services.create_log(org, log_data(**overrides), user=users[expert])


def _confirm_n(org, users, log_data, n, days_back=1):
    """n confirmed sessions on n distinct days, the latest `days_back` days ago."""
    for k in range(n):
        log = _log(org, users, log_data, held_on=date.today() - timedelta(days=k + days_back))
        services.confirm(log, user=users["trainee-wang"])


# -- assigning and logging -------------------------------------------------------------------

def test_manager_assigns_an_expert_who_then_logs_a_session(login_as, client, make_org, users):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    response = client.post(f"/mentoring/orgs/{org.id}/assignments", data={
        "assign-expert": "expert-zhou", "assign-starts_on": (date.today() - timedelta(days=30)).isoformat(),
        "assign-ends_on": ""})
    assert response.status_code == 302
    assert "周督导" in client.get(f"/mentoring/orgs/{org.id}").get_data(as_text=True)

    login_as("expert-zhou")
    response = client.post(f"/mentoring/orgs/{org.id}/logs/new", data={
        "held_on": (date.today() - timedelta(days=2)).isoformat(), "hours": "2.5", "mode": "online",
        "topics": ["项目设计", "筹资"], "findings": "项目目标不清", "advice": "用逻辑框架梳理",
        "actions-0-description": "重写项目书", "actions-0-owner": "李伟",
        "actions-0-due_on": (date.today() + timedelta(days=10)).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)
    log = db.session.scalar(select(SupervisionLog).where(SupervisionLog.organization_id == org.id))
    assert (log.status, float(log.hours), log.mode, log.topics) == ("pending", 2.5, "online", ["项目设计", "筹资"])
    assert [a.description for a in log.actions] == ["重写项目书"]
    # The assigned expert may open the organization's own page, and sees the supervision panel there.
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "督导记录" in page and "记录一次督导" in page


def test_unassigned_expert_is_refused_in_pages_and_api(supervised, login_as, client, api, log_data):
    login_as("expert-zhou")
    assert client.get(f"/mentoring/orgs/{supervised.id}/logs/new").status_code == 403
    assert client.get(f"/mentoring/orgs/{supervised.id}").status_code == 403
    assert client.get(f"/orgs/{supervised.id}").status_code == 403
    payload = log_data(held_on=date.today().isoformat(), actions=[])
    response = client.post(f"/api/v1/mentoring/organizations/{supervised.id}/logs", json=payload,
                           headers=api("expert-zhou"))
    assert response.status_code == 403
    assert response.get_json()["errors"][0]["code"] == "Forbidden"


def test_expert_cannot_log_a_date_outside_the_assignment(supervised, users, log_data, client, api):
    with pytest.raises(Conflict, match="指派期"):
        _log(supervised, users, log_data, held_on=date.today() - timedelta(days=200))
    response = client.post(f"/api/v1/mentoring/organizations/{supervised.id}/logs", headers=api("expert-li"),
                           json=log_data(held_on=(date.today() - timedelta(days=200)).isoformat(), actions=[]))
    assert response.status_code == 409


def test_ended_assignment_stops_new_logs(supervised, users, log_data):
    assignment = assigning.assignments(supervised.id)[0]
    assigning.end_assignment(assignment, date.today() - timedelta(days=10), user=users["fangxing-mgr"])
    with pytest.raises(Conflict):
        _log(supervised, users, log_data, held_on=date.today() - timedelta(days=1))
    assert _log(supervised, users, log_data, held_on=date.today() - timedelta(days=20)).status == "pending"


def test_overlapping_assignment_of_the_same_expert_is_refused(supervised, users):
    with pytest.raises(Conflict):
        assigning.assign(supervised, users["expert-li"], date.today(), None, user=users["fangxing-mgr"])
    with pytest.raises(ValidationError):
        assigning.assign(supervised, users["trainee-chen"], date.today(), None, user=users["fangxing-mgr"])


def test_invalid_entries_get_422_naming_the_field(supervised, client, api, log_data):
    headers = api("expert-li")
    url = f"/api/v1/mentoring/organizations/{supervised.id}/logs"
    cases = {
        "topics": log_data(topics=["炒股"]),
        "held_on": log_data(held_on=date.today() + timedelta(days=1)),
        "hours": log_data(hours="0"),
        "mode": log_data(mode="letter"),
        "actions": log_data(actions=[{"description": "x", "owner": "y", "due_on": "2000-01-01"}]),
    }
    for field, payload in cases.items():
        payload = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in payload.items()}
        payload["actions"] = [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in a.items()}
                              for a in payload["actions"]]
        response = client.post(url, json=payload, headers=headers)
        assert response.status_code == 422, (field, response.get_json())
        assert response.get_json()["errors"][0].get("field", "").startswith(field), (field, response.get_json())
    assert db.session.scalar(select(SupervisionLog.id)) is None


def test_notes_are_rendered_as_markdown_without_html_injection(supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data, findings="**要点** <script>alert(1)</script>",
               advice="[点我](javascript:alert(1))")
    login_as("fangxing-mgr")
    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert "<strong>要点</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page


# -- confirming, disputing, amending ---------------------------------------------------------

def test_contact_person_confirms_and_a_confirmed_entry_is_locked(supervised, users, log_data, login_as, client, api):
    log = _log(supervised, users, log_data)
    login_as("trainee-wang")
    assert "督导确认" in client.get("/mentoring").get_data(as_text=True)
    response = client.post(f"/mentoring/logs/{log.id}/confirm")
    assert response.status_code == 302
    db.session.refresh(log)
    assert log.status == "confirmed" and log.confirmed_by_id == users["trainee-wang"].id

    with pytest.raises(Conflict, match="补充更正"):
        services.update_log(log, log_data(hours="9"), user=users["expert-li"])
    response = client.put(f"/api/v1/mentoring/logs/{log.id}", headers=api("expert-li"),
                          json={**log_data(held_on=log.held_on.isoformat(), actions=[]), "hours": 9})
    assert response.status_code == 409
    response = client.post(f"/api/v1/mentoring/logs/{log.id}/confirmation", headers=api("trainee-wang"),
                           json={"decision": "dispute", "comment": "晚了"})
    assert response.status_code == 409
    db.session.refresh(log)
    assert float(log.hours) == 2.5


def test_amendment_replaces_the_confirmed_entry_once_confirmed(supervised, users, log_data, client, api):
    original = _log(supervised, users, log_data)
    services.confirm(original, user=users["trainee-wang"])
    headers = api("expert-li")
    payload = log_data(held_on=original.held_on.isoformat(), hours=3, actions=[], amends_id=original.id)
    response = client.post(f"/api/v1/mentoring/organizations/{supervised.id}/logs", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    amendment_id = response.get_json()["id"]
    assert response.get_json()["amends_id"] == original.id
    # A second open amendment of the same entry is refused.
    assert client.post(f"/api/v1/mentoring/organizations/{supervised.id}/logs", json=payload,
                       headers=headers).status_code == 409
    assert services.confirmed_sessions(supervised.id) == 1
    response = client.post(f"/api/v1/mentoring/logs/{amendment_id}/confirmation", headers=api("trainee-wang"),
                           json={"decision": "confirm"})
    assert response.status_code == 200 and response.get_json()["status"] == "confirmed"
    summary = client.get(f"/api/v1/mentoring/organizations/{supervised.id}", headers=headers).get_json()
    assert summary["confirmed_sessions"] == 1 and summary["confirmed_hours"] == 3.0


def test_disputed_entry_is_revised_by_its_expert_and_confirmed(supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data)
    login_as("trainee-wang")
    response = client.post(f"/mentoring/logs/{log.id}/dispute", data={"comment": "实际只有1小时"})
    assert response.status_code == 302
    db.session.refresh(log)
    assert log.status == "disputed" and log.dispute_comment == "实际只有1小时"
    with pytest.raises(ValidationError):
        services.dispute(log, "  ", user=users["trainee-wang"])

    with pytest.raises(Conflict):  # only the author revises
        services.update_log(log, log_data(hours="1"), user=users["expert-zhou"])
    login_as("expert-li")
    assert "实际只有1小时" in client.get(f"/mentoring/logs/{log.id}/edit").get_data(as_text=True)
    services.update_log(log, log_data(hours="1"), user=users["expert-li"])
    assert (log.status, float(log.hours)) == ("pending", 1.0)
    services.confirm(log, user=users["trainee-wang"])
    assert log.status == "confirmed"


def test_only_the_contact_person_confirms(supervised, users, log_data, login_as, client, api):
    log = _log(supervised, users, log_data)
    for username in ("expert-li", "fangxing-mgr"):
        login_as(username)
        assert client.post(f"/mentoring/logs/{log.id}/confirm").status_code == 403
    with pytest.raises(Conflict):
        services.confirm(log, user=users["trainee-chen"])
    assert client.post(f"/api/v1/mentoring/logs/{log.id}/confirmation", headers=api("trainee-chen"),
                       json={"decision": "confirm"}).status_code == 403


def test_a_trainee_sees_nothing_of_another_organizations_supervision(supervised, users, log_data, login_as, client, api):
    log = _log(supervised, users, log_data)
    login_as("trainee-chen")
    home = client.get("/").get_data(as_text=True)
    assert ">督导<" not in home and "督导确认" not in home
    assert client.get("/mentoring").status_code == 403
    assert client.get(f"/mentoring/orgs/{supervised.id}").status_code == 403
    assert client.get(f"/mentoring/logs/{log.id}").status_code == 403
    assert client.get(f"/orgs/{supervised.id}").status_code == 403
    headers = api("trainee-chen")
    assert client.get(f"/api/v1/mentoring/organizations/{supervised.id}/logs", headers=headers).status_code == 403
    assert client.get(f"/api/v1/mentoring/logs/{log.id}", headers=headers).status_code == 403
    assert client.get("/api/v1/mentoring/reports/hours", headers=headers).status_code == 403


def test_manager_cannot_touch_another_parks_supervision(supervised, login_as, client, api):
    login_as("changqing-mgr")
    assert client.get(f"/mentoring/orgs/{supervised.id}").status_code == 403
    assert client.post(f"/mentoring/orgs/{supervised.id}/assignments", data={
        "assign-expert": "expert-zhou", "assign-starts_on": date.today().isoformat()}).status_code == 403
    assert client.get("/mentoring/settings/fangxing").status_code == 403
    response = client.get("/api/v1/mentoring/reports/hours?park=fangxing", headers=api("changqing-mgr"))
    assert response.status_code == 403


def test_forms_need_a_csrf_token(app, supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data)
    login_as("trainee-wang")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/mentoring/logs/{log.id}/confirm").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(log)
    assert log.status == "pending"


# -- follow-up actions -----------------------------------------------------------------------

def test_the_dashboard_counts_overdue_actions_up_to_99(supervised, users, log_data, login_as, client):
    from sqlalchemy import insert
    log = _log(supervised, users, log_data, held_on=date.today() - timedelta(days=30))
    db.session.execute(insert(FollowUpAction), [
        {"log_id": log.id, "organization_id": supervised.id, "description": f"跟进事项{i}", "owner": "王静",
         "due_on": date.today() - timedelta(days=3)} for i in range(101)])
    db.session.commit()
    assert services.count_overdue([supervised.park_id]) == 101
    assert services.count_overdue([supervised.park_id], up_to=99) == 100
    login_as("fangxing-mgr")
    assert "99+ 项督导跟进事项已逾期。" in client.get("/dashboard").get_data(as_text=True)


def test_overdue_actions_show_on_the_organization_page_and_dashboard(supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data, held_on=date.today() - timedelta(days=30), actions=[
        {"description": "建立志愿者台账", "owner": "王静", "due_on": date.today() - timedelta(days=5)},
        {"description": "提交年度计划", "owner": "张芳", "due_on": date.today() + timedelta(days=5)}])
    login_as("fangxing-mgr")
    page = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert "逾期跟进事项" in page and "建立志愿者台账" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "逾期的督导跟进事项" in dashboard and "建立志愿者台账" in dashboard and "提交年度计划" not in dashboard

    overdue = next(a for a in log.actions if a.description == "建立志愿者台账")
    login_as("trainee-wang")
    assert client.post(f"/mentoring/actions/{overdue.id}/done").status_code == 302
    db.session.refresh(overdue)
    assert overdue.done_at is not None and overdue.done_by_id == users["trainee-wang"].id
    login_as("fangxing-mgr")
    assert "建立志愿者台账" not in client.get("/dashboard").get_data(as_text=True)
    with pytest.raises(Conflict):
        services.mark_done(overdue, user=users["expert-li"])


def test_unassigned_expert_cannot_mark_an_action_done(supervised, users, log_data, login_as, client):
    log = _log(supervised, users, log_data)
    login_as("expert-zhou")
    assert client.post(f"/mentoring/actions/{log.actions[0].id}/done").status_code == 403


# -- reports ---------------------------------------------------------------------------------

def test_hours_report_per_expert_per_month_with_excel_export(supervised, users, log_data, login_as, client, make_org):
    this_month = date.today().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    a = _log(supervised, users, log_data, held_on=last_month, hours="2")
    b = _log(supervised, users, log_data, held_on=last_month + timedelta(days=3), hours="1.5")
    _log(supervised, users, log_data, held_on=date.today(), hours="3")  # stays unconfirmed
    for log in (a, b):
        services.confirm(log, user=users["trainee-wang"])
    report = reporting.hours_report(park_ids=None, year=last_month.year, month=last_month.month)
    assert report["by_expert"] == [{"expert_id": users["expert-li"].id, "expert": "李督导", "username": "expert-li",
                                    "month": last_month.strftime("%Y-%m"), "sessions": 2,
                                    "confirmed_hours": 3.5, "unconfirmed_hours": 0.0}]
    assert report["by_park"][0]["park"] == supervised.park.name and report["by_park"][0]["sessions"] == 2

    login_as("fangxing-mgr")
    page = client.get(f"/mentoring/reports?year={last_month.year}").get_data(as_text=True)
    assert "李督导" in page and last_month.strftime("%Y-%m") in page
    response = client.get(f"/mentoring/reports?year={date.today().year}&format=xlsx&park=fangxing")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["专家月度督导时长", "按组织", "按园区"]
    rows = list(book["按组织"].iter_rows(values_only=True))
    if last_month.year == date.today().year:
        assert rows[1][:5] == ("方兴邻里互助会", supervised.park.name, 2, 3.5, 3)


def test_reports_are_scoped_to_the_managers_parks(supervised, users, log_data, login_as, client, api):
    services.confirm(_log(supervised, users, log_data), user=users["trainee-wang"])
    login_as("changqing-mgr")
    assert "方兴邻里互助会" not in client.get("/mentoring/reports").get_data(as_text=True)
    data = client.get("/api/v1/mentoring/reports/hours", headers=api("changqing-mgr")).get_json()
    assert data["by_organization"] == []
    data = client.get("/api/v1/mentoring/reports/hours", headers=api("admin")).get_json()
    assert [r["organization"] for r in data["by_organization"]] == ["方兴邻里互助会"]
    login_as("expert-li")
    assert client.get("/mentoring/reports").status_code == 403


def test_expert_sees_own_hours_and_assignments(supervised, users, log_data, login_as, client):
    services.confirm(_log(supervised, users, log_data, held_on=date.today()), user=users["trainee-wang"])
    login_as("expert-li")
    page = client.get("/mentoring").get_data(as_text=True)
    assert "方兴邻里互助会" in page and date.today().strftime("%Y-%m") in page


# -- the graduation veto ---------------------------------------------------------------------

def test_graduation_needs_six_confirmed_sessions_by_default(supervised, users, log_data, only_mentoring_vetoes):
    _confirm_n(supervised, users, log_data, 5)
    _log(supervised, users, log_data)  # pending: does not count
    with pytest.raises(Vetoed) as refused:
        orgs.move(supervised, "graduated", user=users["fangxing-mgr"])
    assert refused.value.reasons == ["出壳前须完成至少 6 次经组织签字确认的督导（目前计 5 次：已确认的 5 条记录中，"
                                     "同一天的记录只计一次）"]
    _confirm_n(supervised, users, log_data, 1, days_back=6)
    orgs.move(supervised, "graduated", user=users["fangxing-mgr"])
    assert supervised.stage == "graduated"


def test_veto_through_the_page_and_the_api(supervised, users, log_data, login_as, client, api, only_mentoring_vetoes):
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{supervised.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 409
    assert "出壳前须完成至少 6 次经组织签字确认的督导（目前计 0 次" in response.get_data(as_text=True)
    response = client.post(f"/api/v1/organizations/{supervised.id}/transitions", headers=api("fangxing-mgr"),
                           json={"to_stage": "graduated"})
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["message"].startswith("出壳前须完成至少 6 次")

    # The park lowers its threshold on the settings page: two confirmed sessions are enough.
    response = client.post("/mentoring/settings/fangxing", data={
        "graduation_veto": "y", "min_confirmed_sessions": "2", "topics": "内部治理\n财务管理\n筹资"})
    assert response.status_code == 302
    _confirm_n(supervised, users, log_data, 2)
    response = client.post(f"/orgs/{supervised.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 302
    db.session.refresh(supervised)
    assert supervised.stage == "graduated"


def test_veto_can_be_switched_off_per_park(supervised, users, only_mentoring_vetoes, client, api, parks):
    response = client.put("/api/v1/mentoring/parks/fangxing/settings", headers=api("fangxing-mgr"),
                          json={"graduation_veto": False, "min_confirmed_sessions": 6, "topics": ["内部治理"]})
    assert response.status_code == 200 and response.get_json()["graduation_veto"] is False
    assert services.settings_for(parks["changqing"].id).graduation_veto is True  # other parks keep the default
    orgs.move(supervised, "graduated", user=users["fangxing-mgr"])
    assert supervised.stage == "graduated"


def test_veto_together_with_the_checklist_plugin(supervised, users, log_data, client, api):
    """With the checklist plugin on, both conditions must hold; record the certificate through its API."""
    from incubator.plugins import registry
    for info in registry().loaded():
        if info.name not in ("mentoring", "checklist"):
            set_enablement(info.name, "none")
    db.session.commit()
    headers = api("fangxing-mgr")
    client.post(f"/api/v1/checklist/organizations/{supervised.id}", headers=headers,
                json={"kind": "registration_certificate", "received_on": date.today().isoformat()})
    response = client.post(f"/api/v1/organizations/{supervised.id}/transitions", headers=headers,
                           json={"to_stage": "graduated"})
    assert response.status_code == 409
    _confirm_n(supervised, users, log_data, 6)
    response = client.post(f"/api/v1/organizations/{supervised.id}/transitions", headers=headers,
                           json={"to_stage": "graduated"})
    assert response.status_code == 201, response.get_json()


def test_settings_topics_are_per_park_and_validated(supervised, users, parks, log_data, login_as, client):
    services.save_settings(parks["fangxing"], graduation_veto=True, min_confirmed_sessions=6,
                           topics=["社区营造"], user=users["fangxing-mgr"])
    with pytest.raises(ValidationError):
        _log(supervised, users, log_data, topics=["内部治理"])
    assert _log(supervised, users, log_data, topics=["社区营造"]).topics == ["社区营造"]
    with pytest.raises(ValidationError):
        services.save_settings(parks["fangxing"], graduation_veto=True, min_confirmed_sessions=-1,
                               topics=["x"], user=users["fangxing-mgr"])
    login_as("fangxing-mgr")
    response = client.post("/mentoring/settings/fangxing", data={"min_confirmed_sessions": "3", "topics": ""})
    assert response.status_code == 200 and "请至少填写一个主题" in response.get_data(as_text=True)


# -- enablement, API document, demo, CLI -----------------------------------------------------

def test_disabled_for_a_park_means_no_panel_no_veto_and_404(supervised, users, parks, log_data, login_as, client,
                                                            only_mentoring_vetoes):
    log = _log(supervised, users, log_data)
    set_enablement("mentoring", "parks", [parks["changqing"]])
    db.session.commit()
    login_as("fangxing-mgr")
    assert "全部督导记录" not in client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert client.get(f"/mentoring/orgs/{supervised.id}").status_code == 404
    assert client.get(f"/mentoring/logs/{log.id}").status_code == 404
    response = client.post(f"/orgs/{supervised.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 302


def test_openapi_document_lists_the_mentoring_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/v1/mentoring/organizations/{org_id}/logs", "/api/v1/mentoring/logs/{log_id}/confirmation",
                 "/api/v1/mentoring/organizations/{org_id}/assignments", "/api/v1/mentoring/reports/hours",
                 "/api/v1/mentoring/actions/{action_id}/done", "/api/v1/mentoring/parks/{code}/settings"):
        assert path in paths, path


def test_demo_data_is_seeded_once_with_entries_for_the_demo_contact(app, network, users, make_org):
    from incubator.demo import seed
    from incubator.users.models import User
    seed(size=30)
    count = db.session.scalar(select(db.func.count()).select_from(SupervisionLog))
    assert count > 0 and db.session.scalar(select(db.func.count()).select_from(FollowUpAction)) > 0
    zhang = db.session.scalar(select(User).where(User.username == "contact-zhang"))
    pending = db.session.scalars(select(SupervisionLog).where(
        SupervisionLog.organization_id == zhang.organization_id, SupervisionLog.status == "pending")).all()
    assert len(pending) == 2 and {log.expert.username for log in pending} == {"expert-li"}
    # Enough sessions on distinct days for graduation; trainee-wang stays a plain trainee.
    assert services.confirmed_sessions(zhang.organization_id) >= 6
    db.session.refresh(users["trainee-wang"])
    assert users["trainee-wang"].organization_id is None
    seed(size=30)
    assert db.session.scalar(select(db.func.count()).select_from(SupervisionLog)) == count


def test_cli_prints_hours_and_overdue_actions(app, supervised, users, log_data, tmp_path):
    services.confirm(_log(supervised, users, log_data, held_on=date.today(), hours="2",
                          actions=[{"description": "补交报告", "owner": "张芳", "due_on": date.today()}]),
                     user=users["trainee-wang"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mentoring", "hours", "--park", "fangxing", "--xlsx", str(tmp_path / "h.xlsx")])
    assert result.exit_code == 0, result.output
    assert "李督导" in result.output and "2.0 confirmed hour(s)" in result.output
    assert (tmp_path / "h.xlsx").exists()
    result = runner.invoke(args=["mentoring", "overdue", "--park", "nowhere"])
    assert result.exit_code != 0


# -- concurrency (PostgreSQL) ----------------------------------------------------------------

def test_two_confirmations_at_once_record_one(app, postgres_only, supervised, users, log_data):
    log_id = _log(supervised, users, log_data).id
    wang_id = users["trainee-wang"].id
    outcomes, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            from incubator.users.models import User
            entry, user = db.session.get(SupervisionLog, log_id), db.session.get(User, wang_id)
            barrier.wait()
            try:
                services.confirm(entry, user=user)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]


@pytest.mark.parametrize("hours", ["NaN", "Infinity", "abc", "-1"])
def test_nonsense_hours_in_the_form_get_a_message_not_a_500(supervised, login_as, client, hours):
    login_as("expert-li")
    response = client.post(f"/mentoring/orgs/{supervised.id}/logs/new", data={
        "held_on": date.today().isoformat(), "hours": hours, "mode": "onsite", "topics": ["筹资"],
        "findings": "x", "advice": "y"})
    assert response.status_code == 200
    assert db.session.scalar(select(SupervisionLog.id)) is None


def test_expert_withdraws_an_unconfirmed_entry_but_not_a_confirmed_one(supervised, users, log_data, login_as,
                                                                       client, api):
    mistaken, kept = _log(supervised, users, log_data), _log(supervised, users, log_data)
    services.confirm(kept, user=users["trainee-wang"])
    login_as("expert-li")
    assert client.post(f"/mentoring/logs/{mistaken.id}/withdraw").status_code == 302
    assert db.session.get(SupervisionLog, mistaken.id) is None
    assert client.delete(f"/api/v1/mentoring/logs/{kept.id}", headers=api("expert-li")).status_code == 409
    other = _log(supervised, users, log_data)
    assert client.delete(f"/api/v1/mentoring/logs/{other.id}", headers=api("fangxing-mgr")).status_code == 403
    assert client.delete(f"/api/v1/mentoring/logs/{other.id}", headers=api("expert-li")).status_code == 204
    assert [e.action for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "mentoring.withdraw"))] == ["mentoring.withdraw"] * 2


def test_assignment_lists_per_role(supervised, make_org, users, client, api):
    other = make_org(park="changqing", stage="incubating", name="常青组织")
    assigning.assign(other, users["expert-zhou"], date.today(), None, user=users["changqing-mgr"])
    names = lambda who, q="": [a["organization"] for a in client.get(
        f"/api/v1/mentoring/assignments{q}", headers=api(who)).get_json()["items"]]
    assert names("expert-li") == ["方兴邻里互助会"]
    assert names("fangxing-mgr") == ["方兴邻里互助会"]
    assert sorted(names("admin", "?active=true")) == sorted(["方兴邻里互助会", "常青组织"])
    assert client.get("/api/v1/mentoring/assignments", headers=api("trainee-chen")).status_code == 403


def test_hours_report_counts_a_confirmed_amendment_instead_of_the_original(supervised, users, log_data):
    original = _log(supervised, users, log_data, hours="2")
    services.confirm(original, user=users["trainee-wang"])
    amendment = services.create_log(supervised, log_data(held_on=original.held_on, hours="3"),
                                    user=users["expert-li"], amends=original)
    month = original.held_on
    report = reporting.hours_report(park_ids=None, year=month.year, month=month.month)
    assert (report["by_expert"][0]["confirmed_hours"], report["by_expert"][0]["unconfirmed_hours"]) == (2.0, 3.0)
    services.confirm(amendment, user=users["trainee-wang"])
    report = reporting.hours_report(park_ids=None, year=month.year, month=month.month)
    assert (report["by_expert"][0]["sessions"], report["by_expert"][0]["confirmed_hours"]) == (1, 3.0)
