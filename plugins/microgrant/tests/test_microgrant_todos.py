"""公益微创投's to-dos (incubator_todos): what waits for the experts, the round's managers and the
organizations' contacts — in bounded queries, and only where the plugin is enabled."""
from datetime import timedelta

from incubator.dates import today
from incubator.extensions import db
from incubator.plugins import hook, hooks_for, set_enablement
from incubator.testing import login
from plugins.microgrant import services


def todos(user, manager_parks=None):
    """The micro-grant to-dos of `user`, as the core gathers them (managers: plugins of their parks)."""
    relay = hooks_for(manager_parks) if manager_parks is not None else hook()
    return [t for answer in relay.incubator_todos(user=user) if answer for t in answer
            if "/microgrant/" in t.url]


def test_an_expert_sees_the_projects_waiting_for_their_score(users, make_round, make_application):
    rnd = make_round(experts=("expert-li",))
    first, second = make_application(rnd), make_application(rnd)
    (item,) = todos(users["expert-li"])
    assert item.count == 2 and rnd.title in item.label and "评分" in item.label
    assert item.due == rnd.review_until and item.url.endswith(f"/microgrant/rounds/{rnd.id}?status=submitted")
    services.score(first, users["expert-li"], {"需求明确": 30, "方案可行": 50})
    (item,) = todos(users["expert-li"])
    assert item.count == 1 and item.url.endswith(f"/microgrant/applications/{second.id}")
    assert todos(users["expert-zhou"]) == []  # not this round's expert


def test_nothing_to_score_before_the_review_period(users, make_round, make_application):
    rnd = make_round(apply_until=today() + timedelta(days=5), review_from=today() + timedelta(days=6),
                     review_until=today() + timedelta(days=9), execute_from=today() + timedelta(days=10))
    make_application(rnd)
    assert todos(users["expert-li"]) == []


def test_the_rounds_manager_sees_decisions_then_tranches_to_pay(users, parks, make_round, make_application, mgr):
    rnd = make_round()
    application = make_application(rnd)
    manager = users["wannianbu-mgr"]
    (decide,) = todos(manager, manager.parks)
    assert "立项决定" in decide.label and decide.count == 1
    assert decide.url.endswith(f"/microgrant/applications/{application.id}")
    services.decide(application, True, 1_000_000, "", user=mgr)
    (pay,) = todos(manager, manager.parks)
    assert "拨付" in pay.label and pay.count == 1
    services.pay(application, 1, user=mgr)
    assert todos(manager, manager.parks) == []  # the second tranche waits for the mid-term review
    services.review(application, True, "进展良好", user=mgr)
    (pay,) = todos(manager, manager.parks)
    assert pay.count == 1
    other = users["changqing-mgr"]
    assert todos(other, other.parks) == []  # another park's manager


def test_a_contact_is_told_of_a_round_open_to_their_organization_until_they_apply(users, make_round, make_org,
                                                                                  make_application):
    rnd = make_round()
    org = make_org(park="yunhua", name="云华睦邻会")  # 云华社区 lies under 万年埠街道
    contact = users["trainee-chen"]
    contact.organization_id = org.id
    db.session.commit()
    (item,) = todos(contact)
    assert rnd.title in item.label and "云华睦邻会" in item.label and item.due == rnd.apply_until
    assert item.url.endswith(f"/microgrant/rounds/{rnd.id}")
    make_application(rnd, org=org)
    assert todos(contact) == []

    elsewhere = make_org(park="changqing")
    contact.organization_id = elsewhere.id
    db.session.commit()
    assert todos(contact) == []  # the round is not open to 常青街道's organizations


def test_no_to_dos_where_the_plugin_is_not_enabled(users, parks, make_round, make_application, make_org):
    rnd = make_round()
    make_application(rnd)
    contact = users["trainee-chen"]
    contact.organization_id = make_org(park="wannianbu").id
    set_enablement("microgrant", "parks", [parks["changqing"]])
    db.session.commit()
    manager = users["wannianbu-mgr"]
    assert todos(users["expert-li"]) == [] and todos(contact) == [] and todos(manager, manager.parks) == []


def test_the_to_dos_are_counted_in_the_menu_in_a_bounded_number_of_queries(app, client, users, make_round,
                                                                           make_application):
    from sqlalchemy import event

    from plugins.microgrant.views import todos as microgrant_todos
    rnd = make_round(experts=("expert-li",))
    make_application(rnd)
    with app.app_context():
        engine = db.engine

    def queries():
        count = {"n": 0}

        def counter(*_):
            count["n"] += 1
        with app.test_request_context():
            microgrant_todos(users["expert-li"]), microgrant_todos(users["wannianbu-mgr"])  # warm the caches
            event.listen(engine, "before_cursor_execute", counter)
            try:
                microgrant_todos(users["expert-li"])
                microgrant_todos(users["wannianbu-mgr"])
            finally:
                event.remove(engine, "before_cursor_execute", counter)
        return count["n"]
    few = queries()
    for _ in range(20):
        make_application(rnd)
    assert queries() == few <= 3  # one for the expert, two for the manager
    login(client, "expert-li")
    page = client.get("/parks").get_data(as_text=True)
    assert 'title="未完成的待办">21<' in page.replace("\n", "")  # 21 projects to score
