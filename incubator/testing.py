"""Pytest fixtures shared by the core's and every plugin's tests (loaded from the root conftest.py).

The suite runs on SQLite by default and on PostgreSQL when INCUBATOR_TEST_DATABASE_URL is set.
The schema is built once per session by the real migrations (core and plugin branches); after each
test every table is emptied, and each test starts from the demo network and accounts.
"""
import contextlib
import os
import tempfile
from html.parser import HTMLParser

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from . import create_app, schema_versions
from .extensions import db
from .schema_versions import CORE_TABLE
from .plugins import forget_enablement
from .stamps import data_changed

PASSWORD = "demo12345"


def database_url(tmpdir: str) -> str:
    """SQLite in the run's temporary folder, or INCUBATOR_TEST_DATABASE_URL; under pytest-xdist each
    worker gets a PostgreSQL database of its own (`test_gw0`, `test_gw1`, …), created when missing."""
    url = os.environ.get("INCUBATOR_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmpdir}/test.db"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


def _worker_database(url: str, worker: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'test'}_{worker}"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def counting_queries(engine):
    """Count the SQL statements sent through `engine` inside the block: `with ... as counter: counter.n`
    (and `counter.statements`)."""
    from sqlalchemy import event

    class Counter:
        n = 0

    counter = Counter()
    counter.statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        counter.n += 1
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements_sent(call) -> int:
    """How many SQL statements `call()` sends: for the tests that a count stays the same whatever
    the number of records (the core's and the plugins')."""
    with counting_queries(db.engine) as counter:
        call()
    return counter.n


def test_config(tmpdir: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmpdir),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test
statements_sent.__test__ = False


def reset_schema(app) -> None:
    """Drop everything and rebuild with the migrations (core and plugin branches)."""
    with app.app_context():
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                db.metadata.drop_all(conn)
                for name in inspect(conn).get_table_names():
                    if name.startswith(CORE_TABLE):  # the core's and each plugin's version table
                        conn.execute(text(f'DROP TABLE "{name}"'))
        schema_versions.upgrade("heads")


def empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        # Only tables that exist: a disabled plugin's models may be imported (by its skipped
        # tests) without its migrations having run.
        if "test_tables" not in app.extensions:
            app.extensions["test_tables"] = set(inspect(db.engine).get_table_names())
        existing = app.extensions["test_tables"]
        tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in existing]
        if db.engine.dialect.name == "postgresql":
            # DELETE (children first) and restarting the sequences: TRUNCATE costs tens of milliseconds
            # per table, about a second per test with forty tables, for the few rows a test leaves.
            try:
                with db.engine.begin() as conn:
                    for table in tables:
                        conn.execute(text(f'DELETE FROM "{table}"'))
                    conn.execute(text("SELECT setval(quote_ident(sequence_name), 1, false) "
                                      "FROM information_schema.sequences WHERE sequence_schema = current_schema()"))
            except DBAPIError:  # e.g. a cycle of foreign keys: TRUNCATE … CASCADE copes with anything
                with db.engine.begin() as conn:
                    conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            with db.engine.begin() as conn:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
        forget_enablement()  # the plugin settings and parks are gone with the rows
        data_changed()  # and what was cached from them (written past the session)


@pytest.fixture(scope="session")
def _tmpdir():
    with tempfile.TemporaryDirectory() as path:
        os.environ.setdefault("INCUBATOR_INSTANCE_PATH", path)
        yield path


@pytest.fixture(scope="session")
def app(_tmpdir):
    app = create_app(test_config(_tmpdir))
    reset_schema(app)
    # While a test holds an application context (the `ctx` fixture), Flask runs the test client's
    # requests in that same context, so `g` would carry one request's user, locale and plugin
    # enablement into the next. Start every request with an empty `g`, as in production.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    return app


def _fresh_g():
    from flask import g
    for key in list(g):
        g.pop(key, None)


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        empty_tables(app)


@pytest.fixture
def ctx(app):
    """An application context with a fake request, so url_for and current_user work."""
    with app.test_request_context():
        yield
        db.session.remove()


@pytest.fixture
def network(app, ctx):
    """The demo 1+N network and accounts: {"parks": {code: Park}, "users": {username: User}}."""
    from .demo import ensure_accounts, ensure_network
    from .users.models import User
    parks = ensure_network()
    ensure_accounts(parks, PASSWORD)
    db.session.commit()
    users = {u.username: u for u in db.session.scalars(db.select(User))}
    return {"parks": parks, "users": users}


@pytest.fixture
def parks(network):
    return network["parks"]


@pytest.fixture
def users(network):
    return network["users"]


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username: str, password: str = PASSWORD):
    """Log `client` in through the real login form; returns the response."""
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed"
    return response


@pytest.fixture
def login_as(client, network):
    """login_as("fangxing-mgr") logs the test client in as that demo account."""
    def _login(username):
        client.post("/logout")
        login(client, username)
        return client
    return _login


@pytest.fixture
def api(client, network):
    """api("admin") returns headers with a bearer token for that demo account."""
    def _headers(username):
        response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}
    return _headers


@pytest.fixture
def make_org(network):
    """make_org(park="fangxing", stage="incubating", **fields) creates an organization directly."""
    from datetime import date

    from .dates import today as district_today
    from .organizations.models import Organization, Transition
    from .organizations.services import add_years
    from .search import initials
    counter = {"n": 0}

    def _make(park="fangxing", stage="applied", **fields):
        counter["n"] += 1
        name = fields.pop("name", f"测试社工服务中心{counter['n']}")
        values = dict(category="社工服务类", contact_name="张芳", contact_phone="13912345678",
                      registration_status="unregistered")
        values.update(fields)
        if stage in ("incubating", "virtual", "graduated", "exited") and "incubation_start" not in values:
            values["incubation_start"] = date.today()
            values["incubation_due"] = add_years(date.today(), 2)
        org = Organization(name=name, name_initials=initials(name), park=network["parks"][park],
                           stage=stage, **values)
        db.session.add(org)
        db.session.flush()
        db.session.add(Transition(organization_id=org.id, from_stage=None, to_stage=stage, note="test",
                                  happened_on=district_today()))
        db.session.commit()
        return org
    return _make


def pytest_collection_modifyitems(config, items):
    """A plugin disabled by INCUBATOR_DISABLED_PLUGINS has its tests skipped, not failed."""
    disabled = {name.strip() for name in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",") if name.strip()}
    if not disabled:
        return
    for item in items:
        parts = item.path.parts
        if "plugins" in parts:
            name = parts[parts.index("plugins") + 1] if parts.index("plugins") + 1 < len(parts) else ""
            if name in disabled:
                item.add_marker(pytest.mark.skip(reason=f"plugin {name} is disabled"))


@pytest.fixture
def postgres_only(app):
    """Skip unless the suite runs on PostgreSQL (concurrency tests need real row locks)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: set INCUBATOR_TEST_DATABASE_URL")


@pytest.fixture
def only_plugins(network):
    """only_plugins("checklist") switches every other plugin off everywhere for this test, so that
    another plugin's veto (mentoring sessions, an exit assessment, …) does not blur what is tested."""
    from .plugins import registry, set_enablement

    def _only(*names):
        for info in registry().loaded():
            if info.name not in names:
                set_enablement(info.name, "none")
        db.session.commit()
    return _only


@pytest.fixture
def rate_limited(app, tmp_path, network):
    """rate_limited(LOGIN_RATE_LIMIT="3 per minute") gives a test client of an app with rate limits
    on, sharing the test database (already migrated).

    Flask-Limiter's `limiter` is one object for every app in the process: creating this app turns it
    on for all of them, so it is switched back off afterwards.
    """
    from .extensions import limiter
    previous = limiter.enabled

    def _client(**limits):
        limited = create_app(test_config(str(tmp_path), SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                         RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **limits))
        limiter.reset()
        return limited.test_client()
    yield _client
    limiter.reset()
    limiter.enabled = previous


def race(app, n: int, work, timeout: float = 120):
    """Run `work(i)` for i in 0..n-1 in `n` threads released together, each with its own app
    context and database session; returns what each returned, or the exception it raised.

    For concurrency tests on PostgreSQL (take the `postgres_only` fixture): capacity, budgets,
    stock and balances must hold when requests really overlap.
    """
    import threading
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def run(i):
        with app.app_context():
            try:
                barrier.wait()
                outcomes[i] = work(i)
            except Exception as exc:  # collected: the test decides what was expected
                outcomes[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


class Page(HTMLParser):
    """What a page offers a person: its POST forms (submit controls, data-confirm, options, fields)
    and its tables (rows, cells, cells with a data-label), for page tests of every plugin.

        page = Page(client.get(url).get_data(as_text=True))
        assert page.form("/pay")["confirm"] and page.form("/pay")["submit"]
    """

    def __init__(self, html: str):
        super().__init__()
        self.html = html
        self.forms: list[dict] = []
        self.tables: list[dict] = []
        self._form = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "submit": [], "confirm": attrs.get("data-confirm"),
                          "options": [], "fields": []}
            self.forms.append(self._form)
        elif tag == "table":
            self.tables.append({"class": attrs.get("class") or "", "rows": 0, "cells": 0, "labelled": 0})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"] += 1
        elif tag == "td" and self.tables:
            self.tables[-1]["cells"] += 1
            self.tables[-1]["labelled"] += "data-label" in attrs
        if self._form is not None:
            if (tag == "button" and attrs.get("type", "submit") == "submit") or \
                    (tag == "input" and attrs.get("type") == "submit"):
                self._form["submit"].append(attrs.get("value") or "")
            if tag in ("input", "select", "textarea") and attrs.get("name"):
                self._form["fields"].append(attrs["name"])
            if tag == "option":
                self._form["options"].append({"value": attrs.get("value"), "confirm": attrs.get("data-confirm"),
                                              "selected": "selected" in attrs})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def form(self, ending: str) -> dict:
        return next(f for f in self.forms if f["action"].endswith(ending))
