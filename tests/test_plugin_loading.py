"""Where plugins come from (entry points, a directory of single files), how they are switched off, and
what happens to broken ones: reported in `incubator plugins list` and /admin/plugins, left out, while
the platform still starts and serves."""
import textwrap

import click
import pytest

from incubator import create_app, hookimpl
from incubator.config import load_config
from incubator.plugins import registry
from incubator.testing import test_config

from .helpers import logged_in

STREET_PLUGIN = '''
"""方兴志愿积分 · a street's own plugin, one file."""
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel

INCUBATOR_DEFAULT_PARKS = ["fangxing"]


@hookimpl
def incubator_org_panels(org, user):
    return [Panel("方兴志愿积分", Markup("<p>street-points-panel</p>"))]


@hookimpl
def incubator_nav_items(user):
    return [NavItem("志愿积分", "/parks/fangxing")]
'''

BROKEN = {
    "syntax_error": "from incubator import hookimpl\n\ndef incubator_nav_items(user)\n    return []\n",
    "failing_load": textwrap.dedent('''
        from incubator import hookimpl

        @hookimpl
        def incubator_load(app):
            raise RuntimeError("settings file missing")

        @hookimpl
        def incubator_nav_items(user):
            return []
    '''),
    "wrong_arguments": textwrap.dedent('''
        from incubator import hookimpl

        @hookimpl
        def incubator_org_panels(organization, viewer):
            return []
    '''),
    "failing_api": textwrap.dedent('''
        from incubator import hookimpl

        @hookimpl
        def incubator_api_blueprints():
            raise ImportError("no module named flask_restx")
    '''),
}


def plugins_list(app) -> str:
    with app.app_context():  # the command runs in whichever app's context is current
        result = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_checklist_plugin_comes_from_its_entry_point(app, ctx):
    info = registry().infos.get("checklist")
    if info is None or info.disabled:
        pytest.skip("the checklist plugin is disabled")
    assert info.loaded and info.source == "entry point plugins.checklist" and info.error is None
    assert {"incubator_transition_check", "incubator_org_panels", "incubator_load"} <= set(info.hooks)
    assert "checklist" in plugins_list(app) and "enabled: all parks" in plugins_list(app)


def test_a_single_file_plugin_is_loaded_from_the_plugins_directory(build_app, make_org):
    street = build_app({"street_points": STREET_PLUGIN})
    info = street.extensions["incubator_plugins"].infos["street_points"]
    assert info.loaded and info.source.startswith("file ") and info.source.endswith("street_points.py")
    assert info.default_parks == ["fangxing"]
    assert "street_points" in plugins_list(street) and "enabled: fangxing" in plugins_list(street)

    # It runs for its own park only.
    fangxing, changqing = make_org(park="fangxing"), make_org(park="changqing")
    client = logged_in(street)
    assert "street-points-panel" in client.get(f"/orgs/{fangxing.id}").get_data(as_text=True)
    assert "street-points-panel" not in client.get(f"/orgs/{changqing.id}").get_data(as_text=True)
    assert "志愿积分" in client.get("/parks").get_data(as_text=True)
    assert "志愿积分" not in logged_in(street, "changqing-mgr").get("/dashboard").get_data(as_text=True)
    assert "志愿积分" in logged_in(street, "fangxing-mgr").get("/dashboard").get_data(as_text=True)


def test_disabled_plugins_are_listed_but_not_run(build_app, make_org):
    street = build_app({"street_points": STREET_PLUGIN}, disabled=["street_points", "checklist"])
    infos = street.extensions["incubator_plugins"].infos
    assert infos["street_points"].disabled and not infos["street_points"].loaded
    assert infos["checklist"].disabled
    assert "DISABLED by INCUBATOR_DISABLED_PLUGINS" in plugins_list(street)
    org = make_org(park="fangxing", stage="incubating")
    client = logged_in(street)
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "street-points-panel" not in page and "出壳必需" not in page
    assert "已被配置禁用" in client.get("/admin/plugins").get_data(as_text=True)
    assert client.get("/checklist").status_code == 404  # its pages are not there at all


@pytest.mark.parametrize("name, error", [
    ("syntax_error", "SyntaxError"),
    ("failing_load", "RuntimeError: settings file missing"),
    ("wrong_arguments", "PluginValidationError"),
    ("failing_api", "ImportError: no module named flask_restx"),
])
def test_a_broken_plugin_is_reported_and_left_out_while_the_platform_serves(name, error, build_app, make_org):
    platform = build_app({name: BROKEN[name], "street_points": STREET_PLUGIN})
    info = platform.extensions["incubator_plugins"].infos[name]
    assert not info.loaded and error in info.error
    listing = plugins_list(platform)
    assert name in listing and "BROKEN" in listing and error in listing

    client = logged_in(platform)
    assert client.get("/healthz").status_code == 200
    assert client.get("/parks").status_code == 200
    admin_page = client.get("/admin/plugins").get_data(as_text=True)
    assert "加载失败" in admin_page and error in admin_page
    # The good plugin beside it still works.
    org = make_org(park="fangxing")
    assert "street-points-panel" in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/organizations/{org.id}", headers={"Authorization": "Bearer x"}).status_code == 401


def test_a_missing_plugins_directory_is_not_fatal(app, network, tmp_path):
    platform = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                      PLUGINS_DIR=str(tmp_path / "no-such-dir"),
                                      DISABLED_PLUGINS=app.config["DISABLED_PLUGINS"]))
    assert platform.test_client().get("/healthz").status_code == 200


def test_the_environment_names_the_directory_and_the_deny_list(monkeypatch, tmp_path):
    from flask import Flask
    monkeypatch.setenv("INCUBATOR_PLUGINS_DIR", str(tmp_path))
    monkeypatch.setenv("INCUBATOR_DISABLED_PLUGINS", "mentoring, passport,,")
    monkeypatch.setenv("INCUBATOR_DATABASE_URL", "postgres://u@db/incubator")
    flask_app = Flask("config-test", instance_path=str(tmp_path / "instance"))
    load_config(flask_app)
    assert flask_app.config["PLUGINS_DIR"] == str(tmp_path)
    assert flask_app.config["DISABLED_PLUGINS"] == ["mentoring", "passport"]
    assert flask_app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/incubator"
    key_file = tmp_path / "instance" / "secret_key"  # generated once, kept in instance/, readable by us only
    assert key_file.read_text().strip() == flask_app.config["SECRET_KEY"] and (key_file.stat().st_mode & 0o777) == 0o600
    again = Flask("config-test", instance_path=str(tmp_path / "instance"))
    load_config(again)
    assert again.config["SECRET_KEY"] == flask_app.config["SECRET_KEY"]
    monkeypatch.setenv("INCUBATOR_SECRET_KEY", "from-the-environment")
    configured = Flask("config-test", instance_path=str(tmp_path / "instance"))
    load_config(configured)
    assert configured.config["SECRET_KEY"] == "from-the-environment"


def test_a_file_plugin_cannot_take_the_name_of_an_installed_one(build_app):
    platform = build_app({"checklist": STREET_PLUGIN})
    infos = platform.extensions["incubator_plugins"].infos
    if infos["checklist"].disabled:
        pytest.skip("the checklist plugin is disabled")
    duplicate = infos["checklist (duplicate)"]
    assert "duplicate plugin name" in duplicate.error and duplicate.source.startswith("file ")
    assert infos["checklist"].source == "entry point plugins.checklist" and infos["checklist"].loaded
    assert "duplicate plugin name" in plugins_list(platform)


FAILING_AT_RUN_TIME = '''
from incubator import hookimpl


@hookimpl
def incubator_org_panels(org, user):
    raise ZeroDivisionError("panel bug")


@hookimpl
def incubator_nav_items(user):
    raise KeyError("menu bug")


@hookimpl
def incubator_dashboard_widgets(parks, user):
    raise ValueError("widget bug")


@hookimpl
def incubator_profile_panels(user):
    raise RuntimeError("profile bug")
'''


def test_a_plugin_failing_while_drawing_a_page_loses_only_its_own_part(build_app, make_org, caplog):
    platform = build_app({"buggy_panels": FAILING_AT_RUN_TIME, "street_points": STREET_PLUGIN})
    org = make_org(park="fangxing")
    client = logged_in(platform, "fangxing-mgr")
    page = client.get(f"/orgs/{org.id}")
    assert page.status_code == 200
    assert "street-points-panel" in page.get_data(as_text=True)  # the other plugin's panel is still there
    assert "志愿积分" in page.get_data(as_text=True)              # and its menu entry
    assert client.get("/dashboard").status_code == 200
    assert client.get("/me").status_code == 200
    assert "plugin buggy_panels failed in incubator_org_panels" in caplog.text


def test_trace_plugins_logs_every_hook_call_with_its_answer(app, network, tmp_path, caplog):
    traced = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                    DISABLED_PLUGINS=app.config["DISABLED_PLUGINS"], TRACE_PLUGINS=True))
    with caplog.at_level("INFO", logger="incubator.plugins.trace"):
        assert logged_in(traced).get("/parks").status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "incubator.plugins.trace"]
    assert any(line.startswith("incubator_nav_items(user=") and "core" in line for line in lines)
    assert any(line.startswith("incubator_nav_items answered [") for line in lines)


def test_call_each_calls_in_pluggys_order(app, ctx):
    """Start-up hooks called one by one follow the order pluggy itself would call them in."""
    reg = registry()
    order = []
    first, second = type("First", (), {}), type("Second", (), {})
    for cls, name in ((first, "first"), (second, "second")):
        cls.incubator_cli = staticmethod(hookimpl(lambda cli, name=name: order.append(name)))
    reg.pm.register(first(), name="order-first")
    reg.pm.register(second(), name="order-second")
    try:
        reg.call_each("incubator_cli", cli=click.Group("scratch"))
        by_call_each = [n for n in order if n in ("first", "second")]
        order.clear()
        reg.pm.hook.incubator_cli(cli=click.Group("scratch"))
        assert by_call_each == [n for n in order if n in ("first", "second")] == ["second", "first"]
        assert all(info.error is None for info in reg.loaded())
    finally:
        reg.pm.unregister(name="order-first")
        reg.pm.unregister(name="order-second")
