"""Fixtures for the core's tests (the shared ones come from incubator.testing via the root conftest)."""
import pytest
import redis

from incubator import create_app
from incubator.extensions import limiter
from incubator.plugins import registry
from incubator.testing import test_config


@pytest.fixture
def extra_plugin(app, ctx):
    """extra_plugin(obj, name) registers an object with @hookimpl methods for the rest of the test.

    It is not in the registry's list of found plugins, so it is called for every park.
    """
    registered = []

    def _register(plugin, name="test-extra"):
        registry().pm.register(plugin, name=name)
        registered.append(plugin)
        return plugin

    yield _register
    for plugin in registered:
        registry().pm.unregister(plugin)


@pytest.fixture
def csrf_on(app):
    """CSRF protection switched on (tests run with it off), restored afterwards."""
    previous = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = previous


@pytest.fixture
def build_app(app, network, tmp_path):
    """build_app(files={"name": source}, disabled=[...]) → an app on the test database with those
    plugins in its plugins directory: a source string is a one-file plugin, a {module: source} dict a
    package (`{"__init__": …, "views": …}`).

    The schema is already there (the `app` fixture migrated it); this app does not migrate.
    """
    def _build(files=None, disabled=()):
        plugins_dir = tmp_path / "plugins"
        plugins_dir.mkdir(exist_ok=True)
        for name, source in (files or {}).items():
            if isinstance(source, dict):
                (plugins_dir / name).mkdir(exist_ok=True)
                for module, text in source.items():
                    (plugins_dir / name / f"{module}.py").write_text(text, encoding="utf-8")
            else:
                (plugins_dir / f"{name}.py").write_text(source, encoding="utf-8")
        return create_app(test_config(
            str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            PLUGINS_DIR=str(plugins_dir), DISABLED_PLUGINS=list(app.config["DISABLED_PLUGINS"]) + list(disabled)))
    return _build


# -- rate limits on a real storage (tests/test_login_hardening.py, tests/test_healthz.py) -----------------

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a Redis that is down
TEST_REDIS = "redis://127.0.0.1:6379/12"


def _reset_limiter():
    try:
        limiter.reset()
    except redis.RedisError:  # the unreachable Redis of a test: nothing stored there anyway
        pass


@pytest.fixture
def limited_app(app, tmp_path, network):
    """limited_app(RATELIMIT_STORAGE_URI=…, LOGIN_RATE_LIMIT=…): an app with rate limits on, on the
    test database. The one `limiter` serves every app in the process: it is put back afterwards."""
    previous = limiter.enabled

    def _app(**config):
        config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        made = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                      RATELIMIT_ENABLED=True, **config))
        _reset_limiter()
        return made
    yield _app
    _reset_limiter()
    limiter._storage_dead = False  # Flask-Limiter's own flag: this test's Redis was "down"
    limiter.enabled = previous


@pytest.fixture
def redis_db():
    """The test Redis (db 12), emptied before and after; the test is skipped where none runs."""
    client = redis.Redis.from_url(TEST_REDIS, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"needs Redis at {TEST_REDIS}")
    client.flushdb()
    yield client
    client.flushdb()
