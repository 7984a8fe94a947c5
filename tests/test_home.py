"""Where people land after logging in, and the to-dos counted in the menu."""
from incubator.extensions import db
from incubator.plugins import hook
from incubator.testing import login
from incubator.ui import Todo


def test_a_manager_lands_on_the_dashboard_with_applications_to_review(client, network, make_org):
    make_org(park="fangxing", stage="applied")
    make_org(park="fangxing", stage="applied")
    make_org(park="changqing", stage="applied")  # another park's: not this manager's to-do
    response = login(client, "fangxing-mgr")
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "新的入园申请待受理" in page
    todos = hook().incubator_todos(user=network["users"]["fangxing-mgr"])
    applied = [t for answer in todos if answer for t in answer if "入园申请" in t.label]
    assert applied[0].count == 2


def test_incubator_todos_from_a_plugin_are_counted_in_the_menu(app, client, network):
    class OnePlugin:
        from incubator.hookspecs import hookimpl

        @hookimpl
        def incubator_todos(user):
            return [Todo("测试待办事项", "/me", count=3)] if user.username == "trainee-wang" else None

    app.extensions["incubator_plugins"].pm.register(OnePlugin, name="one-todo")
    try:
        login(client, "trainee-wang")
        page = client.get("/me").get_data(as_text=True)
        assert 'title="未完成的待办">3<' in page.replace("\n", "")
    finally:
        app.extensions["incubator_plugins"].pm.unregister(name="one-todo")


def test_incubator_home_url_sends_a_role_to_its_plugin_page(app, client, network):
    class Landing:
        from incubator.hookspecs import hookimpl

        @hookimpl
        def incubator_home_url(user):
            return "/parks" if user.role == "expert" else None

    app.extensions["incubator_plugins"].pm.register(Landing, name="landing")
    try:
        assert login(client, "expert-zhou").headers["Location"].endswith("/parks")
    finally:
        app.extensions["incubator_plugins"].pm.unregister(name="landing")


def test_an_organization_contact_lands_on_the_portal(client, network, make_org):
    org = make_org(park="district", stage="incubating")
    user = network["users"]["trainee-chen"]
    user.organization_id = org.id
    db.session.commit()
    assert "/portal" in login(client, "trainee-chen").headers["Location"]
