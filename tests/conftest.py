"""Fixtures for the core's tests (the shared ones come from incubator.testing via the root conftest)."""
import pytest

from incubator.plugins import registry


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
