"""Request sizes are bounded (issue 10): MAX_CONTENT_LENGTH (INCUBATOR_MAX_UPLOAD_MB, 10 MB by default)
for every request, a clear 413 (a Chinese page; JSON under /api/), and the token endpoint's small
JSON body (API_TOKEN_MAX_BODY, 4 KB) refused before it is read."""
import io
import json

import pytest
from flask import Flask

from incubator.config import MB, load_config, upload_limit
from incubator.testing import PASSWORD

from .helpers import page_text

TOKEN = "/api/v1/auth/token"


def padded(body: dict, size: int) -> bytes:
    """`body` as JSON, padded with trailing spaces to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


# -- configuration -------------------------------------------------------------------------------------

def test_the_default_limit_is_ten_megabytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 10 * MB
    assert app.config["API_TOKEN_MAX_BODY"] == 4096


@pytest.mark.parametrize("value, expected", [("10", 10 * MB), ("2.5", int(2.5 * MB)), ("100", 100 * MB)])
def test_incubator_max_upload_mb_sets_the_limit(value, expected, monkeypatch, tmp_path):
    monkeypatch.setenv("INCUBATOR_MAX_UPLOAD_MB", value)
    monkeypatch.setenv("INCUBATOR_SECRET_KEY", "x")
    app = Flask("limits", instance_path=str(tmp_path))
    load_config(app)
    assert app.config["MAX_CONTENT_LENGTH"] == expected


@pytest.mark.parametrize("value", ["0", "-1", "ten", "nan", "inf", "1e400"])
def test_a_bad_upload_limit_stops_the_start_with_its_name(value):
    with pytest.raises(ValueError, match="INCUBATOR_MAX_UPLOAD_MB"):
        upload_limit(value)


# -- pages ---------------------------------------------------------------------------------------------

def test_a_form_just_over_the_limit_gets_the_chinese_413_page(app, client, network):
    limit = app.config["MAX_CONTENT_LENGTH"]
    prefix = f"username=fangxing-mgr&password={PASSWORD}&note=".encode()
    body = prefix + b"x" * (limit + 1 - len(prefix))
    assert len(body) == limit + 1
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    html = page_text(response)
    assert "提交的内容太大" in html and "超出了允许的大小" in html
    assert "Request Entity Too Large" not in html


def test_a_form_at_the_limit_is_read(app, client, network):
    limit = app.config["MAX_CONTENT_LENGTH"]
    prefix = f"username=fangxing-mgr&password={PASSWORD}&note=".encode()
    body = prefix + b"x" * (limit - len(prefix))
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302  # logged in


def test_an_upload_just_over_the_limit_gets_413_when_logged_in(app, client, login_as, make_org):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(f"/orgs/{org.id}/edit", data={"name": "改名", "file": (io.BytesIO(b"x" * limit), "big.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "提交的内容太大" in page_text(response)


# -- the API -------------------------------------------------------------------------------------------

def test_an_api_body_just_over_the_limit_gets_413_as_json(app, client, api):
    headers = api("fangxing-mgr")
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = padded({"name": "太大的组织", "category": "社工服务类"}, limit + 1)
    response = client.post("/api/v1/organizations", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 413
    [error] = response.get_json()["errors"]
    assert error["code"] == "RequestEntityTooLarge" and error["message"]


def test_the_token_endpoint_refuses_a_body_over_4_kb(client, network):
    body = padded({"username": "admin", "password": PASSWORD}, 4097)
    response = client.post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 413
    [error] = response.get_json()["errors"]
    assert error["code"] == "RequestEntityTooLarge" and "4096 字节" in error["message"]


def test_the_token_endpoint_reads_a_body_of_4_kb(client, network):
    body = padded({"username": "admin", "password": PASSWORD}, 4096)
    response = client.post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 201 and response.get_json()["token"]


def chunked(client, body: bytes):
    """A body sent without a Content-Length (chunked), as a server that terminates the stream passes it."""
    stream = io.BytesIO(body)
    response = client.post(TOKEN, input_stream=stream, content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    return response, stream.tell()


def test_the_token_endpoint_stops_reading_a_body_without_a_length_past_4_kb(client, network):
    """Chunked: reading stops just past the limit instead of taking 100 MB."""
    response, read = chunked(client, padded({"username": "admin", "password": PASSWORD}, 64 * 1024))
    assert response.status_code == 413 and read <= 4097
    [error] = response.get_json()["errors"]
    assert error["code"] == "RequestEntityTooLarge" and "4096 字节" in error["message"]
    response, _ = chunked(client, padded({"username": "admin", "password": PASSWORD}, 4097))
    assert response.status_code == 413
    response, _ = chunked(client, padded({"username": "admin", "password": PASSWORD}, 4096))
    assert response.status_code == 201


def test_the_token_endpoint_is_refused_before_a_password_is_checked(client, network, monkeypatch):
    from incubator.users import services
    checked = []
    monkeypatch.setattr(services, "authenticate", lambda *args: checked.append(args))
    body = padded({"username": "admin", "password": PASSWORD}, 100_000)
    assert client.post(TOKEN, data=body, content_type="application/json").status_code == 413
    assert checked == []
