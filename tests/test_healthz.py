"""/healthz names every dependency that is down (the core's and the plugins', declared with
`incubator_health_checks`): 503 then, 200 when all answer."""
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


# -- the certificates queue on Redis (plugins/certificates/health.py) ---------------------------------------

def test_the_certificates_queue_on_redis_is_checked(app):
    from plugins.certificates import health
    with app.test_request_context():
        app.config["CERTIFICATES_REDIS_URL"], previous = UNREACHABLE_REDIS, app.config.get("CERTIFICATES_REDIS_URL")
        try:
            checks = health.checks()
            with pytest.raises(redis.ConnectionError):
                checks["certificates_queue"]()
        finally:
            app.config["CERTIFICATES_REDIS_URL"] = previous


def test_the_certificates_queue_on_a_redis_that_answers_is_ok(app, redis_db):
    from plugins.certificates import health
    with app.test_request_context():
        app.config["CERTIFICATES_REDIS_URL"], previous = TEST_REDIS, app.config.get("CERTIFICATES_REDIS_URL")
        try:
            assert health.checks()["certificates_queue"]() is True
        finally:
            app.config["CERTIFICATES_REDIS_URL"] = previous


def test_the_certificates_queue_on_sqlite_has_nothing_to_check(app):
    from plugins.certificates import health
    with app.test_request_context():
        assert not app.config.get("CERTIFICATES_REDIS_URL")
        assert health.checks() == {}


def test_healthz_names_the_certificates_queue_when_its_redis_is_down(app, tmp_path):
    import plugins.certificates as certificates
    if not hasattr(certificates, "incubator_health_checks"):
        pytest.skip("plugins/certificates/__init__.py does not implement incubator_health_checks yet")
    from incubator import create_app
    from incubator.testing import test_config
    queued = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                    CERTIFICATES_REDIS_URL=UNREACHABLE_REDIS))
    response = queued.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["down"] == ["certificates_queue"]
