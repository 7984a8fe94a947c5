"""Importing a district's organizations with their history (issue 12: 10,000 in under 30 s, bounded
memory).

    .venv/bin/python benchmarks/import_organizations.py [--sizes 1000,10000] [--database-url URL]

Each size runs in a fresh child process on a throw-away instance (SQLite in a temp dir unless
`--database-url`, every plugin on, the demo network): a GBK CSV and an xlsx (Excel dates) of that
many organizations with five years of history (tests/import_samples.py) are read and checked
(the preview's work), then written (the confirmation's: organizations, their back-dated transitions
and the audit entries, one transaction). Printed per size and format: seconds to check, to write,
rows per second, and the process's peak memory (ru_maxrss) — how much one more 1,000 rows costs.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(size: int, fmt: str, database_url: str | None) -> dict:
    tmp = tempfile.mkdtemp(prefix="import-bench-")
    os.environ["INCUBATOR_INSTANCE_PATH"] = tmp
    os.environ["INCUBATOR_DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.db"
    from sqlalchemy import func, select, text

    from incubator import create_app, schema_versions
    from incubator.demo import ensure_accounts, ensure_network
    from incubator.extensions import db
    from incubator.imports import importer_for
    from incubator.imports.reading import read_table
    from incubator.organizations.models import Organization, Transition
    from tests.import_samples import as_csv, as_xlsx, district_rows

    rows = district_rows(size)
    content = as_csv(rows) if fmt == "csv" else as_xlsx(rows)
    del rows
    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        schema_versions.upgrade("heads")
        ensure_accounts(ensure_network(), "demo12345")
        db.session.commit()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        importer = importer_for("organizations")
        started = time.perf_counter()
        plan = importer.plan(read_table(f"组织.{fmt}", content), user=None, parks=importer.parks_for(None))
        checked = time.perf_counter() - started
        started = time.perf_counter()
        outcome = importer.carry_out(plan, user=None, source=f"组织.{fmt}")
        written = time.perf_counter() - started
        assert outcome.counts["create"] == size, outcome.counts
        transitions = db.session.scalar(select(func.count()).select_from(Transition))
        orgs = db.session.scalar(select(func.count()).select_from(Organization))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"size": size, "format": fmt, "check": checked, "write": written, "orgs": orgs,
            "transitions": transitions, "file_kb": len(content) / 1024, "peak_mb": peak / 1024,
            "import_mb": (peak - base) / 1024, "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.database_url)))
        return
    print(f"{'rows':>7} {'file':>5} {'size':>8} {'check s':>8} {'write s':>8} {'total s':>8} {'rows/s':>7} "
          f"{'peak MB':>8} {'import MB':>9}  transitions")
    for size in map(int, args.sizes.split(",")):
        for fmt in ("csv", "xlsx"):
            command = [sys.executable, __file__, "--child", str(size), fmt]
            if args.database_url:
                command += ["--database-url", args.database_url]
            out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT,
                                 env={**os.environ, "TZ": "Asia/Shanghai"}).stdout
            r = json.loads(out.strip().splitlines()[-1])
            total = r["check"] + r["write"]
            print(f"{size:>7,} {fmt:>5} {r['file_kb']:>6.0f}KB {r['check']:>8.2f} {r['write']:>8.2f} {total:>8.2f} "
                  f"{size / total:>7.0f} {r['peak_mb']:>8.0f} {r['import_mb']:>9.0f}  {r['transitions']:,} "
                  f"({r['database']})")


if __name__ == "__main__":
    main()
