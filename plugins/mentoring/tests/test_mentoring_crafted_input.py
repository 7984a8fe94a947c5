"""Crafted input to the mentoring API: an expert given as a list or object, lists as pages."""
import pytest


@pytest.mark.parametrize("expert", [["expert-li"], {"username": "expert-li"}, 7, None])
def test_an_expert_given_as_anything_but_a_username_is_a_422(expert, client, api, supervised):
    response = client.post(f"/api/v1/mentoring/organizations/{supervised.id}/assignments",
                           headers=api("fangxing-mgr"), json={"expert": expert, "starts_on": "2026-01-01"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "expert"


def test_the_organizations_assignments_are_a_page(client, api, supervised):
    body = client.get(f"/api/v1/mentoring/organizations/{supervised.id}/assignments?per_page=1",
                      headers=api("fangxing-mgr")).get_json()
    assert body["total"] == 1 and body["items"][0]["expert"] == "expert-li" and body["pages"] == 1


@pytest.mark.parametrize("park", ["%00", "x" * 500])
def test_an_odd_park_in_the_hours_report_is_a_422(park, client, api, supervised):
    response = client.get(f"/api/v1/mentoring/reports/hours?park={park}", headers=api("admin"))
    assert response.status_code == 422, response.get_json()
