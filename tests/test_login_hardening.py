"""Logging in stays possible and hard to abuse: when the rate-limit Redis is down, against
attackers rotating addresses, without telling which usernames exist, with guessable passwords refused."""
import logging
import time

import pytest

from incubator import create_app
from incubator.extensions import limiter
from incubator.testing import PASSWORD, test_config
from incubator.users import models, services
from incubator.users.passwords import password_problem

from .helpers import page_text

from .conftest import TEST_REDIS, UNREACHABLE_REDIS


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


# -- the rate-limit storage is down --------------------------------------------------------------------

def test_login_and_tokens_work_while_the_rate_limit_redis_is_unreachable(limited_app, caplog):
    client = limited_app(RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS, LOGIN_RATE_LIMIT="2 per minute").test_client()
    with caplog.at_level(logging.WARNING):
        assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    assert any("falling back to in-memory" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    response = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    # A failed attempt is counted (per address and per account) in memory meanwhile, not dropped.
    assert client.post("/login", data={"username": "admin", "password": "guess"}).status_code == 200
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 429


def test_login_limits_are_shared_by_every_worker_through_redis(limited_app, redis_db):
    first = limited_app(RATELIMIT_STORAGE_URI=TEST_REDIS, LOGIN_RATE_LIMIT="2 per minute")
    first_storage = limiter.storage
    for _ in range(2):
        assert first.test_client().post("/login", data={"username": "admin", "password": "guess"}).status_code == 200
    assert redis_db.keys("LIMITS:*")
    # Another worker: its own app and storage connection, counting nothing itself.
    second = create_app(test_config(first.instance_path, SQLALCHEMY_DATABASE_URI=first.config["SQLALCHEMY_DATABASE_URI"],
                                    RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=TEST_REDIS,
                                    LOGIN_RATE_LIMIT="2 per minute"))
    assert limiter.storage is not first_storage
    response = second.test_client().post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 429


# -- the same work whether or not the user exists ---------------------------------------------------------

def test_a_password_hash_is_checked_whether_or_not_the_user_exists(network, monkeypatch):
    calls = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash", lambda *args: calls.append(args) or real(*args))
    for username in ("admin", "nobody-by-this-name", ""):
        calls.clear()
        assert services.authenticate(username, "wrong-password") is None
        assert len(calls) == 1, username


def test_an_inactive_users_password_is_checked_too(network, users, monkeypatch):
    from incubator.extensions import db
    account = services.by_username("fangxing-mgr")
    account.active = False
    db.session.commit()
    calls = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash", lambda *args: calls.append(args) or real(*args))
    assert services.authenticate("fangxing-mgr", PASSWORD) is None
    assert len(calls) == 1


# -- per account, whatever the address ---------------------------------------------------------------------

def test_an_attacker_rotating_addresses_is_stopped_at_the_account_limit(limited_app):
    client = limited_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per 15 minutes").test_client()
    for n, spelling in enumerate(("admin", " Admin", "ADMIN ")):
        response = client.post("/login", data={"username": spelling, "password": "guess"}, **_from(f"10.0.0.{n}"))
        assert response.status_code == 200
    response = client.post("/login", data={"username": "admin", "password": PASSWORD}, **_from("10.0.0.99"))
    assert response.status_code == 429
    assert "该账号登录失败次数过多，已暂时锁定，请 15 分钟后再试" in page_text(response)
    response = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}, **_from("10.0.1.1"))
    assert response.status_code == 429
    assert "该账号登录失败次数过多" in response.get_json()["errors"][0]["message"]
    # Other accounts are not affected.
    response = client.post("/login", data={"username": "fangxing-mgr", "password": PASSWORD}, **_from("10.0.0.99"))
    assert response.status_code == 302


def test_failures_on_the_page_and_the_token_endpoint_count_together(limited_app):
    client = limited_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per 15 minutes").test_client()
    assert client.post("/login", data={"username": "admin", "password": "guess"}, **_from("10.0.0.1")).status_code == 200
    for n in range(2):
        response = client.post("/api/v1/auth/token", json={"username": "admin", "password": "guess"}, **_from(f"10.0.2.{n}"))
        assert response.status_code == 401
    response = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}, **_from("10.0.3.1"))
    assert response.status_code == 429


def test_the_owner_logs_in_from_another_address_once_the_window_is_over(limited_app):
    client = limited_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="2 per 1 second").test_client()
    for n in range(2):
        client.post("/login", data={"username": "admin", "password": "guess"}, **_from(f"10.0.0.{n}"))
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}, **_from("10.9.9.9")).status_code == 429
    time.sleep(1.2)
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}, **_from("10.9.9.9")).status_code == 302


def test_successful_logins_do_not_use_up_the_account_limit(limited_app):
    client = limited_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes").test_client()
    for _ in range(4):
        assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
        client.post("/logout")


# -- new passwords ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["12345678", "password", "Password", "zhangsan", "zhangsan2024", "2024zhangsan!",
                                      "23456789", "abcdefgh", "98765432", "12121212", "abcabcab", "aaaaaaaa"])
def test_common_and_trivial_passwords_are_refused(ctx, password):
    assert password_problem(password, "zhangsan") is not None


def test_a_password_that_is_not_trivial_is_accepted(ctx):
    assert password_problem("zhangsan-lives-in-fangxing", "zhangsan") is None
    assert password_problem("Tr0ub4dor&3", "zhangsan") is None
