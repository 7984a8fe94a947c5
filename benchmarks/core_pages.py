"""Benchmark: organization list, search and dashboard at 10,000 organizations / 100,000 transitions.

Builds a fresh database (SQLite in a temp dir, or --database-url for PostgreSQL), migrates it,
loads `incubator demo --orgs N --transitions T`, then times each page through the WSGI app
(Flask's test client: the server-side cost of routing, queries and templates, without network).
Prints median and 95th percentile per page, the number of SQL statements each page issues, and
each median as a multiple of a floor measured in the same run: a bare Flask app with the same
database driver (sqlite3, or psycopg for PostgreSQL) serving a plain HTML list of the first 20 of
as many rows of a similar table, timed the same way. Each page is timed twice: as it is read again
and again (what the processes keep under the data stamp — the menu's to-dos, the figures — is
kept), and just after a commit that wrote (the stamp changed before each request: all of it is
computed again, as on the first page anybody reads after any change).

    .venv/bin/python benchmarks/core_pages.py [--orgs 10000] [--transitions 100000] [--runs 50]
        [--plugins all|core] [--database-url postgresql://…]
    .venv/bin/python benchmarks/core_pages.py --growth [--small 1000] [--big 100000]

--plugins core switches every plugin off (INCUBATOR_DISABLED_PLUGINS), so the difference with the
default (every plugin on) is what the plugins' widgets, to-dos and panels cost. --growth builds each
size in a fresh database (a process of its own, transitions 10× organizations) and prints, per page,
the big size's median over the small one's. Targets (issue 14): every page at most 3× the floor
at 10,000 organizations with every plugin on, and at most 1.5× from 1,000 to 100,000 organizations.
"""
import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FLOOR_ROWS_SHOWN = 20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--transitions", type=int, default=None, help="default: 10 × --orgs")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--plugins", choices=("all", "core"), default="all",
                        help="all: every plugin on (default); core: every plugin switched off")
    parser.add_argument("--growth", action="store_true", help="compare --small and --big organizations")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--json", default=None, help=argparse.SUPPRESS)  # growth mode's child runs
    args = parser.parse_args()
    if args.growth:
        return growth(args)
    result = run(args)
    print_result(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out)


# -- one size ---------------------------------------------------------------------------------

def run(args) -> dict:
    """Seed a fresh database, then time the floor and every page; returns what was measured."""
    tmp = tempfile.mkdtemp(prefix="incubator-bench-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # a 100,000-organization run leaves 300 MB
    os.environ["INCUBATOR_INSTANCE_PATH"] = tmp
    os.environ["INCUBATOR_DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.db"
    if args.plugins == "core":
        os.environ["INCUBATOR_DISABLED_PLUGINS"] = ",".join(every_plugin())
    app, facts = seeded_app(args.orgs, args.transitions or args.orgs * 10)
    floor_app = make_floor_app(args.database_url, tmp, facts["organizations"])
    clients = logged_in(app, {user for user, _, _ in pages(facts["uscc"])})
    floor_client = floor_app.test_client()
    floor = time_page(floor_client, "/", {}, args.runs)
    rows = []
    for username, label, url in pages(facts["uscc"]):
        client, headers = clients[username]
        timing = time_page(client, url, headers, args.runs, engine=facts["engine"])
        # The same page just after a commit that wrote (any process's): what the processes keep
        # under the data stamp (the menu's to-dos, the figures) is computed again.
        after_write = time_page(client, url, headers, args.runs, engine=facts["engine"],
                                before=lambda: a_write_was_committed(app))
        rows.append({"label": label, **timing, "after_write": after_write["median"],
                     "after_write_statements": after_write["statements"]})
    # The floor again after the pages; the lower of the two medians, as a moment of load on a
    # shared machine only ever slows it.
    floor_after = time_page(floor_client, "/", {}, args.runs)
    floor_ms = min(floor["median"], floor_after["median"])
    facts.pop("engine")
    return {**facts, "plugins": args.plugins, "floor": floor_ms, "pages": rows}


def every_plugin() -> list[str]:
    from importlib.metadata import entry_points
    return sorted(ep.name for ep in entry_points(group="incubator.plugins"))


def seeded_app(orgs: int, transitions: int):
    import flask_migrate
    from sqlalchemy import func, select, text

    from incubator import create_app
    from incubator.demo import seed
    from incubator.extensions import db
    from incubator.organizations.models import Organization, Transition

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade(revision="heads")
        started = time.perf_counter()
        seed(size=orgs, transitions=transitions)
        seeded = time.perf_counter() - started
        if postgresql:  # as autovacuum would after a bulk load: statistics and the visibility map
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        facts = {
            "database": db.engine.dialect.name,
            "organizations": db.session.scalar(select(func.count()).select_from(Organization)),
            "transitions": db.session.scalar(select(func.count()).select_from(Transition)),
            "seconds_to_seed": seeded,
            "uscc": db.session.scalar(select(Organization.uscc).where(Organization.uscc.is_not(None)).limit(1)),
            "engine": db.engine,
        }
    return app, facts


def pages(uscc: str) -> list[tuple[str, str, str]]:
    return [
        ("admin", "organization list, page 1", "/orgs"),
        ("admin", "organization list, page 250", "/orgs?page=250"),
        ("admin", "search: pinyin initials 'bhsg'", "/orgs?q=bhsg"),
        ("admin", "search: name '社工'", "/orgs?q=%E7%A4%BE%E5%B7%A5"),
        ("admin", "search: USCC prefix", f"/orgs?q={uscc[:10]}"),
        ("admin", "filter: stage + category", "/orgs?stage=incubating&category=%E7%A4%BE%E5%B7%A5%E6%9C%8D%E5%8A%A1%E7%B1%BB"),
        ("admin", "dashboard, all 9 parks", "/dashboard"),
        ("fangxing-mgr", "manager: organization list", "/orgs"),
        ("fangxing-mgr", "manager: search 'bhsg'", "/orgs?q=bhsg"),
        ("fangxing-mgr", "manager: dashboard", "/dashboard"),
        ("admin", "API: organizations ?q=bhsg", "/api/v1/organizations?q=bhsg"),
    ]


def logged_in(app, usernames) -> dict:
    """{username: (test client with a session, API headers with a token)}."""
    clients = {}
    for username in usernames:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": "demo12345"})
        assert response.status_code == 302, f"login {username}"
        token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"}).get_json()["token"]
        clients[username] = (client, {"Authorization": f"Bearer {token}"})
    return clients


def a_write_was_committed(app) -> None:
    from incubator.stamps import data_changed
    with app.app_context():
        data_changed()


def time_page(client, url: str, headers: dict, runs: int, engine=None, before=None) -> dict:
    """Median and 95th percentile in ms after 3 warm-up requests, and SQL statements per request;
    `before()` runs before each timed request, outside the timing."""
    from sqlalchemy import event
    for _ in range(3):
        assert client.get(url, headers=headers).status_code == 200, url
    sent = {"n": 0}

    def count(*_args):
        sent["n"] += 1

    if engine is not None:
        event.listen(engine, "before_cursor_execute", count)
    timings = []
    try:
        for _ in range(runs):
            if before is not None:
                before()
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
    finally:
        if engine is not None:
            event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return {"median": statistics.median(timings), "p95": timings[max(0, int(len(timings) * 0.95) - 1)],
            "statements": sent["n"] / runs}


# -- the floor --------------------------------------------------------------------------------

FLOOR_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>组织</title></head><body>
<table><tr><th>名称</th><th>统一社会信用代码</th><th>类别</th><th>阶段</th><th>到期</th></tr>
{% for r in rows %}<tr><td><a href="/orgs/{{ r[0] }}">{{ r[1] }}</a></td><td>{{ r[2] or '' }}</td><td>{{ r[3] }}</td>
<td>{{ r[4] }}</td><td>{{ r[5] or '' }}</td></tr>{% endfor %}</table></body></html>"""
FLOOR_TABLE = """CREATE TABLE floor_organizations (id {id} PRIMARY KEY, name VARCHAR(120) NOT NULL,
    uscc VARCHAR(18), category VARCHAR(40) NOT NULL, stage VARCHAR(20) NOT NULL, park_id INTEGER NOT NULL,
    incubation_due DATE, created_at TIMESTAMP NOT NULL)"""


def make_floor_app(database_url: str | None, tmp: str, n_rows: int):
    """A bare Flask app on the plain driver: one connection, one query, one small template."""
    from flask import Flask, render_template
    connection, placeholder = floor_connection(database_url, tmp)
    fill_floor_table(connection, placeholder, n_rows)
    query = f"SELECT id, name, uscc, category, stage, incubation_due FROM floor_organizations ORDER BY id DESC LIMIT {FLOOR_ROWS_SHOWN}"
    app = Flask("floor")
    page = app.jinja_env.from_string(FLOOR_PAGE)  # compiled once, as Flask does a template file

    @app.get("/")
    def organizations():
        cursor = connection.cursor()
        cursor.execute(query)
        return render_template(page, rows=cursor.fetchall())

    return app


def floor_connection(database_url: str | None, tmp: str):
    if database_url and database_url.startswith("postgresql"):
        import psycopg
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        return psycopg.connect(url, autocommit=True), "%s"
    import sqlite3
    return sqlite3.connect(f"{tmp}/floor.db", isolation_level=None, check_same_thread=False), "?"


def fill_floor_table(connection, placeholder: str, n_rows: int) -> None:
    from datetime import date, datetime, timedelta
    postgresql = placeholder == "%s"
    cursor = connection.cursor()
    cursor.execute("DROP TABLE IF EXISTS floor_organizations")
    cursor.execute(FLOOR_TABLE.format(id="SERIAL" if postgresql else "INTEGER"))
    start = date(2022, 1, 1)
    rows = [(f"包河第{i}社会工作服务中心", f"52340111{i:09d}X", "社工服务类", ("incubating", "graduated")[i % 2],
             i % 9 + 1, start + timedelta(days=i % 1400), datetime(2022, 1, 1) + timedelta(minutes=i))
            for i in range(n_rows)]
    marks = ", ".join([placeholder] * 7)
    cursor.executemany(f"INSERT INTO floor_organizations (name, uscc, category, stage, park_id, incubation_due, created_at) "
                       f"VALUES ({marks})", rows)
    cursor.execute("ANALYZE floor_organizations")


# -- printing and growth ----------------------------------------------------------------------

def print_result(result: dict) -> None:
    print(f"database: {result['database']}, {result['organizations']:,} organizations, "
          f"{result['transitions']:,} transitions (seeded in {result['seconds_to_seed']:.1f} s), "
          f"plugins: {result['plugins']}")
    print(f"floor (bare Flask + driver, {FLOOR_ROWS_SHOWN} of {result['organizations']:,} rows): "
          f"{result['floor']:.2f} ms median")
    print(f"{'page':<36} {'median ms':>10} {'p95 ms':>8} {'× floor':>8} {'SQL':>5}"
          f" {'after a write':>14} {'× floor':>8} {'SQL':>5}")
    for row in result["pages"]:
        print(f"{row['label']:<36} {row['median']:>10.1f} {row['p95']:>8.1f} "
              f"{row['median'] / result['floor']:>8.1f} {row['statements']:>5.0f}"
              f" {row['after_write']:>14.1f} {row['after_write'] / result['floor']:>8.1f}"
              f" {row['after_write_statements']:>5.0f}")


def growth(args) -> int:
    """Each size in a process and a database of its own; per page, the big median over the small."""
    results = []
    for orgs in (args.small, args.big):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
            path = out.name
        command = [sys.executable, __file__, "--orgs", str(orgs), "--transitions", str(orgs * 10),
                   "--runs", str(args.runs), "--plugins", args.plugins, "--json", path]
        if args.database_url:
            command += ["--database-url", args.database_url]
        subprocess.run(command, check=True)
        with open(path) as result:
            results.append(json.load(result))
        os.unlink(path)
    small, big = results
    print(f"\ngrowth from {small['organizations']:,} to {big['organizations']:,} organizations "
          f"({small['database']}, plugins: {args.plugins})")
    # The floor should not grow (20 rows by the primary key): how much it did is the machine's
    # load at the time, so each ratio is also shown divided by the floor's.
    floor_growth = big["floor"] / small["floor"]
    print(f"{'page':<36} {'small ms':>9} {'big ms':>8} {'big/small':>10} {'÷ floor':>8} {'SQL':>9}"
          f" {'after a write: small':>21} {'big':>8} {'big/small':>10}")
    lines = [("floor", small["floor"], big["floor"], "", None, None)] + [
        (s["label"], s["median"], b["median"], f"{s['statements']:.0f}→{b['statements']:.0f}",
         s["after_write"], b["after_write"])
        for s, b in zip(small["pages"], big["pages"])]
    for label, small_ms, big_ms, statements, small_cold, big_cold in lines:
        cold = "" if small_cold is None else f" {small_cold:>21.1f} {big_cold:>8.1f} {big_cold / small_cold:>10.2f}"
        print(f"{label:<36} {small_ms:>9.1f} {big_ms:>8.1f} {big_ms / small_ms:>10.2f} "
              f"{big_ms / small_ms / floor_growth:>8.2f} {statements:>9}{cold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
