"""Crafted input to the passport API: LIKE wildcards in the volunteer search, invisible characters in
names, a park given as a list, every list a page."""
import pytest


def test_percent_and_underscore_are_literal_in_the_volunteer_search(client, api, make_volunteer):
    make_volunteer(name="张_三")
    make_volunteer(name="张大三")
    make_volunteer(name="李%四")
    headers = api("fangxing-mgr")

    def names(q):
        body = client.get("/api/v1/passport/parks/fangxing/volunteers", headers=headers, query_string={"q": q})
        return sorted(v["name"] for v in body.get_json()["items"])
    assert names("张_三") == ["张_三"]
    assert names("_") == ["张_三"]
    assert names("%") == ["李%四"]


@pytest.mark.parametrize("name", ["张\u202e三", "张\u200b三", "张\n三", "\ufeff张三"])
def test_a_volunteer_name_with_invisible_characters_is_a_422(name, client, api, id_numbers):
    response = client.post("/api/v1/passport/parks/fangxing/volunteers", headers=api("fangxing-mgr"),
                           json={"name": name, "phone": "13900009999", "id_number": id_numbers[-1]})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "name"


@pytest.mark.parametrize("park", [["fangxing"], {"code": "fangxing"}, 7])
def test_an_activity_in_a_park_given_as_a_list_is_a_422(park, client, api):
    response = client.post("/api/v1/passport/activities", headers=api("fangxing-mgr"),
                           json={"park": park, "title": "楼道清洁日", "held_on": "2026-05-01"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "park"


@pytest.mark.parametrize("path", ["/parks/fangxing/gifts", "/parks/fangxing/windows", "/parks/fangxing/ranking",
                                  "/volunteers/{id}/ledger"])
def test_every_passport_list_is_a_page(path, client, api, make_volunteer, make_gift):
    volunteer = make_volunteer()
    make_gift()
    make_gift(name="水杯")
    url = "/api/v1/passport" + path.replace("{id}", str(volunteer.id))
    body = client.get(url + "?per_page=1", headers=api("fangxing-mgr")).get_json()
    assert set(body) == {"items", "page", "per_page", "total", "pages"} and body["per_page"] == 1
    assert len(body["items"]) <= 1
    for query in ("page=-1", "per_page=1000000000", "page=abc", "_method=POST"):
        assert client.get(f"{url}?{query}", headers=api("fangxing-mgr")).status_code in (200, 422), query
