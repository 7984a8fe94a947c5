"""park_for / record_for: how a plugin loads what its URL names."""
import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden, NotFound

from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.plugins import park_for, record_for, set_enablement


def test_park_for_refuses_unknown_parks_disabled_plugins_and_missing_permission(app, users, parks):
    with app.test_request_context():
        login_user(db.session.merge(users["fangxing-mgr"]))
        assert park_for("checklist", "fangxing", "org.view").code == "fangxing"
        with pytest.raises(NotFound):
            park_for("checklist", "nowhere")
        with pytest.raises(Forbidden):
            park_for("checklist", "changqing", "org.view")
        set_enablement("checklist", "parks", [db.session.merge(parks["changqing"])])
        db.session.commit()
        with pytest.raises(NotFound):
            park_for("checklist", "fangxing", "org.view")


def test_record_for_refuses_missing_records_disabled_plugins_and_missing_permission(app, users, make_org):
    own, other = make_org(park="fangxing").id, make_org(park="changqing").id
    with app.test_request_context():
        login_user(db.session.merge(users["fangxing-mgr"]))
        assert record_for("checklist", Organization, own, "org.view").id == own
        with pytest.raises(NotFound):
            record_for("checklist", Organization, 999999, "org.view")
        with pytest.raises(Forbidden):
            record_for("checklist", Organization, other, "org.view")
        set_enablement("checklist", "none")
        db.session.commit()
        with pytest.raises(NotFound):
            record_for("checklist", Organization, own, "org.view")


def test_enabled_parks_and_visible_parks_follow_enablement_and_the_users_parks(app, users, parks):
    from incubator.plugins import enabled_parks, visible_parks
    with app.test_request_context():
        set_enablement("checklist", "parks", [db.session.merge(parks["changqing"]), db.session.merge(parks["fangxing"])])
        db.session.commit()
        assert [p.code for p in enabled_parks("checklist")] == sorted(
            ["changqing", "fangxing"], key=lambda code: parks[code].id)
        manager, admin = db.session.merge(users["fangxing-mgr"]), db.session.merge(users["admin"])
        assert [p.code for p in visible_parks(manager, "checklist")] == ["fangxing"]
        assert {p.code for p in visible_parks(admin, "checklist")} == {"changqing", "fangxing"}
        assert len(visible_parks(admin)) == len(parks)
