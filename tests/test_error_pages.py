"""Error pages: a Chinese title, a Chinese explanation and a way back for every status a visitor meets
(400, 403, 404, 405, 429, 500, 503), English in English mode, and a 503 when the database is down."""
import re
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy.exc import OperationalError

from incubator import create_app
from incubator.errors import Vetoed
from incubator.extensions import db
from incubator.testing import test_config

from .helpers import page_text

# The crawler's test for English on an error page (tests/browser/crawler.py).
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?:[ ,.'-]+[A-Za-z]{2,}){3,}")
HAN = re.compile(r"[\u4e00-\u9fff]")
COMPILED = Path(__file__).resolve().parents[1] / "incubator/translations/en/LC_MESSAGES/messages.mo"
UNREACHABLE_POSTGRES = "postgresql://nobody@127.0.0.1:1/x"


def main_text(response) -> str:
    """What the page says inside <main>, tags stripped."""
    html = page_text(response)
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert main, "the error page has no <main>"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.group(1)))


def error_text(response) -> str:
    """The error page's own words (without messages flashed by earlier pages)."""
    text = main_text(response)
    start = text.find("Error code") if "Error code" in text else text.find("错误代码")
    assert start >= 0, text
    return text[start:]


def assert_chinese_error_page(response, status, title, *more):
    assert response.status_code == status
    text = main_text(response)
    assert title in text, text
    for words in more:
        assert words in text, text
    assert "返回首页" in text
    english = ENGLISH_SENTENCE.search(text)
    assert english is None, f"English on the {status} page: {english.group(0)!r}"
    html = page_text(response)
    assert 'class="navbar' in html and "社区治理学院" in html      # the site's layout
    assert "Traceback" not in html and "Werkzeug" not in html


@pytest.fixture
def replace_view(app, monkeypatch):
    """replace_view("public.park_directory", fn): the page at that endpoint runs fn instead."""
    def _replace(endpoint, fn):
        monkeypatch.setitem(app.view_functions, endpoint, fn)
    return _replace


# -- 404, 403, 405, 400 ------------------------------------------------------------------------

def test_a_missing_page_is_a_chinese_404(client, network):
    assert_chinese_error_page(client.get("/no-such-page"), 404, "页面不存在", "地址可能有误")


def test_a_missing_record_keeps_its_own_chinese_description(client, network):
    assert_chinese_error_page(client.get("/parks/atlantis"), 404, "页面不存在", "园区不存在")


def test_a_forbidden_page_is_a_chinese_403_with_a_way_back(login_as):
    client = login_as("trainee-wang")
    response = client.get("/admin/users", headers={"Referer": "http://localhost/parks"})
    assert_chinese_error_page(response, 403, "无权访问", "请联系园区管理员")
    assert 'href="http://localhost/parks"' in page_text(response) and "返回上一页" in page_text(response)
    assert ">登录</a>" not in main_text(response)  # logged in: no login button


def test_an_anonymous_visitor_refused_is_offered_the_login(client, network, replace_view):
    replace_view("public.park_directory", lambda: abort(403))
    response = client.get("/parks")
    assert_chinese_error_page(response, 403, "无权访问", "需要登录后才能访问")
    assert 'href="/login?next=/parks"' in page_text(response)


def test_a_foreign_referrer_is_no_way_back(client, network):
    response = client.get("/no-such-page", headers={"Referer": "https://evil.example/"})
    assert "evil.example" not in page_text(response) and "返回上一页" not in page_text(response)


def test_opening_a_post_only_address_is_a_chinese_405(login_as, make_org):
    org = make_org(park="fangxing", stage="applied")
    client = login_as("fangxing-mgr")
    response = client.get(f"/orgs/{org.id}/move")
    assert_chinese_error_page(response, 405, "不能这样打开此地址", "只接受页面上的表单提交")
    assert "POST" in response.headers["Allow"]


def test_a_bad_request_is_a_chinese_400(client, network, replace_view):
    replace_view("public.park_directory", lambda: abort(400))
    assert_chinese_error_page(client.get("/parks"), 400, "请求无效", "格式不正确")


def test_a_form_sent_without_its_csrf_token_explains_in_chinese(client, network, csrf_on):
    response = client.post("/apply/status", data={"number": "1", "phone": "13912345678"})
    assert_chinese_error_page(response, 400, "页面已过期", "刷新后重新填写提交")
    assert "CSRF" not in page_text(response)


def test_a_refused_step_shows_its_own_message_and_reasons(client, network, replace_view):
    def vetoed():
        raise Vetoed("阶段变更被拒绝：缺少结项评估", reasons=["缺少结项评估", "督导记录未确认"])
    replace_view("public.park_directory", vetoed)
    assert_chinese_error_page(client.get("/parks"), 409, "操作未完成",
                              "阶段变更被拒绝：缺少结项评估", "督导记录未确认")


# -- 429 -----------------------------------------------------------------------------------------

@pytest.fixture
def limited_client(rate_limited):
    return rate_limited(STATUS_RATE_LIMIT="1 per hour")


def test_too_many_requests_is_a_chinese_429(limited_client):
    limited_client.post("/apply/status", data={"number": "1", "phone": "13912345678"})
    response = limited_client.post("/apply/status", data={"number": "1", "phone": "13912345678"})
    assert_chinese_error_page(response, 429, "请求过于频繁", "请稍等几分钟再试")
    assert "per 1 hour" not in page_text(response)


# -- 500 -----------------------------------------------------------------------------------------

def test_an_unexpected_failure_is_a_chinese_500_and_the_session_is_rolled_back(client, network, replace_view,
                                                                                monkeypatch):
    rollbacks = []
    monkeypatch.setattr(db.session, "rollback", lambda: rollbacks.append(1))

    def broken():
        raise RuntimeError("a bug")
    replace_view("public.park_directory", broken)
    response = client.get("/parks")
    assert_chinese_error_page(response, 500, "系统出错了", "已记录下来")
    assert "a bug" not in page_text(response) and rollbacks


def test_the_api_answers_a_failure_as_json(client, network, replace_view):
    def broken():
        raise RuntimeError("a bug")
    replace_view("api_parks.list_parks", broken)
    response = client.get("/api/v1/parks")
    assert response.status_code == 500 and response.get_json()["errors"][0]["code"] == "InternalError"


# -- 503: the database cannot be reached -------------------------------------------------------------

def lost_connection(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_a_lost_database_connection_is_a_503_page_and_the_session_is_rolled_back(client, network,
                                                                                  monkeypatch):
    rollbacks = []
    real_rollback = db.session.rollback
    monkeypatch.setattr(db.session, "rollback", lambda: (rollbacks.append(1), real_rollback()))
    monkeypatch.setattr(db.session, "execute", lost_connection)
    response = client.get("/parks")
    assert_chinese_error_page(response, 503, "系统暂时无法访问", "系统暂时无法访问数据库，请稍后再试")
    assert response.headers["Retry-After"] == "30" and rollbacks


def test_a_lost_database_connection_is_a_503_in_the_api_too(client, network, monkeypatch):
    monkeypatch.setattr(db.session, "execute", lost_connection)
    monkeypatch.setattr(db.session, "scalars", lost_connection)
    response = client.get("/api/v1/parks")
    assert response.status_code == 503
    assert response.get_json()["errors"] == [{"message": "系统暂时无法访问数据库，请稍后再试",
                                             "code": "DatabaseUnavailable"}]


def test_a_bad_statement_is_a_500_not_a_503(client, network, monkeypatch):
    def missing_table(*args, **kwargs):
        raise OperationalError("SELECT * FROM nothing", {}, Exception("no such table: nothing"))
    monkeypatch.setattr(db.session, "execute", missing_table)
    assert client.get("/parks").status_code == 500


@pytest.fixture
def unreachable(tmp_path):
    """An app whose PostgreSQL server refuses every connection."""
    broken = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=UNREACHABLE_POSTGRES))
    return broken.test_client()


def test_pages_answer_503_when_the_database_server_is_unreachable(unreachable):
    for path in ("/parks", "/parks/district", "/apply", "/no-such-page"):
        response = unreachable.get(path)
        assert_chinese_error_page(response, 503, "系统暂时无法访问", "系统暂时无法访问数据库，请稍后再试")


def test_the_api_answers_503_when_the_database_server_is_unreachable(unreachable):
    response = unreachable.get("/api/v1/parks")
    assert response.status_code == 503
    assert response.get_json()["errors"][0]["code"] == "DatabaseUnavailable"
    assert unreachable.get("/healthz").status_code == 503


# -- English -----------------------------------------------------------------------------------------

@pytest.mark.skipif(not COMPILED.exists(), reason="the English catalog is not compiled")
@pytest.mark.parametrize("path, status, title", [
    ("/no-such-page", 404, "Page not found"),
    ("/admin/users", 403, "Forbidden"),
])
def test_error_pages_are_english_in_english_mode(path, status, title, login_as):
    client = login_as("trainee-wang")
    client.get("/lang/en")
    response = client.get(path)
    assert response.status_code == status
    text = error_text(response)
    assert title in text and "Back to the home page" in text
    assert not HAN.search(text), text


@pytest.mark.skipif(not COMPILED.exists(), reason="the English catalog is not compiled")
def test_the_database_down_page_is_english_in_english_mode(client, network, monkeypatch):
    client.get("/lang/en")
    monkeypatch.setattr(db.session, "execute", lost_connection)
    response = client.get("/parks")
    assert response.status_code == 503
    assert "The system cannot reach its database right now" in error_text(response)
    assert not HAN.search(error_text(response))
