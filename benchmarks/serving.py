#!/usr/bin/env python3
"""Production serving: requests/s and CPU per request, `incubator serve` with one and with two
gunicorn worker processes, side by side in one run.

Builds the scratch PostgreSQL database given (its schema is DROPPED: the name must contain "bench"),
migrates it, loads `incubator demo --orgs N`, then for each worker count starts `incubator serve` on
127.0.0.1:--port (rate limits in the Redis database given), logs in as the administrator, warms up,
and fetches the organization list (/orgs) --requests times from --threads client threads. CPU is
the server's processes' user + system time (master and workers, from /proc) over the measured requests.

    .venv/bin/python benchmarks/serving.py [--database-url postgresql://postgres@127.0.0.1:5432/serving_bench]
        [--redis-url redis://127.0.0.1:6379/13] [--requests 400] [--threads 8] [--workers 1,2]
"""
import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from incubator import live  # noqa: E402  (the checkout, run as a script)

INCUBATOR = [sys.executable, "-c", "from incubator.cli import main; main()"]
TICK = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/serving_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=5181)
    parser.add_argument("--orgs", type=int, default=60)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, comma-separated")
    return parser.parse_args()


def prepare(args, env):
    import psycopg
    plain = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    server, name = plain.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    import redis
    limits = redis.Redis.from_url(args.redis_url)
    for key in limits.scan_iter("LIMITS*"):  # earlier runs' login counts
        limits.delete(key)
    for command in (["db", "upgrade"], ["demo", "--orgs", str(args.orgs)]):
        subprocess.run(INCUBATOR + command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def cpu_seconds(master: int) -> float:
    """User + system time of the master and its live children (the gunicorn workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if stat.parent.name == str(master) or fields[1] == str(master):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def login(base) -> urllib.request.OpenerDirector:
    browser = opener()
    html = browser.open(f"{base}/login", timeout=30).read().decode()
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    token = re.search(r'value="([^"]+)"', field).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": "admin", "password": "demo12345"}).encode()
    page = browser.open(f"{base}/login", data=form, timeout=30)
    assert "/login" not in page.geturl(), "login as admin failed"
    return browser


def fetch(browser, url):
    started = time.perf_counter()
    try:
        with browser.open(url, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def start(args, env, workers, log_path):
    server = live.start(INCUBATOR + ["serve", "--workers", str(workers), "--bind", f"127.0.0.1:{args.port}",
                                     "--no-access-log"], env=env, cwd=ROOT, log_path=log_path)
    try:
        live.wait_healthy(f"http://127.0.0.1:{args.port}", [server])
    except RuntimeError as exc:
        live.stop(server)
        raise SystemExit(f"{exc}; see {log_path}") from exc
    time.sleep(0.5 * workers)  # the last workers boot
    return server


def measure(args, env, workers, instance):
    server = start(args, env, workers, os.path.join(instance, f"serve-{workers}.log"))
    try:
        base = f"http://127.0.0.1:{args.port}"
        browser = login(base)  # one session for every thread: logins are rate limited
        url = f"{base}/orgs"
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(lambda i: fetch(browser, url), range(4 * args.threads)))  # warm up
            cpu, started = cpu_seconds(server.pid), time.perf_counter()
            results = list(pool.map(lambda i: fetch(browser, url), range(args.requests)))
            seconds, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - cpu
    finally:
        live.stop(server)
    latencies = sorted(r[1] for r in results)
    bad = sum(1 for status, _ in results if status != 200)
    return {"workers": workers, "rps": len(results) / seconds, "cpu_ms": 1000 * cpu / len(results),
            "median": 1000 * statistics.median(latencies), "p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            "errors": bad}


def main():
    args = parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing to drop the schema of a database whose name does not contain 'bench'")
    instance = tempfile.mkdtemp(prefix="serving-bench-")
    env = dict(os.environ, INCUBATOR_INSTANCE_PATH=instance, INCUBATOR_DATABASE_URL=args.database_url,
               INCUBATOR_SECRET_KEY=secrets.token_hex(32), INCUBATOR_RATELIMIT_STORAGE_URL=args.redis_url,
               INCUBATOR_BASE_URL=f"http://127.0.0.1:{args.port}", FLASK_DEBUG="0", PYTHONPATH=str(ROOT))
    prepare(args, env)
    print(f"{os.cpu_count()} CPUs; PostgreSQL {args.database_url.rsplit('@', 1)[-1]}, demo --orgs {args.orgs}; "
          f"GET /orgs as admin, {args.requests} requests from {args.threads} threads")
    rows = [measure(args, env, int(n), instance) for n in args.workers.split(",")]
    print(f"{'workers':>8} {'requests/s':>11} {'CPU ms/req':>11} {'median ms':>10} {'p95 ms':>8} {'errors':>7}")
    for r in rows:
        print(f"{r['workers']:>8} {r['rps']:>11.1f} {r['cpu_ms']:>11.1f} {r['median']:>10.0f} {r['p95']:>8.0f} "
              f"{r['errors']:>7}")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
