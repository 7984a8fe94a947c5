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


def test_the_streets_own_notice_reaches_its_people_once_the_day_before_the_meeting(street_app):
    """docs/examples/street_plugins/baogong_meeting.py: the day before the first Tuesday, the street's
    manager and its organizations' contacts are told, once; nobody of another street."""
    from datetime import date

    from incubator.notifications.models import Notification
    from incubator.notifications.reminders import send_reminders
    from incubator.users.models import User
    with street_app.test_request_context():
        people = {u.username: u for u in db.session.scalars(db.select(User))}
        people["trainee-chen"].organization_id = street_app.org_ids["baogong"]
        people["trainee-wang"].organization_id = street_app.org_ids["changqing"]
        db.session.commit()
        assert send_reminders(date(2027, 1, 3)) == 0
        assert send_reminders(date(2027, 1, 4)) == 1  # 5 January 2027 is the month's first Tuesday
        assert send_reminders(date(2027, 1, 4)) == 0  # asked again the same day (the worker asks hourly)
        told = db.session.scalars(db.select(Notification)).all()
        assert {people_id for people_id in (n.user_id for n in told)} == {
            people["baogong-mgr"].id, people["trainee-chen"].id}
        from incubator.notifications.services import rendered
        assert rendered(told[0].notice) == ("明天召开社区议事会（2027年1月5日）",
                                            "地点：包公街道党群服务中心二楼会议室。请各组织派一名代表参加。")
        assert told[0].notice.link == "/parks/baogong"
        db.session.remove()
