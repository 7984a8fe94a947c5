"""公益微创投 for a person at a browser: every form can be sent, money steps ask first, tables fold
into cards on a phone, and an organization's contact applies for their own organization only."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from incubator.dates import show_date, today
from incubator.errors import Conflict
from incubator.extensions import db
from incubator.plugins import hooks_for, set_enablement
from incubator.testing import Page
from plugins.microgrant import services
from plugins.microgrant.models import Application, Round


def page_of(client, url) -> Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return Page(response.get_data(as_text=True))


# -- forms that can be sent ----------------------------------------------------------------------

def test_the_round_forms_have_a_submit_button(login_as, client, make_round, make_application):
    rnd = make_round()
    application = make_application(rnd)
    login_as("wannianbu-mgr")
    for url in ("/microgrant/rounds/new", f"/microgrant/rounds/{rnd.id}/edit", f"/microgrant/rounds/{rnd.id}",
                f"/microgrant/rounds/{rnd.id}/apply", f"/microgrant/applications/{application.id}"):
        page = page_of(client, url)
        assert page.forms, url
        assert [f["action"] for f in page.forms if not f["submit"]] == [], url
    assert page_of(client, "/microgrant/rounds/new").forms[-1]["submit"] == [""]  # a <button>开设本轮</button>
    assert "开设本轮" in client.get("/microgrant/rounds/new").get_data(as_text=True)
    assert "保存修改" in client.get(f"/microgrant/rounds/{rnd.id}/edit").get_data(as_text=True)


def test_manager_opens_a_round_with_its_experts_ticked(login_as, client, users):
    login_as("wannianbu-mgr")
    page = page_of(client, "/microgrant/rounds/new")
    assert "experts" in page.forms[-1]["fields"] and 'value="expert-li"' in page.html
    d = lambda days: (today() + timedelta(days=days)).isoformat()  # noqa: E731
    response = client.post("/microgrant/rounds/new", data={
        "park": "wannianbu", "title": "2027年公益微创投", "year": 2027, "budget": "300000", "max_grant": "30000",
        "categories": "便民服务\n为老服务", "criteria": "需求明确 40\n方案可行 60", "tranche_percents": "60,40",
        "apply_from": d(0), "apply_until": d(10), "review_from": d(11), "review_until": d(20),
        "execute_from": d(21), "execute_until": d(300), "experts": ["expert-li"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    rnd = db.session.scalar(select(Round).where(Round.title == "2027年公益微创投"))
    assert [u.username for u in rnd.experts] == ["expert-li"]
    edit = page_of(client, f"/microgrant/rounds/{rnd.id}/edit")
    assert re.search(r'<input checked[^>]*value="expert-li"', edit.html)
    assert not re.search(r'<input checked[^>]*value="expert-zhou"', edit.html)


# -- steps that cannot be undone ask first -------------------------------------------------------

def test_deciding_and_paying_ask_for_confirmation_and_nothing_is_preselected(login_as, client, make_round,
                                                                             make_application, mgr):
    rnd = make_round()
    submitted, approved = make_application(rnd), make_application(rnd)
    services.decide(approved, True, 1_000_000, "", user=mgr)
    login_as("wannianbu-mgr")
    decision = page_of(client, f"/microgrant/applications/{submitted.id}").form("/decision")
    options = {o["value"]: o for o in decision["options"]}
    assert "立项" in options["1"]["confirm"] and "不能撤销" in options["1"]["confirm"]
    assert "不予立项" in options["0"]["confirm"]
    assert options[""]["selected"] and not options["1"]["selected"] and not options["0"]["selected"]
    pay = page_of(client, f"/microgrant/applications/{approved.id}").form("/tranches/1/pay")
    assert "第1期" in pay["confirm"] and "¥6,000.00" in pay["confirm"] and "不能撤销" in pay["confirm"]


def test_a_decision_without_a_choice_is_refused_with_a_message(login_as, client, make_round, make_application):
    application = make_application(make_round())
    login_as("wannianbu-mgr")
    page = client.post(f"/microgrant/applications/{application.id}/decision", data={"approve": "", "amount": "100"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请选择立项资助或不予立项" in page
    db.session.refresh(application)
    assert application.status == "submitted"


def test_the_mid_term_review_asks_first_because_failing_it_ends_the_funding(login_as, client, make_round,
                                                                           make_application, mgr):
    application = make_application(make_round())
    services.decide(application, True, 1_000_000, "", user=mgr)
    services.pay(application, 1, user=mgr)
    login_as("wannianbu-mgr")
    review = page_of(client, f"/microgrant/applications/{application.id}").form("/review")
    assert "终止资助" in review["confirm"] and "第2期" in review["confirm"]


# -- phones, dates, money ------------------------------------------------------------------------

def test_the_micro_grant_tables_fold_into_cards_on_a_phone(login_as, client, make_round, make_application, mgr):
    rnd = make_round()
    application = make_application(rnd)
    services.decide(application, True, 1_000_000, "", user=mgr)
    login_as("wannianbu-mgr")
    for url in ("/microgrant/", f"/microgrant/rounds/{rnd.id}", f"/microgrant/applications/{application.id}",
                f"/microgrant/rounds/{rnd.id}/report", f"/microgrant/rounds/{rnd.id}/apply"):
        page = page_of(client, url)
        assert page.tables, url
        for table in page.tables:
            if "table-stack" in table["class"]:
                # each cell names its column (a row may keep one unnamed cell: its button, a note)
                assert table["labelled"] >= table["cells"] - table["rows"], (url, table)
            else:
                assert "w-auto" in table["class"], (url, table)


def test_round_dates_and_refusals_read_the_chinese_way(login_as, client, make_round, users, make_org):
    rnd = make_round()
    login_as("wannianbu-mgr")
    page = client.get(f"/microgrant/rounds/{rnd.id}").get_data(as_text=True)
    assert show_date(rnd.apply_from) in page and show_date(rnd.review_until) in page
    assert rnd.apply_from.isoformat() not in page
    late = make_round(title="已截止的一轮", apply_from=today() - timedelta(days=30),
                      apply_until=today() - timedelta(days=5), review_from=today() - timedelta(days=4))
    with pytest.raises(Conflict) as refusal:
        services.submit(late, make_org(park="wannianbu"), {"title": "x", "category": "便民服务", "goals": "x",
                                                           "lines": [("物料", 100)]}, user=users["wannianbu-mgr"])
    assert show_date(late.apply_until) in refusal.value.message
    assert late.apply_until.isoformat() not in refusal.value.message


# -- an organization's contact -------------------------------------------------------------------

def _contact(users, org, username="trainee-chen"):
    users[username].organization_id = org.id
    db.session.commit()
    return users[username]


def test_a_contact_applies_for_their_own_organization_without_choosing(login_as, client, users, make_org, make_round):
    rnd = make_round()
    mine, other = make_org(park="wannianbu", name="滨湖邻里互助会"), make_org(park="wannianbu", name="别家协会")
    _contact(users, mine)
    login_as("trainee-chen")
    page = page_of(client, f"/microgrant/rounds/{rnd.id}/apply")
    assert "organization_id" not in page.forms[-1]["fields"] and "滨湖邻里互助会" in page.html
    assert "别家协会" not in page.html
    response = client.post(f"/microgrant/rounds/{rnd.id}/apply", data={
        "organization_id": other.id, "title": "楼道议事会", "category": "便民服务", "goals": "邻里议事",
        "lines-0-item": "物料", "lines-0-amount": "2000"})
    assert response.status_code == 302, response.get_data(as_text=True)
    application = db.session.scalar(select(Application).where(Application.title == "楼道议事会"))
    assert application.organization_id == mine.id  # never the organization sent in the form


def test_a_contact_sees_their_applications_and_their_status(login_as, client, users, make_org, make_round,
                                                            make_application, mgr):
    rnd = make_round()
    mine = make_org(park="wannianbu", name="滨湖邻里互助会")
    application = make_application(rnd, org=mine, title="银龄互助")
    services.decide(application, True, 1_000_000, "", user=mgr)
    services.pay(application, 1, user=mgr)
    make_application(rnd, title="别家的项目")
    _contact(users, mine)
    login_as("trainee-chen")
    index = client.get("/microgrant/").get_data(as_text=True)
    assert "滨湖邻里互助会的申报项目" in index and "银龄互助" in index and "已立项" in index
    assert "¥6,000.00" in index and "别家的项目" not in index
    round_page = client.get(f"/microgrant/rounds/{rnd.id}").get_data(as_text=True)
    assert "我的申报：银龄互助（已立项）" in round_page and "别家的项目" not in round_page
    again = client.get(f"/microgrant/rounds/{rnd.id}/apply")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/applications/{application.id}")
    detail = client.get(f"/microgrant/applications/{application.id}").get_data(as_text=True)
    assert "已拨付" in detail and "/pay" not in detail and "/decision" not in detail


def test_the_organization_panel_shows_its_projects_to_its_contact_and_to_no_stranger(users, make_org, make_round,
                                                                                     make_application, mgr, parks):
    rnd = make_round()
    mine, other = make_org(park="wannianbu"), make_org(park="wannianbu")
    application = make_application(rnd, org=mine, title="便民维修站")
    services.decide(application, True, 1_000_000, "", user=mgr)
    contact = _contact(users, mine)
    stranger = _contact(users, other, "trainee-wang")

    def panels(org, user):
        return [p for answer in hooks_for([org.park_id]).incubator_org_panels(org=org, user=user) if answer
                for p in answer if p.title == "公益微创投项目"]
    shown = panels(mine, contact)
    assert shown and "便民维修站" in shown[0].html and "已立项" in shown[0].html and "¥10,000.00" in shown[0].html
    assert f"/microgrant/applications/{application.id}" in shown[0].html
    assert panels(mine, stranger) == []
    assert panels(mine, users["changqing-mgr"]) == []
    assert panels(mine, users["wannianbu-mgr"])  # the park's manager sees them too
    set_enablement("microgrant", "parks", [parks["fangxing"]])
    db.session.commit()
    assert panels(mine, contact) == []
