"""A 413 names the limit (issue 10): the page states it in MB, and the API answers in its own error
format, in the request's language, instead of Werkzeug's English "exceeds the capacity limit"."""
import json

from incubator.config import MB
from incubator.testing import PASSWORD

from .helpers import page_text


def over(limit: int) -> bytes:
    prefix = f"username=fangxing-mgr&password={PASSWORD}&note=".encode()
    return prefix + b"x" * (limit + 1 - len(prefix))


def test_the_413_page_states_the_limit_in_megabytes(app, client, network):
    response = client.post("/login", data=over(app.config["MAX_CONTENT_LENGTH"]),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    html = page_text(response)
    assert "上传的文件和填写的内容合计不能超过 10 MB。" in html and "提交的内容太大" in html


def test_the_413_page_follows_the_configured_limit(app, client, network, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", int(2.5 * MB))
    response = client.post("/login", data=over(int(2.5 * MB)), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "不能超过 2.5 MB。" in page_text(response)


def api_over_the_limit(app, client, headers):
    body = json.dumps({"name": "太大的组织"}).encode()
    body += b" " * (app.config["MAX_CONTENT_LENGTH"] + 1 - len(body))
    return client.post("/api/v1/organizations", data=body, content_type="application/json", headers=headers)


def test_the_api_413_is_chinese_json_naming_the_limit(app, client, api):
    response = api_over_the_limit(app, client, api("fangxing-mgr"))
    assert response.status_code == 413
    assert response.get_json() == {"errors": [{"message": "上传的文件和填写的内容合计不能超过 10 MB。",
                                               "code": "RequestEntityTooLarge"}]}


def test_the_api_413_speaks_english_to_an_english_session(app, client, api):
    headers = api("fangxing-mgr")
    client.get("/lang/en")
    [error] = api_over_the_limit(app, client, headers).get_json()["errors"]
    assert error == {"message": "Uploaded files and form content together may not exceed 10 MB.",
                     "code": "RequestEntityTooLarge"}


def test_a_413_of_a_lower_limit_of_our_own_keeps_its_message(client, network):
    """The token endpoint's own limit (4,096 bytes) says so itself."""
    body = json.dumps({"username": "admin", "password": PASSWORD}).encode()
    response = client.post("/api/v1/auth/token", data=body + b" " * 5000, content_type="application/json")
    assert response.status_code == 413 and "4096 字节" in response.get_json()["errors"][0]["message"]
