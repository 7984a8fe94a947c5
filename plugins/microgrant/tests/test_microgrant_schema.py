"""One source of validation for rounds and applications: the forms, the API and the services share
plugins/microgrant/schema.py."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from incubator.dates import today
from incubator.errors import ValidationError
from incubator.extensions import db
from plugins.microgrant import services
from plugins.microgrant.api import ApplicationSchema, RoundSchema
from plugins.microgrant.forms import ApplicationForm, RoundForm
from plugins.microgrant.models import Application, Round
from plugins.microgrant.schema import ApplicationFields, RoundFields

TODAY = today()


def field_html(html: str, field_id: str) -> str:
    """The input (or textarea) with that id and the error right under it, if any."""
    found = re.search(rf'<(input|textarea|select)[^>]* id="{field_id}"[^>]*>(?:[^<]*</textarea>)?\s*'
                      rf'(<div class="invalid-feedback[^"]*">[^<]*</div>)?', html)
    assert found, field_id
    return found.group(0)


def test_the_forms_and_the_api_share_the_schemas():
    assert RoundForm.schema is RoundFields and ApplicationForm.schema is ApplicationFields
    assert issubclass(RoundSchema, RoundFields) and issubclass(ApplicationSchema, ApplicationFields)


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", "请填写本轮名称（120字以内）"),
    ({"title": "轮" * 121}, "title", "请填写本轮名称（120字以内）"),
    ({"year": 1999}, "year", "年度应在2000到2100之间"),
    ({"budget_fen": -5}, "budget_fen", "总预算须大于零"),
    ({"max_grant_fen": None}, "max_grant_fen", "单个项目资助上限须大于零"),
    ({"max_grant_fen": 200_000_000}, "max_grant_fen", "单个项目资助上限不能超过总预算"),
    ({"review_until": None}, "review_until", "请填写申报、评审、执行的起止日期"),
    ({"execute_until": TODAY}, "apply_until",
     "日期须依次为：申报开始 ≤ 申报截止 ≤ 评审开始 ≤ 评审截止 ≤ 执行开始 ≤ 执行结束"),
    ({"description": "说" * 5001}, "description", "说明不能超过5000字"),
])
def test_a_round_is_refused_what_the_schema_refuses(overrides, field, message, wannianbu, mgr, round_data):
    with pytest.raises(ValidationError) as raised:
        services.create_round(wannianbu, round_data(**overrides), user=mgr)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_a_round_without_a_year_is_of_the_year_it_opens(wannianbu, mgr, round_data):
    rnd = services.create_round(wannianbu, round_data(year=None, title="  2026年公益微创投 "), user=mgr)
    assert rnd.year == round_data()["apply_from"].year and rnd.title == "2026年公益微创投"


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": " "}, "title", "请填写项目名称（120字以内）"),
    ({"goals": ""}, "goals", "请填写项目目标"),
    ({"goals": "目" * 5001}, "goals", "项目目标不能超过5000字"),
    ({"beneficiaries": "人" * 2001}, "beneficiaries", "受益对象不能超过2000字"),
    ({"beneficiary_count": -1}, "beneficiary_count", "预计受益人数不能为负数"),
])
def test_an_application_is_refused_what_the_schema_refuses(overrides, field, message, make_round, make_application):
    rnd = make_round()
    with pytest.raises(ValidationError) as raised:
        make_application(rnd, **overrides)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def _body(round_data, **overrides):
    body = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in round_data().items()}
    return {**body, "park": "wannianbu", **overrides}


def test_the_api_answers_with_the_schemas_messages(client, api, round_data, make_round, make_org):
    headers = api("wannianbu-mgr")
    response = client.post("/api/v1/microgrant/rounds", headers=headers, json=_body(round_data, year=2200))
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [("year", "年度应在2000到2100之间")]
    response = client.post("/api/v1/microgrant/rounds", headers=headers,
                           json=_body(round_data, max_grant_fen=200_000_000))
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [
        ("max_grant_fen", "单个项目资助上限不能超过总预算")]
    rnd = make_round(apply_until=TODAY)
    org = make_org(park="wannianbu", stage="incubating")
    response = client.post(f"/api/v1/microgrant/rounds/{rnd.id}/applications", headers=headers, json={
        "organization_id": org.id, "title": "项目", "category": "便民服务", "goals": " ",
        "lines": [{"item": "物料", "amount_fen": 100}]})
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [("goals", "请填写项目目标")]


def _round_form(**fields):
    d = lambda days: (TODAY + timedelta(days=days)).isoformat()  # noqa: E731
    data = {"park": "wannianbu", "title": "2027年公益微创投", "year": 2027, "budget": "1500000", "max_grant": "50000",
            "categories": "便民服务\n文明养犬", "criteria": "需求明确 40\n方案可行 60", "tranche_percents": "60,40",
            "apply_from": d(0), "apply_until": d(10), "review_from": d(11), "review_until": d(20),
            "execute_from": d(21), "execute_until": d(300), "description": ""}
    data.update(fields)
    return data


def test_the_round_form_is_marked_from_the_schema(login_as, client):
    login_as("wannianbu-mgr")
    html = client.get("/microgrant/rounds/new").get_data(as_text=True)
    assert " required" in field_html(html, "title") and 'maxlength="120"' in field_html(html, "title")
    assert 'min="2000"' in field_html(html, "year") and 'max="2100"' in field_html(html, "year")
    assert " required" in field_html(html, "execute_until") and 'maxlength="5000"' in field_html(html, "description")


@pytest.mark.parametrize("fields, field, message", [
    ({"title": "轮" * 121}, "title", "字段长度不能超过 120 个字符。"),
    ({"execute_until": TODAY.isoformat()}, "apply_until",
     "日期须依次为：申报开始 ≤ 申报截止 ≤ 评审开始 ≤ 评审截止 ≤ 执行开始 ≤ 执行结束"),
    ({"title": "微创投\u202e轮"}, "title", "不能含有不可见字符或文字方向控制符（U+202E）"),
])
def test_the_round_page_shows_the_message_next_to_the_field(fields, field, message, login_as, client):
    login_as("wannianbu-mgr")
    response = client.post("/microgrant/rounds/new", data=_round_form(**fields))
    assert response.status_code == 422
    assert f'<div class="invalid-feedback d-block">{message}</div>' in field_html(response.get_data(as_text=True), field)
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_the_application_page_shows_the_message_next_to_the_field(login_as, client, make_round, make_org):
    rnd = make_round(apply_until=TODAY)
    org = make_org(park="wannianbu", stage="incubating")
    login_as("wannianbu-mgr")
    response = client.post(f"/microgrant/rounds/{rnd.id}/apply", data={
        "organization_id": org.id, "title": "项目", "category": "便民服务", "goals": "目标",
        "beneficiaries": "", "beneficiary_count": "-3", "lines-0-item": "物料", "lines-0-amount": "100"})
    assert response.status_code == 422
    shown = field_html(response.get_data(as_text=True), "beneficiary_count")
    assert '<div class="invalid-feedback">数值必须大于 0。</div>' in shown and 'min="0"' in shown  # WTForms' words
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


# -- scores, decisions and mid-term reviews: ScoreFields, DecisionFields, ReviewFields ---------------

def test_the_score_decision_and_review_forms_share_the_schemas():
    from plugins.microgrant.api import DecisionSchema, ReviewSchema, ScoreSchema
    from plugins.microgrant.forms import DecisionForm, ReviewForm, ScoreForm
    from plugins.microgrant.schema import DecisionFields, ReviewFields, ScoreFields
    assert ScoreForm.schema is ScoreFields and issubclass(ScoreSchema, ScoreFields)
    assert DecisionForm.schema is DecisionFields and issubclass(DecisionSchema, DecisionFields)
    assert ReviewForm.schema is ReviewFields and issubclass(ReviewSchema, ReviewFields)


def _error(response):
    return [(e.get("field"), e.get("message")) for e in response.get_json()["errors"]]


def test_a_score_comment_is_refused_the_same_way_by_the_service_the_api_and_the_page(
        make_round, make_application, users, client, api, login_as):
    from plugins.microgrant.models import Score
    application = make_application(make_round(experts=("expert-li",)))
    message = "评审意见不能超过2000字"
    with pytest.raises(ValidationError) as raised:
        services.score(application, users["expert-li"], {"需求明确": 30, "方案可行": 50}, "评" * 2001)
    assert (raised.value.field, raised.value.message) == ("comment", message)
    response = client.put(f"/api/v1/microgrant/applications/{application.id}/scores", headers=api("expert-li"),
                          json={"marks": {"需求明确": 30, "方案可行": 50}, "comment": "评" * 2001})
    assert response.status_code == 422 and ("comment", message) in _error(response)
    login_as("expert-li")
    html = client.get(f"/microgrant/applications/{application.id}").get_data(as_text=True)
    assert 'maxlength="2000"' in field_html(html, "comment")
    page = client.post(f"/microgrant/applications/{application.id}/score", follow_redirects=True,
                       data={"mark_0": 30, "mark_1": 50, "comment": "评" * 2001}).get_data(as_text=True)
    assert "评审意见：" in page  # the schema's length, checked on the server as the browser does
    assert db.session.scalar(select(func.count()).select_from(Score)) == 0


def test_a_decision_note_is_refused_the_same_way_by_the_service_the_api_and_the_page(
        make_round, make_application, mgr, client, api, login_as):
    application = make_application(make_round())
    message = "说明不能超过500字"
    with pytest.raises(ValidationError) as raised:
        services.decide(application, False, None, "说" * 501, user=mgr)
    assert (raised.value.field, raised.value.message) == ("note", message)
    response = client.post(f"/api/v1/microgrant/applications/{application.id}/decision", headers=api("wannianbu-mgr"),
                           json={"approve": False, "note": "说" * 501})
    assert response.status_code == 422 and ("note", message) in _error(response)
    login_as("wannianbu-mgr")
    html = client.get(f"/microgrant/applications/{application.id}").get_data(as_text=True)
    assert 'maxlength="500"' in field_html(html, "note")
    page = client.post(f"/microgrant/applications/{application.id}/decision", follow_redirects=True,
                       data={"approve": "0", "note": "说" * 501}).get_data(as_text=True)
    assert "说明：" in page
    db.session.refresh(application)
    assert application.status == "submitted"
    services.decide(application, False, None, "  与本轮方向不符 ", user=mgr)
    assert application.decision_note == "与本轮方向不符"


@pytest.mark.parametrize("note, message", [(" ", "请填写评估意见"), ("评" * 1001, "评估意见不能超过1000字")])
def test_a_review_note_is_refused_the_same_way_by_the_service_the_api_and_the_page(
        note, message, make_round, make_application, mgr, client, api, login_as):
    application = make_application(make_round())
    services.decide(application, True, 2_000_000, "", user=mgr)
    services.pay(application, 1, user=mgr)
    with pytest.raises(ValidationError) as raised:
        services.review(application, True, note, user=mgr)
    assert (raised.value.field, raised.value.message) == ("note", message)
    response = client.post(f"/api/v1/microgrant/applications/{application.id}/reviews", headers=api("wannianbu-mgr"),
                           json={"passed": True, "note": note})
    assert response.status_code == 422 and ("note", message) in _error(response)
    login_as("wannianbu-mgr")
    page = client.post(f"/microgrant/applications/{application.id}/review", follow_redirects=True,
                       data={"passed": "y", "note": note}).get_data(as_text=True)
    assert "评估意见：" in page
    db.session.refresh(application)
    assert application.reviews == []
