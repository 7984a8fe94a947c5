"""A park manager's pages: the organization list (search, filters, pages), registering and editing an
organization, its page with the timeline, and the dashboard — dates and numbers in Chinese."""
from datetime import date, timedelta

import pytest

from incubator.audit.models import AuditEntry
from incubator.extensions import db
from incubator.organizations import services
from incubator.organizations.models import Organization, Transition
from incubator.validators import make_uscc

from .helpers import count_rows, page_text

USCC = make_uscc("52340111MJ0000025")


def org_form(parks, park="fangxing", **fields):
    data = {"name": "方兴青少年成长服务社", "category": "社工服务类", "registration_status": "registered",
            "contact_name": "陈晨", "contact_phone": "0551-63571234", "service_area": "方兴社区",
            "park": parks[park].id, "uscc": USCC, "founded_on": "2021-03-15"}
    data.update(fields)
    return data


# -- the list ---------------------------------------------------------------------------------------

@pytest.fixture
def listed(make_org):
    return {
        "bhsg": make_org(park="fangxing", stage="incubating", name="包河社工服务中心", uscc=USCC),
        "old": make_org(park="fangxing", stage="virtual", name="方兴为老服务社", category="社区社会组织",
                        incubation_start=date(2023, 1, 5), incubation_due=date(2025, 1, 5)),
        "new": make_org(park="fangxing", stage="applied", name="方兴亲子文化协会", category="文体类"),
    }


@pytest.mark.parametrize("query, expected", [
    ("", {"bhsg", "old", "new"}), ("q=bhsg", {"bhsg"}), ("q=包河社工", {"bhsg"}), (f"q={USCC}", {"bhsg"}),
    ("q=fx", {"old", "new"}), ("stage=applied", {"new"}), ("category=文体类", {"new"}), ("overdue=1", {"old"}),
    ("q=nothing-like-this", set()),
])
def test_manager_searches_and_filters_the_list(query, expected, listed, client, login_as):
    login_as("fangxing-mgr")
    response = client.get(f"/orgs?{query}")
    assert response.status_code == 200
    html = page_text(response)
    shown = {key for key, org in listed.items() if f'href="/orgs/{org.id}"' in html}
    assert shown == expected
    if not expected:
        assert "没有符合条件的组织" in html


def test_the_list_is_paginated(make_org, client, login_as):
    for n in range(23):
        make_org(park="fangxing", name=f"分页组织{n:02d}")
    login_as("fangxing-mgr")
    first = page_text(client.get("/orgs"))
    assert "分页组织22" in first and "分页组织03" in first and "分页组织02" not in first
    assert "共 23 条" in first and "page=2" in first
    second = page_text(client.get("/orgs?page=2"))
    assert "分页组织02" in second and "分页组织00" in second and "分页组织22" not in second
    assert client.get("/orgs?page=99").status_code == 200


def test_overdue_organizations_are_marked_in_the_list(listed, client, login_as):
    login_as("fangxing-mgr")
    html = page_text(client.get("/orgs?overdue=1"))
    assert "text-danger fw-bold" in html and "2025年1月5日" in html


def test_odd_list_parameters_do_not_break_the_page(listed, client, login_as):
    login_as("fangxing-mgr")
    for query in ("park=abc", "park=99999999999999999999", "page=abc", "page=-1", "stage=hatched", "q=%25%25",
                  "q=%00", "per_page=100000"):
        # An id past the database's integer is a bad request; anything else is read leniently.
        assert client.get(f"/orgs?{query}").status_code == (400 if query == "park=99999999999999999999" else 200), query


# -- registering and editing -------------------------------------------------------------------------

def test_manager_registers_an_organization_in_their_park(parks, client, login_as):
    login_as("fangxing-mgr")
    response = client.post("/orgs/new", data=org_form(parks))
    assert response.status_code == 302
    org = Organization.query.one()
    assert response.location.endswith(f"/orgs/{org.id}")
    assert (org.stage, org.park.code, org.uscc, org.founded_on) == ("applied", "fangxing", USCC, date(2021, 3, 15))
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "已登记：方兴青少年成长服务社" in html
    assert "2021年3月15日" in html  # dates in Chinese
    entry = AuditEntry.query.filter_by(action="org.create").one()
    assert entry.user.username == "fangxing-mgr"


@pytest.mark.parametrize("field, value, message", [
    ("uscc", USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "统一社会信用代码校验位不正确"),
    ("contact_phone", "119", "请填写有效的手机号或固定电话"),
    ("name", "", "该字段是必填字段"),
    ("founded_on", (date.today() + timedelta(days=3)).isoformat(), "成立日期不能晚于今天"),
])
def test_a_bad_registration_is_explained_and_writes_nothing(field, value, message, parks, client, login_as):
    login_as("fangxing-mgr")
    before = count_rows(AuditEntry)
    response = client.post("/orgs/new", data=org_form(parks, **{field: value}))
    assert response.status_code == 200  # the form again, with the reason beside the field
    assert message in page_text(response)
    assert count_rows(Organization) == 0 and count_rows(Transition) == 0 and count_rows(AuditEntry) == before


def test_a_duplicate_uscc_is_explained_and_writes_nothing(parks, make_org, client, login_as):
    make_org(park="changqing", uscc=USCC)
    login_as("fangxing-mgr")
    before = count_rows(Organization), count_rows(Transition), count_rows(AuditEntry)
    response = client.post("/orgs/new", data=org_form(parks))
    assert "该统一社会信用代码已被其他组织使用" in page_text(response)
    assert (count_rows(Organization), count_rows(Transition), count_rows(AuditEntry)) == before


def test_manager_edits_an_organization(parks, make_org, client, login_as):
    org = make_org(park="fangxing", name="旧名字")
    login_as("fangxing-mgr")
    form = page_text(client.get(f"/orgs/{org.id}/edit"))
    assert 'value="旧名字"' in form
    response = client.post(f"/orgs/{org.id}/edit", data=org_form(parks, name="包河社工服务中心"))
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Organization, org.id)
    assert (edited.name, edited.name_initials, edited.uscc) == ("包河社工服务中心", "bhsgfwzx", USCC)
    entry = AuditEntry.query.filter_by(action="org.edit").one()
    assert "name" in entry.details["changed"] and "uscc" in entry.details["changed"]


def test_editing_cannot_move_an_organization_to_another_park(parks, make_org, client, login_as):
    org = make_org(park="fangxing")
    login_as("admin")
    client.post(f"/orgs/{org.id}/edit", data=org_form(parks, park="changqing"))
    db.session.expire_all()
    assert db.session.get(Organization, org.id).park.code == "fangxing"


def test_editing_to_a_taken_uscc_is_refused(parks, make_org, client, login_as):
    make_org(park="changqing", uscc=USCC)
    org = make_org(park="fangxing", name="另一个组织")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/edit", data=org_form(parks))
    assert "该统一社会信用代码已被其他组织使用" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).uscc is None


# -- the organization page ---------------------------------------------------------------------------

def test_the_organization_page_tells_its_story(make_org, users, parks, client, login_as):
    org = make_org(park="fangxing", stage="reviewing", name="方兴邻里互助会", description="第一行\n第二行")
    services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过，准予入园")
    services.renew(org, org.incubation_due + timedelta(days=365), "承接项目未结项", user=users["fangxing-mgr"])
    services.transfer(org, parks["district"], "升入区级园", user=users["admin"])
    login_as("admin")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "方兴邻里互助会" in html and "入园孵化" in html and "包河区社会组织创新园" in html
    assert "评审通过，准予入园" in html and "承接项目未结项" in html and "升入区级园" in html
    assert "方兴社区管理员" in html and "区民政局管理员" in html  # who did what
    # Newest first: the transfer, then the renewal, then the admission, then the application.
    assert html.index("升入区级园") < html.index("承接项目未结项") < html.index("评审通过") < html.index(">test<")
    start, due = org.incubation_start, org.incubation_due
    assert f"{start.year}年{start.month}月{start.day}日" in html and f"{due.year}年{due.month}月{due.day}日" in html


def test_an_overdue_organization_is_flagged_on_its_page(make_org, client, login_as):
    org = make_org(park="fangxing", stage="incubating", incubation_start=date(2022, 3, 1),
                   incubation_due=date(2024, 3, 1))
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "孵化已于 2024年3月1日 到期" in html


def test_a_finished_organization_offers_no_actions(make_org, client, login_as):
    org = make_org(park="fangxing", stage="graduated")
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert f"/orgs/{org.id}/move" not in html and f"/orgs/{org.id}/renew" not in html
    assert f"/orgs/{org.id}/transfer" not in html


# -- the dashboard -----------------------------------------------------------------------------------

def test_the_dashboard_counts_stages_and_flags_overdue_organizations(make_org, users, client, login_as):
    for stage in ("applied", "applied", "reviewing", "incubating"):
        make_org(park="fangxing", stage=stage)
    late = make_org(park="fangxing", stage="incubating", name="逾期的服务社", incubation_start=date(2022, 1, 10),
                    incubation_due=date(2024, 1, 10))
    make_org(park="changqing", stage="applied", name="别的园区的组织")
    login_as("fangxing-mgr")
    html = page_text(client.get("/dashboard"))
    assert "逾期的服务社" in html and "2024年1月10日" in html
    assert "别的园区的组织" not in html
    assert f'href="/orgs/{late.id}"' in html


def test_numbers_are_grouped_the_chinese_way(client, network):
    assert "8,000" in page_text(client.get("/parks"))


def test_times_are_shown_in_beijing_time_and_follow_the_language(make_org, client, login_as):
    from datetime import datetime
    org = make_org(park="fangxing", stage="applied", founded_on=date(2021, 3, 15))
    Transition.query.filter_by(organization_id=org.id).one().created_at = datetime(2025, 12, 31, 18, 30)  # UTC
    db.session.commit()
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "2026年1月1日 02:30" in html and "2021年3月15日" in html
    client.get("/lang/en")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "Mar 15, 2021" in html and "Jan 1, 2026 02:30" in html


ODD_QUERIES = ["?page=abc", "?page=0", "?page=-5", "?page=99999999999999999999", "?park=abc",
               "?park=99999999999999999999", "?park=nowhere", "?q=%00", "?q=%25_%5C", "?stage=x", "?overdue=x",
               "?per_page=-1", "?role=x", "?action=%00", "?user=%00", "?object_type=x"]
CORE_BLUEPRINTS = {"public", "auth", "dashboard", "organizations", "admin", "api_auth", "api_parks",
                   "api_organizations", "api-docs"}


def test_no_core_page_or_endpoint_answers_500_to_odd_parameters(app, make_org, users, client, login_as, api):
    import re
    org = make_org(park="fangxing", stage="incubating")
    values = {"org_id": org.id, "code": "fangxing", "name": "checklist", "user_id": users["admin"].id,
              "park_id": org.park_id}
    login_as("admin")
    headers = api("admin")
    failures, visited = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.split(".")[0] not in CORE_BLUEPRINTS:
            continue
        visited += 1
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)
        for query in [""] + ODD_QUERIES:
            response = client.get(url + query, headers=headers if url.startswith("/api/") else {})
            if response.status_code >= 500:
                failures.append((url + query, response.status_code))
    assert visited >= 20 and failures == []


ODD_FORMS = [
    {}, {"park": "abc"}, {"park": "99999999999999999999"}, {"parks": ["99999999999999999999"], "scope": "parks"},
    {"area_m2": "99999999999999999999", "code": "x-y", "name": "n", "level": "street", "parent_id": "0"},
    {"move-to_stage": "x" * 5000, "move-note": "x"}, {"renew-new_due": "9999-12-31", "renew-reason": "r"},
    {"renew-new_due": "0001-01-01", "renew-reason": "r"}, {"renew-new_due": "2025-02-30", "renew-reason": "r"},
    {"transfer-park": "99999999999999999999"},
    {"name": "包河\x01", "category": "其他", "contact_name": "a", "contact_phone": "13912345678", "park": "1",
     "founded_on": "0001-01-01"},
    {"username": "abc", "role": "manager", "parks": ["99999999999999999999"], "password": "long-password"},
]


def test_no_core_form_answers_500_to_odd_input(app, make_org, users, client, login_as):
    import re
    org = make_org(park="fangxing", stage="incubating")
    values = {"org_id": org.id, "code": "fangxing", "name": "checklist", "user_id": users["trainee-chen"].id,
              "park_id": org.park_id}
    login_as("admin")
    failures, visited = [], 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.split(".")[0] not in CORE_BLUEPRINTS - {"api_auth",
                                                                                             "api_organizations"}:
            continue
        if rule.endpoint in ("auth.logout", "auth.login"):
            continue
        visited += 1
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)
        for form in ODD_FORMS:
            response = client.post(url, data=form)
            if response.status_code >= 500:
                failures.append((url, form, response.status_code))
    assert visited >= 10 and failures == []


# -- confirmations and landing after a transfer (issue 19) --------------------------------------------

IRREVERSIBLE = {"graduated", "exited", "rejected", "withdrawn"}


def _select(html, name):
    import re
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select {name}"
    return found.group(0), re.findall(r"<option[^>]*>", found.group(1))


@pytest.mark.parametrize("stage", ["applied", "reviewing", "incubating", "virtual"])
def test_the_stage_select_preselects_nothing_and_irreversible_moves_ask_first(stage, make_org, client, login_as):
    org = make_org(park="fangxing", stage=stage, name="方兴邻里互助会")
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    select, options = _select(html, "move-to_stage")
    assert "required" in select
    assert options[0] == '<option value="">' and "请选择……" in html
    assert not any("selected" in option for option in options)
    for to_stage in services.allowed_moves(org):
        option = next(o for o in options if f'value="{to_stage}"' in o)
        asks = "data-confirm=" in option
        first_admission = to_stage == "incubating" and org.incubation_start is None
        assert asks == (to_stage in IRREVERSIBLE or first_admission), to_stage
        if asks:
            assert "方兴邻里互助会" in option and "吗？" in option
    if "graduated" in services.allowed_moves(org):
        assert "出壳即孵化结束，之后不能再变更阶段、续驻或转园。" in html
    if stage == "reviewing":
        assert "不能恢复" in html and "孵化期从今天开始" in html


def test_a_refused_move_shows_the_select_without_a_preselected_stage(make_org, client, login_as):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": ""})
    assert response.status_code == 422
    _select_html, options = _select(page_text(response), "move-to_stage")
    assert not any("selected" in option for option in options)


def test_a_move_without_a_chosen_stage_is_named(make_org, client, login_as):
    org = make_org(park="fangxing", stage="applied")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "", "move-note": "评审"})
    assert response.status_code == 422 and "请选择要变更的阶段" in page_text(response)
    assert "Not a valid choice" not in page_text(response)


def test_transfer_and_renewal_ask_first(make_org, client, login_as):
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    select, options = _select(html, "transfer-park")
    assert "required" in select and options[0] == '<option value="">'
    assert not any("selected" in option for option in options)
    assert all("data-confirm=" in option for option in options[1:]) and len(options) == 9
    assert "确定将“方兴邻里互助会”从方兴社区社会组织孵化基地转入包河区社会组织创新园吗？" in html
    assert "你将不能再查看或管理该组织。" in html  # fangxing-mgr manages no other park
    renew = html[html.index('class="renew-form"') - 200:html.index('class="renew-form"') + 400]
    assert 'data-confirm="确定为“方兴邻里互助会”续驻吗？' in renew


def test_a_transfer_without_a_chosen_park_is_named(make_org, client, login_as):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/transfer", data={"transfer-park": "", "transfer-note": ""})
    assert response.status_code == 422 and "请选择转入的园区" in page_text(response)


def test_after_a_transfer_away_the_manager_lands_on_their_list_with_a_message(make_org, parks, client, login_as):
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/transfer", data={"transfer-park": parks["district"].id,
                                                             "transfer-note": "升入区级园"}, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/orgs"
    assert "已将“方兴邻里互助会”转入包河区社会组织创新园，今后由该园区管理。" in page_text(response)


def test_a_manager_of_both_parks_and_the_administrator_stay_on_the_organization_page(make_org, parks, client,
                                                                                     login_as):
    org = make_org(park="wannianbu", stage="incubating", name="万年埠睦邻服务社")
    login_as("wannianbu-mgr")
    response = client.post(f"/orgs/{org.id}/transfer", data={"transfer-park": parks["yunhua"].id},
                           follow_redirects=True)
    assert response.request.path == f"/orgs/{org.id}" and "已将“万年埠睦邻服务社”转入云华社区" in page_text(response)
    login_as("admin")
    response = client.post(f"/orgs/{org.id}/transfer", data={"transfer-park": parks["district"].id},
                           follow_redirects=True)
    assert response.request.path == f"/orgs/{org.id}"
    assert "已将“万年埠睦邻服务社”转入包河区社会组织创新园。" in page_text(response)


def test_the_organization_page_shows_no_template_syntax(make_org, client, login_as):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "{{" not in html and "{%" not in html
    assert 'placeholder="备注"' in html


def test_the_list_becomes_cards_on_a_phone(listed, client, login_as):
    login_as("fangxing-mgr")
    html = page_text(client.get("/orgs"))
    assert "table-stack" in html
    for label in ("统一社会信用代码", "类别", "园区", "阶段", "孵化到期"):
        assert f'data-label="{label}"' in html


def test_hours_and_money_are_shown_by_babel_in_the_visitors_language(app):
    from incubator.numbers import show_hours, show_yuan
    with app.test_request_context("/"):
        assert (show_hours("12.0"), show_hours("1.50"), show_hours(None)) == ("12", "1.5", "")
        assert (show_yuan(150_000_000), show_yuan(-150), show_yuan(None)) == ("¥1,500,000.00", "-¥1.50", "")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from flask import session
        session["lang"] = "en"
        assert show_yuan(5) == "CN¥0.05"
