"""Benchmark: organization list, search and dashboard at 10,000 organizations / 100,000 transitions.

Builds a fresh database (SQLite in a temp dir, or --database-url for PostgreSQL), migrates it,
loads `incubator demo --orgs N --transitions T`, then times each page through the WSGI app
(Flask's test client: the server-side cost of routing, queries and templates, without network).
Prints median and 95th percentile per page, and the number of SQL statements each page issues.

    .venv/bin/python benchmarks/core_pages.py [--orgs 10000] [--transitions 100000] [--runs 50]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

from sqlalchemy import event


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--transitions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="incubator-bench-")
    os.environ["INCUBATOR_INSTANCE_PATH"] = tmp
    os.environ["INCUBATOR_DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.db"
    import flask_migrate
    from sqlalchemy import func, select, text

    from incubator import create_app
    from incubator.demo import seed
    from incubator.extensions import db
    from incubator.organizations.models import Organization, Transition

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade(revision="heads")
        started = time.perf_counter()
        seed(size=args.orgs, transitions=args.transitions)
        seeded = time.perf_counter() - started
        n_orgs = db.session.scalar(select(func.count()).select_from(Organization))
        n_trans = db.session.scalar(select(func.count()).select_from(Transition))
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        uscc = db.session.scalar(select(Organization.uscc).where(Organization.uscc.is_not(None)).limit(1))
        statements = {"n": 0}
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__("n", statements["n"] + 1))

    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, "
          f"{n_orgs:,} organizations, {n_trans:,} transitions (seeded in {seeded:.1f} s)")
    pages = [
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
    clients = {}
    for username in {user for user, _, _ in pages}:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": "demo12345"})
        assert response.status_code == 302, f"login {username}"
        token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"}).get_json()["token"]
        clients[username] = (client, {"Authorization": f"Bearer {token}"})

    print(f"{'page':<36} {'median ms':>10} {'p95 ms':>8} {'SQL':>5}")
    for username, label, url in pages:
        client, headers = clients[username]
        for _ in range(3):  # warm up
            assert client.get(url, headers=headers).status_code == 200, url
        timings = []
        statements["n"] = 0
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        per_request = statements["n"] / args.runs
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"{label:<36} {statistics.median(timings):>10.1f} {p95:>8.1f} {per_request:>5.0f}")


if __name__ == "__main__":
    sys.exit(main())
