"""The annual report for a district of 10,000 organizations with five years of history (issue 13:
served in under 200 ms, with a number of queries that does not grow with the data).

    .venv/bin/python benchmarks/report.py [--orgs 10000] [--database-url URL] [--repeat 15]

A throw-away instance (SQLite in a temp dir unless --database-url), every plugin on: the
organizations are imported with their 2021–2025 history (tests/import_samples.py), then every
plugin's demo data is added for them (`incubator_seed_demo`). Timed in-process with the test client,
median of --repeat requests, each just after a commit that wrote (the data stamp changed: the
figures kept until the next write are counted again, as for the first reader after any change):
the administrator's district report, a manager's park report, the API's figures, the Excel; the
statements each runs, at --orgs and at a tenth of it.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build(orgs: int, database_url: str | None):
    tmp = tempfile.mkdtemp(prefix="report-bench-")
    os.environ["INCUBATOR_INSTANCE_PATH"] = tmp
    os.environ["INCUBATOR_DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.db"
    from sqlalchemy import text

    from incubator import create_app, schema_versions
    from incubator.demo import ensure_accounts, ensure_network
    from incubator.extensions import db
    from incubator.imports import importer_for
    from incubator.imports.reading import read_table
    from incubator.plugins import hook
    from tests.import_samples import as_csv, district_rows
    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        schema_versions.upgrade("heads")
        ensure_accounts(ensure_network(), "demo12345")
        db.session.commit()
        importer = importer_for("organizations")
        plan = importer.plan(read_table("x.csv", as_csv(district_rows(orgs))), user=None, parks=importer.parks_for(None))
        importer.carry_out(plan, user=None, source="x.csv")
        hook().incubator_seed_demo(session=db.session, size=orgs)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    return app


def measure(app, repeat: int) -> dict:
    from sqlalchemy import event

    from incubator.extensions import db
    from incubator.stamps import data_changed

    def a_write_was_committed():
        with app.app_context():
            data_changed()

    admin, manager = app.test_client(), app.test_client()
    admin.post("/login", data={"username": "admin", "password": "demo12345"})
    manager.post("/login", data={"username": "fangxing-mgr", "password": "demo12345"})
    token = admin.post("/api/v1/auth/token", json={"username": "admin", "password": "demo12345"}).get_json()["token"]
    cases = {
        "district report (admin)": (admin, "/reports?year=2025", {}),
        "park report (manager)": (manager, "/reports?year=2025&park=fangxing", {}),
        "API figures (admin)": (admin, "/api/v1/reports/figures?year=2025", {"Authorization": f"Bearer {token}"}),
        "Excel (admin)": (admin, "/reports/export.xlsx?year=2025", {}),
    }
    results = {}
    with app.app_context():
        engine = db.engine
    for name, (client, url, headers) in cases.items():
        assert client.get(url, headers=headers).status_code == 200, url
        times = []
        for _ in range(repeat):
            a_write_was_committed()
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        seen = []
        listener = lambda *a: seen.append(1)  # noqa: E731
        a_write_was_committed()
        event.listen(engine, "before_cursor_execute", listener)
        client.get(url, headers=headers)
        event.remove(engine, "before_cursor_execute", listener)
        results[name] = (statistics.median(times), min(times), len(seen))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--small", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.small:
        print(repr(measure(build(args.orgs, args.database_url), args.repeat)))
        return
    import subprocess
    runs = {}
    for size in (args.orgs // 10, args.orgs):
        command = [sys.executable, __file__, "--small", "--orgs", str(size), "--repeat", str(args.repeat)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        out = subprocess.run(command, check=True, capture_output=True, text=True,
                             env={**os.environ, "TZ": "Asia/Shanghai"}).stdout
        runs[size] = eval(out.strip().splitlines()[-1])  # our own child's repr of floats and ints
    small, large = args.orgs // 10, args.orgs
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; organizations with 2021–2025 history, "
          f"every plugin's demo data; median (min) of {args.repeat}")
    print(f"{'page':<26} {f'{large:,} orgs ms':>16} {'statements':>10} {f'{small:,} orgs ms':>15} {'statements':>10}")
    for name in runs[large]:
        (lm, lmin, ls), (sm, smin, ss) = runs[large][name], runs[small][name]
        print(f"{name:<26} {lm:>8.1f} ({lmin:5.1f}) {ls:>10} {sm:>7.1f} ({smin:5.1f}) {ss:>10}")


if __name__ == "__main__":
    main()
