"""Plugin enablement is read once per process and again after a change (issue 14): a request sends no
statement for it, and a change made by another process (another gunicorn worker) is seen at once."""
import pytest

from incubator import create_app
from incubator.extensions import db
from incubator.parks import services as park_services
from incubator.plugins import enablement, is_enabled, registry, set_enablement
from incubator.testing import counting_queries, test_config


@pytest.fixture
def checklist(network):
    if "checklist" not in {info.name for info in registry().loaded()}:
        pytest.skip("the checklist plugin is disabled")


def settings_statements(client, url="/orgs"):
    with counting_queries(db.engine) as counter:
        assert client.get(url).status_code == 200
    return [s for s in counter.statements if "plugin_settings" in s or "plugin_parks" in s]


def test_a_warm_request_reads_no_plugin_settings(client, login_as):
    login_as("fangxing-mgr")
    client.get("/orgs")
    assert settings_statements(client) == []
    assert settings_statements(client, "/dashboard") == []


def test_the_administrators_change_is_seen_by_the_next_request(checklist, parks, client, login_as):
    login_as("admin")
    client.get("/orgs")
    response = client.post("/admin/plugins/checklist", data={"scope": "parks", "parks": [parks["changqing"].id]})
    assert response.status_code == 302
    assert len(settings_statements(client)) == 2  # read again once: settings and their parks
    assert settings_statements(client) == []
    with client.application.test_request_context():
        assert not is_enabled("checklist", parks["fangxing"].id)
        assert is_enabled("checklist", parks["changqing"].id)


def test_a_change_committed_by_another_process_is_seen_at_its_next_request(app, checklist, parks, client,
                                                                            login_as):
    """Two apps on one instance folder stand for two workers: the other's commit replaces the stamp."""
    other = create_app(test_config(app.instance_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                   DISABLED_PLUGINS=list(app.config["DISABLED_PLUGINS"])))
    login_as("admin")
    client.get("/orgs")
    with other.app_context():
        assert enablement()["checklist"].scope == "all"
        set_enablement("checklist", "none")
        db.session.commit()
    assert len(settings_statements(client)) == 2
    with app.test_request_context():
        assert not is_enabled("checklist")


def test_a_rolled_back_change_is_not_kept(app, checklist):
    with app.test_request_context():
        enablement()
        set_enablement("checklist", "none")
        db.session.rollback()
    with app.test_request_context():
        assert enablement()["checklist"].scope == "all"


STREET_PLUGIN = '''
"""滨湖新城积分 · a street plugin shipped for a park that does not exist yet."""
from incubator import hookimpl

INCUBATOR_DEFAULT_PARKS = ["binhu-xincheng"]


@hookimpl
def incubator_nav_items(user):
    return []
'''


def test_a_park_created_later_is_covered_by_a_street_plugins_default_parks(build_app, parks, users):
    street = build_app(files={"binhu_points": STREET_PLUGIN})
    with street.test_request_context():
        assert not is_enabled("binhu_points")  # its park is not there yet
    with street.test_request_context():
        park = park_services.create({"code": "binhu-xincheng", "name": "滨湖新城社区孵化点", "level": "community",
                                     "parent_id": parks["wannianbu"].id, "address": "滨湖新城", "area_m2": 100,
                                     "description": ""}, user=users["admin"])
        db.session.commit()
        park_id = park.id
    with street.test_request_context():
        assert is_enabled("binhu_points", park_id)
        assert not is_enabled("binhu_points", parks["fangxing"].id)
