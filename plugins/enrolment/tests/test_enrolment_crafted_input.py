"""Crafted input to the academy API: LIKE wildcards in the catalogue search, references of the wrong
kind, invisible characters in an offering's title, rosters as pages."""
import pytest


def test_percent_and_underscore_are_literal_in_the_catalogue_search(client, courses):
    every = client.get("/api/v1/courses?per_page=100").get_json()["total"]
    assert every > 0
    assert client.get("/api/v1/courses", query_string={"q": "%"}).get_json()["total"] == 0
    assert client.get("/api/v1/courses", query_string={"q": "_"}).get_json()["total"] == 0


OFFERING = {"course": "PM102", "park": "fangxing", "venue": "会议室", "capacity": 10,
            "enrol_opens_at": "2026-01-01T00:00:00Z", "enrol_closes_at": "2026-01-10T00:00:00Z",
            "sessions": [{"starts_at": "2026-01-15T01:00:00Z", "ends_at": "2026-01-15T03:00:00Z"}]}


@pytest.mark.parametrize("field, value", [("course", ["PM102"]), ("park", {"code": "fangxing"}),
                                          ("instructor", ["expert-li"]), ("title", "第\u202e期"), ("title", "第\n期")])
def test_an_offering_with_a_crafted_field_is_a_422(field, value, client, api, courses):
    response = client.post("/api/v1/offerings", headers=api("fangxing-mgr"), json=dict(OFFERING, **{field: value}))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize("username", [["trainee-wang"], {"u": "trainee-wang"}])
def test_enrolling_someone_given_as_a_list_is_a_422(username, client, api, make_offering):
    offering = make_offering()
    response = client.post(f"/api/v1/offerings/{offering.id}/enrolments", headers=api("fangxing-mgr"),
                           json={"username": username})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "username"


def test_the_roster_and_my_enrolments_are_pages(client, api, make_offering):
    offering = make_offering()
    client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=api("trainee-wang"))
    roster = client.get(f"/api/v1/offerings/{offering.id}/enrolments?per_page=1", headers=api("expert-li")).get_json()
    assert roster["total"] == 1 and roster["items"][0]["username"] == "trainee-wang"
    mine = client.get("/api/v1/enrolments/mine?page=2&per_page=1", headers=api("trainee-wang")).get_json()
    assert mine["items"] == [] and mine["total"] == 1
