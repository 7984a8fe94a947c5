"""The menu's to-do count is kept per user (issue 14) and stops counting at 99: a page that only reads asks no plugin for
to-dos, and any commit that writes — in this process or another on the same instance folder — the
district's day changing, or the cache's age, has the next page ask again."""
from datetime import date, timedelta

from sqlalchemy import insert, text, update

from incubator import create_app, home
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.stamps import TimedCache, stamp, timed_cache
from incubator.testing import test_config


def asked(client, monkeypatch, url="/orgs") -> int:
    """How many times a GET of `url` asked the plugins for the user's to-dos."""
    calls = []
    original = home._ask_plugins
    monkeypatch.setattr(home, "_ask_plugins", lambda user: calls.append(user.id) or original(user))
    assert client.get(url).status_code == 200
    monkeypatch.setattr(home, "_ask_plugins", original)
    return len(calls)


def badge(client, as_shown=False):
    """The menu's count of open to-dos (no badge: none)."""
    page = client.get("/orgs").get_data(as_text=True)
    mark = 'title="未完成的待办">'
    if mark not in page:
        return 0
    start = page.index(mark) + len(mark)
    shown = page[start:page.index("<", start)]
    return shown if as_shown else int(shown)


def test_a_page_that_only_reads_asks_no_plugin(client, login_as, monkeypatch):
    login_as("fangxing-mgr")
    client.get("/orgs")
    assert asked(client, monkeypatch) == 0
    assert asked(client, monkeypatch, "/dashboard") == 0  # the landing page's list is the same one


def test_a_new_application_shows_in_the_menu_at_once(client, login_as, make_org):
    login_as("fangxing-mgr")
    before = badge(client)
    make_org(park="fangxing", stage="applied")  # committed by the session, as a page would
    assert badge(client) == before + 1


def test_a_bulk_update_and_text_sql_count_as_writes(app, client, login_as, make_org, monkeypatch):
    org = make_org(park="fangxing", stage="applied")
    login_as("fangxing-mgr")
    client.get("/orgs")
    with app.app_context():
        db.session.execute(update(Organization).where(Organization.id == org.id).values(name="改名后的中心"))
        db.session.commit()
    assert asked(client, monkeypatch) == 1
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a read is not a write
        db.session.commit()
    assert asked(client, monkeypatch) == 0
    with app.app_context():
        db.session.execute(text("UPDATE organizations SET description = 'x' WHERE id = :id"), {"id": org.id})
        db.session.commit()
    assert asked(client, monkeypatch) == 1


def test_a_rolled_back_write_is_still_a_change_at_the_next_commit(app, client, login_as, monkeypatch):
    login_as("fangxing-mgr")
    client.get("/orgs")
    with app.app_context():
        db.session.execute(text("UPDATE organizations SET description = 'x'"))
        db.session.rollback()
        db.session.commit()  # nothing written: the extra change is harmless
    assert asked(client, monkeypatch) == 1


def test_a_write_committed_by_another_process_is_seen_at_the_next_page(app, client, login_as, make_org,
                                                                      monkeypatch):
    """Two apps on one instance folder stand for two gunicorn workers."""
    other = create_app(test_config(app.instance_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                   DISABLED_PLUGINS=list(app.config["DISABLED_PLUGINS"])))
    login_as("fangxing-mgr")
    before = badge(client)
    org = make_org(park="fangxing", stage="incubating")
    client.get("/orgs")
    with other.app_context():
        db.session.execute(update(Organization).where(Organization.id == org.id).values(stage="applied"))
        db.session.commit()
    assert badge(client) == before + 1


def test_each_user_and_language_has_its_own(client, login_as, monkeypatch):
    login_as("fangxing-mgr")
    client.get("/orgs")
    login_as("changqing-mgr")
    assert asked(client, monkeypatch) == 1
    client.get("/lang/en")
    assert asked(client, monkeypatch) == 1


def test_the_next_day_asks_again(client, login_as, monkeypatch):
    login_as("fangxing-mgr")
    client.get("/orgs")
    tomorrow = date.today() + timedelta(days=1)
    monkeypatch.setattr(home, "today", lambda: tomorrow)
    assert asked(client, monkeypatch) == 1


def test_a_value_expires_after_its_age_and_the_oldest_key_leaves_first(app, monkeypatch):
    import incubator.stamps as stamps
    with app.app_context():
        cache = TimedCache("data", max_age=30.0, size=2)
        clock = [1000.0]
        monkeypatch.setattr(stamps.time, "monotonic", lambda: clock[0])
        assert cache.get("a", lambda: 1) == 1
        assert cache.get("a", lambda: 2) == 1
        clock[0] += 31
        assert cache.get("a", lambda: 3) == 3
        cache.get("b", lambda: 4)
        cache.get("c", lambda: 5)
        assert list(cache.values) == ["b", "c"]
        stamp("data").change()
        assert cache.get("b", lambda: 6) == 6
        assert timed_cache("todos") is timed_cache("todos")


def test_what_grows_with_the_district_is_counted_up_to_99(client, login_as, parks):
    past = date.today() - timedelta(days=10)
    db.session.execute(insert(Organization), [
        {"name": f"逾期社工服务中心{i}", "name_initials": f"yqsg{i}", "category": "社工服务类", "registration_status": "unregistered",
         "contact_name": "张芳", "contact_phone": "13912345678", "service_area": "", "description": "",
         "park_id": parks["fangxing"].id, "stage": "incubating", "incubation_start": past - timedelta(days=730),
         "incubation_due": past} for i in range(120)])
    db.session.commit()
    login_as("fangxing-mgr")
    assert badge(client, as_shown=True) == "99+"
    page = client.get("/dashboard").get_data(as_text=True)
    overdue = page.index("孵化已到期，请续驻、出壳或退出")
    assert '<span class="badge bg-warning text-dark">99+</span>' in page[overdue:overdue + 400]


def test_a_count_past_99_shows_as_99_plus_whether_or_not_counting_stopped():
    from incubator.ui import Todo
    assert Todo("新的入园申请待受理", "/orgs", count=225).shown == "99+"
    assert Todo("孵化已到期", "/orgs", **Todo.capped(100)).shown == "99+"
    assert Todo("孵化已到期", "/orgs", **Todo.capped(99)).shown == "99"
