"""Crafted input to the micro-grant API and forms: long categories, references of the wrong kind,
invisible characters in a round's name."""
from datetime import date

import pytest

from incubator.dates import today
from incubator.errors import ValidationError
from plugins.microgrant import services
from plugins.microgrant.forms import RoundForm
from plugins.microgrant.models import Application


def _body(round_data, **overrides):
    body = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in round_data().items()}
    return {**body, "park": "wannianbu", **overrides}


def test_the_category_limit_is_the_column_length():
    assert services.CATEGORY_MAX == Application.__table__.c.category.type.length == 40
    assert all(len(c) <= services.CATEGORY_MAX for c in services.DEFAULT_CATEGORIES)


def test_a_category_longer_than_the_column_is_refused_by_the_api(client, api, round_data):
    response = client.post("/api/v1/microgrant/rounds", headers=api("wannianbu-mgr"),
                           json=_body(round_data, categories=["便民服务", "类" * 41]))
    assert response.status_code == 422, response.get_json()
    assert any(e.get("field", "").startswith("categories") for e in response.get_json()["errors"])
    ok = client.post("/api/v1/microgrant/rounds", headers=api("wannianbu-mgr"),
                     json=_body(round_data, categories=["类" * 40]))
    assert ok.status_code == 201, ok.get_json()


def test_a_category_longer_than_the_column_is_refused_by_the_service(wannianbu, mgr, round_data):
    with pytest.raises(ValidationError) as error:
        services.create_round(wannianbu, round_data(categories=["类" * 41]), user=mgr)
    assert error.value.field == "categories" and "40" in error.value.message


def test_the_round_form_refuses_a_long_category(app, network):
    with app.test_request_context(method="POST", data={"categories": "便民服务\n" + "类" * 41}):
        form = RoundForm()
        form.validate()
        assert "categories" in form.errors and "40" in form.errors["categories"][0]


@pytest.mark.parametrize("field, value", [("park", ["wannianbu"]), ("park", {"code": "wannianbu"}),
                                          ("categories", [["便民服务"]]), ("categories", [{"a": 1}]),
                                          ("title", "微创投\u202e轮"), ("categories", ["便民\n服务"])])
def test_a_round_with_a_crafted_field_is_a_422(field, value, client, api, round_data):
    response = client.post("/api/v1/microgrant/rounds", headers=api("wannianbu-mgr"),
                           json=_body(round_data, **{field: value}))
    assert response.status_code == 422, response.get_json()
    assert any(e.get("field", "").startswith(field) for e in response.get_json()["errors"])


@pytest.mark.parametrize("experts", [[["expert-li"]], [{"username": "expert-li"}], [7]])
def test_experts_given_as_anything_but_usernames_are_a_422(experts, client, api, make_round):
    rnd = make_round()
    response = client.put(f"/api/v1/microgrant/rounds/{rnd.id}/experts", headers=api("wannianbu-mgr"),
                          json={"experts": experts})
    assert response.status_code == 422, response.get_json()


@pytest.mark.parametrize("category", [["便民服务"], {"name": "便民服务"}])
def test_an_application_with_a_list_for_a_category_is_a_422(category, client, api, make_round, make_org):
    rnd = make_round(apply_until=today())
    org = make_org(park="wannianbu", stage="incubating")
    response = client.post(f"/api/v1/microgrant/rounds/{rnd.id}/applications", headers=api("wannianbu-mgr"),
                           json={"organization_id": org.id, "title": "项目", "category": category, "goals": "目标",
                                 "lines": [{"item": "物料", "amount_fen": 100}]})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "category"
