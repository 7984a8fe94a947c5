"""The one-file street plugin of the author's guide, loaded from its very file in docs/examples."""
from pathlib import Path

import pytest

import incubator
from incubator import testing
from incubator.extensions import db

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples" / "street_plugins"
NOTICE = "爱心驿站：工作日 9:00–17:00 开放"


@pytest.fixture(scope="module")
def street_app(tmp_path_factory):
    """An app of its own (SQLite in a fresh folder) with INCUBATOR_PLUGINS_DIR set to the examples."""
    folder = tmp_path_factory.mktemp("street")
    app = incubator.create_app(testing.test_config(str(folder), PLUGINS_DIR=str(EXAMPLES),
                                                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/street.db"))
    testing.reset_schema(app)
    with app.app_context():
        from incubator.demo import ensure_accounts, ensure_network
        from incubator.organizations.models import Organization
        from incubator.users.models import User
        parks = ensure_network()
        ensure_accounts(parks, testing.PASSWORD)
        manager = User(username="baogong-mgr", role="manager", name="包公街道管理员", parks=[parks["baogong"]])
        manager.set_password(testing.PASSWORD)
        db.session.add(manager)
        for code in ("baogong", "changqing"):
            db.session.add(Organization(name=f"{code}邻里互助会", park=parks[code], category="社区社会组织",
                                        contact_name="张芳", contact_phone="13912345678", stage="incubating"))
        db.session.commit()
        app.org_ids = {o.park.code: o.id for o in db.session.scalars(db.select(Organization))}
        db.session.remove()
    return app


def test_the_file_is_loaded_as_a_plugin_enabled_for_baogong_only(street_app):
    result = street_app.test_cli_runner().invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "baogong_notice" in result.output and "baogong_notice.py" in result.output
    with street_app.app_context():
        from incubator.plugins import registry
        info = registry().infos["baogong_notice"]
        assert info.loaded and info.default_parks == ["baogong"]
        assert info.hooks == ["incubator_dashboard_widgets", "incubator_org_panels"]


def test_the_notice_shows_for_baogong_and_not_elsewhere(street_app):
    client = street_app.test_client()
    testing.login(client, "baogong-mgr")
    assert NOTICE in client.get("/dashboard").get_data(as_text=True)
    assert NOTICE in client.get(f"/orgs/{street_app.org_ids['baogong']}").get_data(as_text=True)

    client.post("/logout")
    testing.login(client, "changqing-mgr")
    assert NOTICE not in client.get("/dashboard").get_data(as_text=True)
    assert NOTICE not in client.get(f"/orgs/{street_app.org_ids['changqing']}").get_data(as_text=True)

    client.post("/logout")
    testing.login(client, "admin")  # the district sees every park's dashboard, but the organization page only where on
    assert NOTICE not in client.get(f"/orgs/{street_app.org_ids['changqing']}").get_data(as_text=True)
    assert NOTICE in client.get(f"/orgs/{street_app.org_ids['baogong']}").get_data(as_text=True)
