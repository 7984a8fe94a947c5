"""Crafted input to the assessment API: an assessor or rubric given as a list or object, lists as pages."""
import pytest


@pytest.mark.parametrize("assessor", [["expert-li"], {"username": "expert-li"}, 7])
def test_an_assessor_given_as_anything_but_a_username_is_a_422(assessor, client, api, assessed_org):
    response = client.post(f"/api/v1/assessment/organizations/{assessed_org.id}/assessments",
                           headers=api("fangxing-mgr"), json={"kind": "entry", "assessor": assessor})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "assessor"


@pytest.mark.parametrize("rubric", [["default"], {"code": "default"}])
def test_a_rubric_given_as_a_list_is_a_422(rubric, client, api, network):
    response = client.put("/api/v1/assessment/parks/fangxing/settings", headers=api("fangxing-mgr"),
                          json={"rubric_code": rubric, "graduation_veto": False, "exit_threshold": 700})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "rubric_code"


@pytest.mark.parametrize("url", ["/api/v1/assessment/rubrics", "/api/v1/assessment/reports",
                                 "/api/v1/assessment/organizations/{id}/assessments"])
def test_every_assessment_list_is_a_page(url, client, api, assessed_org):
    body = client.get(url.replace("{id}", str(assessed_org.id)) + "?per_page=1", headers=api("admin")).get_json()
    assert set(body) == {"items", "page", "per_page", "total", "pages"}, body
