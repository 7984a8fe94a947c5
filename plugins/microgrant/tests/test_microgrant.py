"""公益微创投: opening a round, applying, scoring, deciding within the budget, tranches, reports."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from incubator.dates import today
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.numbers import show_yuan
from incubator.plugins import set_enablement
from incubator.stamps import data_changed
from plugins.microgrant import services
from plugins.microgrant.models import Application, Round

TODAY = today()


def test_money_is_fen_and_shown_with_thousands_separators(ctx):
    assert services.to_fen("1500000") == 150_000_000
    assert services.to_fen("¥1,234.565") == 123_457
    assert show_yuan(150_000_000) == "¥1,500,000.00"
    assert show_yuan(5) == "¥0.05"
    with pytest.raises(ValueError):
        services.to_fen("一百")


# -- opening a round -----------------------------------------------------------------------------

def test_manager_opens_a_round_on_the_page(login_as, client):
    login_as("wannianbu-mgr")
    d = lambda days: (TODAY + timedelta(days=days)).isoformat()  # noqa: E731
    response = client.post("/microgrant/rounds/new", data={
        "park": "wannianbu", "title": "2027年公益微创投", "year": 2027, "budget": "1500000", "max_grant": "50000",
        "categories": "便民服务\n文明养犬\n社区公约\n居民骨干培育", "criteria": "需求明确 40\n方案可行 60",
        "tranche_percents": "50,30,20", "apply_from": d(0), "apply_until": d(10), "review_from": d(11),
        "review_until": d(20), "execute_from": d(21), "execute_until": d(300), "description": "**重点**支持"})
    assert response.status_code == 302, response.get_data(as_text=True)
    rnd = db.session.scalar(select(Round))
    assert rnd.budget_fen == 150_000_000 and rnd.tranche_percents == [50, 30, 20]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "¥1,500,000.00" in page and "居民骨干培育" in page and "<strong>重点</strong>" in page


@pytest.mark.parametrize("overrides, field", [
    ({"budget_fen": 0}, "budget_fen"),
    ({"max_grant_fen": 200_000_000}, "max_grant_fen"),
    ({"review_from": TODAY - timedelta(days=30)}, "apply_until"),
    ({"categories": []}, "categories"),
    ({"tranche_percents": [60, 30]}, "tranche_percents"),
    ({"criteria": [{"name": "需求", "max": 0}]}, "criteria"),
])
def test_a_round_with_inconsistent_settings_is_refused(wannianbu, mgr, round_data, overrides, field):
    with pytest.raises(ValidationError) as error:
        services.create_round(wannianbu, round_data(**overrides), user=mgr)
    assert error.value.field == field


def test_api_opens_a_round_and_refuses_bad_dates_with_422(client, api, round_data):
    headers = api("wannianbu-mgr")
    body = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in round_data().items()}
    body["park"] = "wannianbu"
    response = client.post("/api/v1/microgrant/rounds", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["remaining_fen"] == 150_000_000
    body["execute_until"] = "2000-01-01"
    assert client.post("/api/v1/microgrant/rounds", headers=headers, json=body).status_code == 422


# -- applying ------------------------------------------------------------------------------------

def test_an_organization_applies_with_budget_lines(make_round, make_application):
    rnd = make_round()
    application = make_application(rnd, lines=[("场地", 300_000), ("物料", 200_050)])
    assert application.requested_fen == 500_050 and application.status == "submitted"
    assert [line.item for line in application.lines] == ["场地", "物料"]


def test_organizations_of_the_streets_communities_may_apply_but_not_others(make_round, make_application, make_org):
    rnd = make_round()
    make_application(rnd, org=make_org(park="yunhua"))  # 云华社区 lies under 万年埠街道
    with pytest.raises(ValidationError, match="本园区"):
        make_application(rnd, org=make_org(park="changqing"))


def test_applying_is_refused_outside_the_dates_over_the_limit_or_twice(make_round, make_application, make_org,
                                                                       round_data, wannianbu, mgr):
    closed = services.create_round(wannianbu, round_data(apply_from=TODAY - timedelta(days=9),
                                                         apply_until=TODAY - timedelta(days=1)), user=mgr)
    with pytest.raises(Conflict, match="申报期"):
        make_application(closed)
    rnd = make_round()
    with pytest.raises(ValidationError, match="资助上限"):
        make_application(rnd, lines=[("大项", 5_000_001)])
    with pytest.raises(ValidationError, match="类别"):
        make_application(rnd, category="文艺汇演")
    org = make_org(park="wannianbu")
    make_application(rnd, org=org)
    with pytest.raises(Conflict, match="已在本轮申报"):
        make_application(rnd, org=org)


def test_a_user_of_the_organization_applies_on_the_page(login_as, client, users, make_org, make_round):
    rnd = make_round()
    org = make_org(park="wanci", name="万慈邻里互助会")
    users["trainee-chen"].organization_id = org.id
    db.session.commit()
    login_as("trainee-chen")
    assert "公益微创投" in client.get("/parks").get_data(as_text=True)
    response = client.post(f"/microgrant/rounds/{rnd.id}/apply", data={
        "organization_id": org.id, "title": "楼道文明养犬公约", "category": "文明养犬", "goals": "减少扰民",
        "beneficiaries": "万慈社区居民", "beneficiary_count": 500,
        "lines-0-item": "宣传物料", "lines-0-amount": "3000", "lines-1-item": "议事会", "lines-1-amount": "1500.50"})
    assert response.status_code == 302, response.get_data(as_text=True)
    application = db.session.scalar(select(Application))
    assert application.requested_fen == 450_050 and application.submitted_by_id == users["trainee-chen"].id
    assert client.get(f"/microgrant/applications/{application.id}").status_code == 200


def test_a_user_cannot_apply_for_another_organization_through_the_api(client, api, users, make_org, make_round):
    rnd = make_round()
    mine, other = make_org(park="wannianbu"), make_org(park="wannianbu")
    users["trainee-chen"].organization_id = mine.id
    db.session.commit()
    body = {"organization_id": other.id, "title": "代申报", "category": "便民服务", "goals": "x",
            "lines": [{"item": "物料", "amount_fen": 10000}]}
    headers = api("trainee-chen")
    assert client.post(f"/api/v1/microgrant/rounds/{rnd.id}/applications", headers=headers, json=body).status_code == 403
    body["organization_id"] = mine.id
    assert client.post(f"/api/v1/microgrant/rounds/{rnd.id}/applications", headers=headers, json=body).status_code == 201


# -- scoring -------------------------------------------------------------------------------------

def test_assigned_experts_score_against_the_criteria(make_round, make_application, users):
    rnd = make_round(experts=("expert-li",))
    application = make_application(rnd)
    score = services.score(application, users["expert-li"], {"需求明确": 35, "方案可行": 50}, "可行")
    assert score.total == 85
    services.score(application, users["expert-li"], {"需求明确": 30, "方案可行": 50})  # revised, not added
    db.session.refresh(application)
    assert [s.total for s in application.scores] == [80]
    with pytest.raises(ValidationError, match="0到60"):
        services.score(application, users["expert-li"], {"需求明确": 30, "方案可行": 61})
    with pytest.raises(Conflict, match="不是本轮的评审专家"):
        services.score(application, users["expert-zhou"], {"需求明确": 30, "方案可行": 50})


def test_scoring_waits_for_the_review_period(make_round, make_application, users):
    rnd = make_round()
    application = make_application(rnd)
    with pytest.raises(Conflict, match="评审期"):
        services.score(application, users["expert-li"], {"需求明确": 1, "方案可行": 1}, day=TODAY - timedelta(days=1))


def test_expert_scores_on_the_page_and_only_assigned_experts_may(login_as, client, make_round, make_application):
    rnd = make_round(experts=("expert-li",))
    application = make_application(rnd)
    login_as("expert-zhou")
    assert client.get(f"/microgrant/applications/{application.id}").status_code == 403
    assert client.post(f"/microgrant/applications/{application.id}/score",
                       data={"mark_0": 10, "mark_1": 10}).status_code == 403
    login_as("expert-li")
    assert "公益微创投" in client.get("/parks").get_data(as_text=True)
    response = client.post(f"/microgrant/applications/{application.id}/score", data={"mark_0": 38, "mark_1": 55})
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.average_score == 93.0


# -- deciding within the budget ------------------------------------------------------------------

def test_grants_never_exceed_the_rounds_budget(make_round, make_application, mgr):
    rnd = make_round(budget_fen=5_000_000, max_grant_fen=3_000_000)
    first = make_application(rnd, lines=[("a", 3_000_000)])
    second = make_application(rnd, lines=[("b", 2_500_000)])
    services.decide(first, True, 3_000_000, "通过", user=mgr)
    with pytest.raises(Conflict, match="超出本轮预算") as error:
        services.decide(second, True, 2_500_000, "通过", user=mgr)
    assert "剩余 ¥20,000.00" in error.value.message
    services.decide(second, True, 2_000_000, "核减后通过", user=mgr)
    db.session.refresh(rnd)
    assert rnd.committed_fen == rnd.budget_fen == 5_000_000


def test_the_database_refuses_a_committed_sum_over_budget(make_round):
    rnd = make_round(budget_fen=1_000_000, max_grant_fen=1_000_000)
    rnd.committed_fen = 1_000_001
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_grant_is_within_the_request_and_the_per_project_limit_and_decided_once(make_round, make_application, mgr):
    rnd = make_round()
    application = make_application(rnd)
    with pytest.raises(ValidationError, match="申请金额"):
        services.decide(application, True, application.requested_fen + 1, "", user=mgr)
    services.decide(application, False, None, "与本轮方向不符", user=mgr)
    with pytest.raises(Conflict, match="不能重复决定"):
        services.decide(application, True, 100, "", user=mgr)


def test_api_refuses_a_grant_over_budget_with_a_clear_409(client, api, make_round, make_application):
    rnd = make_round(budget_fen=3_000_000, max_grant_fen=2_000_000)
    first, second = make_application(rnd), make_application(rnd)
    headers = api("wannianbu-mgr")
    ok = client.post(f"/api/v1/microgrant/applications/{first.id}/decision", headers=headers,
                     json={"approve": True, "amount_fen": 2_000_000})
    assert ok.status_code == 201 and [t["amount_fen"] for t in ok.get_json()["tranches"]] == [1_200_000, 800_000]
    refused = client.post(f"/api/v1/microgrant/applications/{second.id}/decision", headers=headers,
                          json={"approve": True, "amount_fen": 1_500_000})
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["message"].startswith("超出本轮预算")


def test_the_decision_page_flashes_the_budget_refusal(login_as, client, make_round, make_application, mgr):
    rnd = make_round(budget_fen=2_000_000, max_grant_fen=2_000_000)
    first, second = make_application(rnd), make_application(rnd)
    services.decide(first, True, 2_000_000, "", user=mgr)
    login_as("wannianbu-mgr")
    response = client.post(f"/microgrant/applications/{second.id}/decision", data={"approve": "1", "amount": "100"},
                           follow_redirects=True)
    assert "超出本轮预算" in response.get_data(as_text=True)
    db.session.refresh(second)
    assert second.status == "submitted"


# -- tranches and the mid-term review ------------------------------------------------------------

def test_tranches_after_the_first_wait_for_a_passed_review(make_round, make_application, mgr):
    rnd = make_round(tranche_percents=[50, 30, 20])
    application = make_application(rnd, lines=[("全年活动", 2_000_001)])
    services.decide(application, True, 2_000_001, "", user=mgr)
    assert [t.amount_fen for t in application.tranches] == [1_000_000, 600_000, 400_001]
    with pytest.raises(Conflict, match="请先拨付第1期"):
        services.pay(application, 2, user=mgr)
    with pytest.raises(Conflict, match="首期拨付后"):
        services.review(application, True, "过早", user=mgr)
    services.pay(application, 1, user=mgr)
    with pytest.raises(Conflict, match="中期评估通过后"):
        services.pay(application, 2, user=mgr)
    services.review(application, True, "进度符合计划", user=mgr)
    services.pay(application, 2, user=mgr)
    with pytest.raises(Conflict, match="第3期须在中期评估通过后"):
        services.pay(application, 3, user=mgr)
    services.review(application, True, "第二阶段完成", user=mgr)
    services.pay(application, 3, user=mgr)
    db.session.refresh(application)
    assert application.paid_fen == 2_000_001


def test_a_project_failing_the_review_gets_no_further_tranche(make_round, make_application, mgr):
    rnd = make_round()
    application = make_application(rnd)
    services.decide(application, True, 2_000_000, "", user=mgr)
    services.pay(application, 1, user=mgr)
    services.review(application, False, "未按计划开展活动", user=mgr)
    db.session.refresh(application)
    db.session.refresh(rnd)
    assert application.status == "terminated"
    assert [t.status for t in application.tranches] == ["paid", "cancelled"]
    assert rnd.committed_fen == 1_200_000  # the unpaid 40% returns to the budget
    with pytest.raises(Conflict, match="不能拨付"):
        services.pay(application, 2, user=mgr)


def test_manager_pays_and_reviews_through_the_api(client, api, make_round, make_application, mgr):
    rnd = make_round()
    application = make_application(rnd)
    services.decide(application, True, 1_000_000, "", user=mgr)
    headers = api("wannianbu-mgr")
    base = f"/api/v1/microgrant/applications/{application.id}"
    assert client.post(f"{base}/tranches/2/payment", headers=headers).status_code == 409
    assert client.post(f"{base}/tranches/1/payment", headers=headers).status_code == 201
    assert client.post(f"{base}/reviews", headers=headers, json={"passed": True, "note": "良好"}).status_code == 201
    assert client.post(f"{base}/tranches/2/payment", headers=headers).status_code == 201
    assert client.get(base, headers=headers).get_json()["paid_fen"] == 1_000_000


# -- reports -------------------------------------------------------------------------------------

def test_report_sums_applications_grants_and_spending_per_category(login_as, client, make_round, make_application, mgr):
    rnd = make_round()
    a = make_application(rnd, category="便民服务", lines=[("x", 1_000_000)])
    b = make_application(rnd, category="便民服务", lines=[("x", 2_000_000)])
    c = make_application(rnd, category="文明养犬", lines=[("x", 500_000)])
    services.decide(a, True, 1_000_000, "", user=mgr)
    services.pay(a, 1, user=mgr)
    services.decide(c, True, 400_000, "", user=mgr)
    services.decide(b, False, None, "", user=mgr)
    report = services.report(rnd)
    rows = {r["category"]: r for r in report["rows"]}
    assert rows["便民服务"] == {"category": "便民服务", "applications": 2, "requested_fen": 3_000_000, "approved": 1,
                                "granted_fen": 1_000_000, "paid_fen": 600_000}
    assert rows["文明养犬"]["granted_fen"] == 400_000 and rows["社区公约"]["applications"] == 0
    assert report["totals"]["granted_fen"] == 1_400_000 == report["committed_fen"]

    login_as("wannianbu-mgr")
    page = client.get(f"/microgrant/rounds/{rnd.id}/report").get_data(as_text=True)
    assert "¥30,000.00" in page and "¥6,000.00" in page
    export = client.get(f"/microgrant/rounds/{rnd.id}/report.xlsx")
    book = load_workbook(BytesIO(export.data))
    assert book.sheetnames == ["按类别汇总", "项目明细"]
    summary = [[c.value for c in row] for row in book["按类别汇总"].iter_rows()]
    assert summary[-1] == ["合计", 3, 35000, 2, 14000, 6000]


def test_cli_prints_the_round_report(app, make_round, make_application):
    rnd = make_round()
    make_application(rnd)
    result = app.test_cli_runner().invoke(args=["microgrant", "report", str(rnd.id)])
    assert result.exit_code == 0 and "¥1,500,000.00" in result.output and "合计" in result.output


# -- who sees what, enablement -------------------------------------------------------------------

def test_another_parks_manager_and_outsiders_are_refused(login_as, client, api, make_round, make_application):
    rnd = make_round()
    application = make_application(rnd)
    login_as("changqing-mgr")
    assert client.get(f"/microgrant/rounds/{rnd.id}").status_code == 403
    assert client.post(f"/microgrant/applications/{application.id}/decision",
                       data={"approve": "1", "amount": "1"}).status_code == 403
    assert client.get(f"/api/v1/microgrant/rounds/{rnd.id}/report", headers=api("changqing-mgr")).status_code == 403
    login_as("trainee-wang")
    assert client.get(f"/microgrant/applications/{application.id}").status_code == 403


def test_nothing_shows_and_the_api_answers_404_where_the_plugin_is_not_enabled(login_as, client, api, parks,
                                                                               make_round, round_data, users):
    rnd = make_round()
    login_as("fangxing-mgr")
    assert "公益微创投" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/microgrant/").status_code == 404
    assert client.get(f"/microgrant/rounds/{rnd.id}").status_code == 403  # 万年埠's round: enabled there, not theirs
    body = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in round_data().items()}
    body["park"] = "fangxing"
    assert client.post("/api/v1/microgrant/rounds", headers=api("fangxing-mgr"), json=body).status_code == 404

    login_as("wannianbu-mgr")
    assert "公益微创投" in client.get("/dashboard").get_data(as_text=True)
    set_enablement("microgrant", "parks", [parks["changqing"]])
    db.session.commit()
    assert "公益微创投" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get(f"/microgrant/rounds/{rnd.id}").status_code == 404
    assert client.get(f"/api/v1/microgrant/rounds/{rnd.id}", headers=api("wannianbu-mgr")).status_code == 404


def test_any_park_can_use_it_once_the_administrator_enables_it(login_as, client, parks, make_round):
    set_enablement("microgrant", "parks", [parks["wannianbu"], parks["changqing"]])
    db.session.commit()
    rnd = make_round(park=parks["changqing"], experts=())
    login_as("changqing-mgr")
    page = client.get(f"/microgrant/rounds/{rnd.id}").get_data(as_text=True)
    assert "¥1,500,000.00" in page


def test_the_organization_page_shows_its_projects(login_as, client, make_round, make_application, make_org, mgr):
    org = make_org(park="wannianbu")
    application = make_application(make_round(), org=org)
    services.decide(application, True, 1_500_000, "", user=mgr)
    login_as("wannianbu-mgr")
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "公益微创投项目" in page and "¥15,000.00" in page


def test_demo_round_is_seeded_once(network, make_org):
    from plugins.microgrant.demo import seed
    for _ in range(3):
        make_org(park="wannianbu", stage="incubating")
    seed(db.session)
    db.session.commit()
    seed(db.session)
    rounds = db.session.scalars(select(Round)).all()
    assert len(rounds) == 1 and rounds[0].budget_fen == 150_000_000
    assert rounds[0].committed_fen == sum(a.granted_fen or 0 for a in db.session.scalars(select(Application)))


def test_the_page_offers_only_the_next_step(login_as, client, make_round, make_application, mgr):
    application = make_application(make_round())
    services.decide(application, True, 1_000_000, "", user=mgr)
    login_as("wannianbu-mgr")
    url = f"/microgrant/applications/{application.id}"
    page = client.get(url).get_data(as_text=True)
    assert "tranches/1/pay" in page and "tranches/2/pay" not in page and f"{url}/review" not in page
    client.post(f"{url}/tranches/1/pay")
    page = client.get(url).get_data(as_text=True)
    assert "第2期拨付前的中期评估" in page and "tranches/2/pay" not in page
    client.post(f"{url}/review", data={"passed": "y", "note": "按计划推进"})
    page = client.get(url).get_data(as_text=True)
    assert "tranches/2/pay" in page and f"{url}/review" not in page


def test_the_round_page_issues_a_bounded_number_of_queries(app, login_as, client, make_round, make_application, users):
    from incubator.testing import counting_queries
    rnd = make_round()

    def queries(url):
        client.get(url)  # warm: the first request after the data changed reads the plugins' enablement
        with app.app_context():
            data_changed()  # and the to-dos are counted again, as after any write
        with app.app_context():
            engine = db.engine
        with counting_queries(engine) as counter:
            assert client.get(url).status_code == 200
        return counter.n

    login_as("wannianbu-mgr")
    for _ in range(2):
        services.score(make_application(rnd), users["expert-li"], {"需求明确": 30, "方案可行": 50})
    few = queries(f"/microgrant/rounds/{rnd.id}")
    for _ in range(15):
        services.score(make_application(rnd), users["expert-li"], {"需求明确": 30, "方案可行": 50})
    assert queries(f"/microgrant/rounds/{rnd.id}") == few
    make_round(title="2027年公益微创投", year=2027)
    index = queries("/microgrant/")
    for year in (2028, 2029, 2030):
        make_round(title=f"{year}年公益微创投", year=year)
    assert queries("/microgrant/") == index  # more rounds, no more queries


def test_manager_edits_a_round_but_not_below_what_is_granted(login_as, client, make_round, make_application, mgr,
                                                             round_data):
    rnd = make_round(budget_fen=10_000_000, max_grant_fen=3_000_000)
    application = make_application(rnd, category="文明养犬")
    services.decide(application, True, 2_000_000, "", user=mgr)
    with pytest.raises(Conflict, match="不能低于已立项金额"):
        services.edit_round(rnd, round_data(budget_fen=1_000_000, max_grant_fen=1_000_000), user=mgr)
    with pytest.raises(Conflict, match="文明养犬"):
        services.edit_round(rnd, round_data(budget_fen=10_000_000, max_grant_fen=3_000_000, categories=["便民服务"]),
                            user=mgr)
    login_as("wannianbu-mgr")
    form = client.get(f"/microgrant/rounds/{rnd.id}/edit").get_data(as_text=True)
    assert "100000.00" in form and "需求明确 40" in form
    d = lambda days: (TODAY + timedelta(days=days)).isoformat()  # noqa: E731
    response = client.post(f"/microgrant/rounds/{rnd.id}/edit", data={
        "park": "wannianbu", "title": "2026年公益微创投（延期）", "year": TODAY.year, "budget": "120000",
        "max_grant": "30000", "categories": "便民服务\n文明养犬\n社区公约\n居民骨干培育", "criteria": "需求明确 40\n方案可行 60",
        "tranche_percents": "60,40", "apply_from": d(-20), "apply_until": d(0), "review_from": d(0),
        "review_until": d(30), "execute_from": d(31), "execute_until": d(365)})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(rnd)
    assert rnd.budget_fen == 12_000_000 and rnd.review_until == TODAY + timedelta(days=30)
    assert rnd.committed_fen == 2_000_000


def test_manager_ticks_the_round_experts_from_the_expert_accounts(login_as, client, make_round):
    rnd = make_round(experts=())
    login_as("wannianbu-mgr")
    page = client.get(f"/microgrant/rounds/{rnd.id}").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'value="expert-li"' in page and 'value="trainee-wang"' not in page
    response = client.post(f"/microgrant/rounds/{rnd.id}/experts", data={"experts": ["expert-li", "expert-zhou"]})
    assert response.status_code == 302
    db.session.refresh(rnd)
    assert [u.username for u in rnd.experts] == ["expert-li", "expert-zhou"]
    client.post(f"/microgrant/rounds/{rnd.id}/experts", data={"experts": ["trainee-wang"]}, follow_redirects=True)
    db.session.refresh(rnd)
    assert len(rnd.experts) == 2  # a trainee is not offered, and refused when sent anyway


def test_paying_needs_the_csrf_token(app, login_as, client, make_round, make_application, mgr):
    application = make_application(make_round())
    services.decide(application, True, 1_000_000, "", user=mgr)
    login_as("wannianbu-mgr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.post(f"/microgrant/applications/{application.id}/tranches/1/pay")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(application)
    assert application.paid_fen == 0
