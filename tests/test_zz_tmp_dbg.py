"""Each core hook, exercised through a probe plugin loaded from a plugins directory."""
from pathlib import Path

import pytest

from incubator import create_app
from incubator.extensions import db
from incubator.plugins import registry
from incubator.testing import login, test_config

PROBE_DIR = Path(__file__).parent / "hook_probe"


@pytest.fixture
def probe_app(app, _tmpdir):
    """A second app on the same database, with the probe plugin loaded from its directory."""
    probe = create_app(test_config(_tmpdir, PLUGINS_DIR=str(PROBE_DIR)))
    with probe.app_context():
        module = registry().infos["probe"].module
        module.CALLS.clear()
    return probe


@pytest.fixture
def probe(probe_app):
    with probe_app.app_context():
        return registry().infos["probe"].module


@pytest.fixture
def probe_client(probe_app, network):
    return probe_app.test_client()


def names(probe):
    return [name for name, _ in probe.CALLS]


def test_incubator_load_registers_pages(probe_app, probe):
    assert probe_app.test_client().get("/probe").get_data(as_text=True) == "probe page"


def test_incubator_api_blueprints_are_mounted_and_documented(probe_app):
    client = probe_app.test_client()
    assert client.get("/api/v1/probe/ping").get_json() == {"pong": True}
    assert "/api/v1/probe/ping" in client.get("/api/openapi.json").get_json()["paths"]


def test_incubator_nav_items_appear_in_the_menu(probe_client, probe):
    assert "探针菜单" in probe_client.get("/parks").get_data(as_text=True)
    assert "incubator_nav_items" in names(probe)


def test_incubator_org_panels_show_on_the_organization_page(probe_client, make_org, probe):
    org = make_org(name="<b>panel</b> org")
    login(probe_client, "fangxing-mgr")
    page = probe_client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "探针面板" in page and "probe panel for &lt;b&gt;panel&lt;/b&gt; org" in page


def test_incubator_dashboard_widgets_get_the_parks_shown(probe_client, probe):
    login(probe_client, "wannianbu-mgr")
    page = probe_client.get("/dashboard").get_data(as_text=True)
    assert "探针挂件" in page and "3 parks" in page
    call = [kw for name, kw in probe.CALLS if name == "incubator_dashboard_widgets"][-1]
    assert sorted(p.code for p in call["parks"]) == ["wanci", "wannianbu", "yunhua"]


def test_incubator_profile_panels_show_on_my_page(probe_client, probe):
    login(probe_client, "trainee-wang")
    assert "hello trainee-wang" in probe_client.get("/me").get_data(as_text=True)


def test_incubator_transition_check_vetoes_with_reasons(probe_client, make_org, probe):
    org = make_org(name="VETO me", stage="applied")
    login(probe_client, "fangxing-mgr")
    response = probe_client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "x"})
    assert response.status_code == 409 and "探针否决" in response.get_data(as_text=True)
    call = [kw for name, kw in probe.CALLS if name == "incubator_transition_check"][-1]
    assert (call["from_stage"], call["to_stage"]) == ("applied", "reviewing")


def test_incubator_transition_done_runs_after_commit_and_cannot_undo(probe_client, make_org, probe):
    org = make_org(name="BOOM org", stage="applied")
    login(probe_client, "fangxing-mgr")
    response = probe_client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "x"})
    assert response.status_code == 302  # the follow-up raised, the move stands
    call = [kw for name, kw in probe.CALLS if name == "incubator_transition_done"][-1]
    assert call["to_stage"] == "reviewing" and call["transition_id"] is not None
    db.session.expire_all()
    assert db.session.get(type(org), org.id).stage == "reviewing"


def test_incubator_permissions_and_incubator_permission(probe_app, network, make_org):
    from incubator.organizations.models import Organization
    from incubator.permissions import all_actions, can
    from incubator.users.services import by_username
    locked_id = make_org(name="LOCKED org").id
    with probe_app.test_request_context():
        assert ("probe.poke", "探针操作") in all_actions()
        assert can("probe.poke", user=by_username("expert-li"))
        assert not can("probe.poke", user=by_username("trainee-wang"))
        locked, admin = db.session.get(Organization, locked_id), by_username("admin")
        assert not can("org.edit", locked, user=admin)  # the plugin's False beats the core's True
        assert can("org.view", locked, user=admin)


def test_incubator_cli_adds_commands(probe_app):
    result = probe_app.test_cli_runner().invoke(args=["probe-hello"])
    assert result.output.strip() == "hello from the probe"


def test_incubator_seed_demo_is_called_with_session_and_size(probe_app, probe):
    runner = probe_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--orgs", "3"])
    assert result.exit_code == 0, result.output
    print("OUTPUT", result.output, [n for n, _ in probe.CALLS][-10:]); call = [kw for name, kw in probe.CALLS if name == "incubator_seed_demo"][-1]
    assert call["size"] == 3 and call["session"] is not None


def test_incubator_migration_dirs_add_plugin_branches(app):
    from alembic.script import ScriptDirectory
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert "0001_checklist" in heads and any(h.startswith("0001_core") or h for h in heads)
