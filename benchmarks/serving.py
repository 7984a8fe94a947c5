#!/usr/bin/env python3
"""Production serving: requests/s and CPU per request, `incubator serve` with one and with two
gunicorn worker processes, each beside a floor served the same way, in one run.

Builds the scratch PostgreSQL database given (its schema is DROPPED: the name must contain "bench"),
migrates it, loads `incubator demo --orgs N` (timed) and runs VACUUM ANALYZE (as autovacuum would
after a bulk load; core_pages.py does too), then for each worker count:

- the platform: starts `incubator serve` on 127.0.0.1:--port (rate limits in the Redis database
  given), logs in as the administrator, warms up, and fetches the organization list (/orgs)
  --requests times from --threads client threads;
- the floor: starts benchmarks/floor_app.py on --port + 1 with as many workers — core_pages.py's
  floor (a bare Flask app on psycopg: one query, one small template listing the first 20 rows of a
  table of as many rows as the demo made organizations, filled in the same database) under the
  same gunicorn with `incubator serve`'s settings (sync workers, preload) — and loads its one page
  the same way (no login).

CPU is the server's processes' user + system time (master and workers, from /proc) over the measured
requests; client CPU is this process's (the client threads share the machine with the server and
PostgreSQL); database CPU is that of the PostgreSQL backends connected to the scratch database
(pg_stat_activity's pids, /proc) over the same requests; "machine busy" is the share of all cores'
time not idle over those requests (/proc/stat: every process, PostgreSQL's and other jobs' too; near
100 % the cores, not the server, set the pace, and a second worker cannot add much).

Prints one line per server and worker count, then per worker count the platform's CPU per request ÷
the floor's (target, issue 14: ≤ 2), and per server the scale-out: the last worker count's
requests/s ÷ the first's (target: two workers ≥ 1.8× one). The load average (1, 5, 15 min) is
printed at the start and at the end: on a shared machine other jobs take CPU from both servers.

    .venv/bin/python benchmarks/serving.py
        [--database-url postgresql://postgres@127.0.0.1:5432/serving_bench] [--redis-url redis://127.0.0.1:6379/13]
        [--port 5181] [--orgs 10000] [--requests 400] [--threads 8] [--workers 1,2]
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
FLOOR = [sys.executable, str(ROOT / "benchmarks" / "floor_app.py")]
TICK = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/serving_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=5181, help="the platform's; the floor's is the next")
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, comma-separated")
    return parser.parse_args()


def plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


def prepare(args, env) -> tuple[int, float]:
    """Scratch schema, migrations, demo data; returns (organizations, seconds the demo took)."""
    import psycopg
    plain = plain_url(args.database_url)
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
    subprocess.run(INCUBATOR + ["db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run(INCUBATOR + ["demo", "--orgs", str(args.orgs)], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    seeded = time.perf_counter() - started
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load (core_pages.py does too)
        organizations = conn.execute("SELECT count(*) FROM organizations").fetchone()[0]
    return organizations, seeded


def process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def database_seconds(args) -> dict[int, float]:
    """{backend pid: CPU seconds} of PostgreSQL's backends connected to the scratch database."""
    import psycopg
    with psycopg.connect(plain_url(args.database_url), autocommit=True) as conn:
        pids = [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return {pid: process_seconds(pid) for pid in pids}


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


def busy_jiffies() -> tuple[int, int]:
    """(not idle, total) jiffies of all cores since boot, from /proc/stat's first line."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)  # 3: idle, 4: iowait


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


def start(command, env, workers, base, log_path):
    server = live.start(command, env=env, cwd=ROOT, log_path=log_path)
    try:
        live.wait_healthy(base, [server], seconds=120)
    except RuntimeError as exc:
        live.stop(server)
        raise SystemExit(f"{exc}; see {log_path}") from exc
    time.sleep(0.5 * workers)  # the last workers boot
    return server


def measure(args, env, kind, workers, organizations, instance):
    if kind == "platform":
        port = args.port
        command = INCUBATOR + ["serve", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--no-access-log"]
        path = "/orgs"
    else:
        port = args.port + 1
        command = FLOOR + ["--database-url", args.database_url, "--rows", str(organizations),
                           "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        path = "/"
    base = f"http://127.0.0.1:{port}"
    server = start(command, env, workers, base, os.path.join(instance, f"{kind}-{workers}.log"))
    try:
        # One session for every thread: logins are rate limited.
        browser = login(base) if kind == "platform" else opener()
        url = base + path
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(lambda i: fetch(browser, url), range(4 * args.threads)))  # warm up
            database = database_seconds(args)
            cpu, client, machine = cpu_seconds(server.pid), time.process_time(), busy_jiffies()
            started = time.perf_counter()
            results = list(pool.map(lambda i: fetch(browser, url), range(args.requests)))
            seconds = time.perf_counter() - started
            cpu, client = cpu_seconds(server.pid) - cpu, time.process_time() - client
            machine = [after - before for after, before in zip(busy_jiffies(), machine)]
            # A backend opened meanwhile counts from its start, one closed meanwhile is missed.
            database = sum(seconds - database.get(pid, 0.0) for pid, seconds in database_seconds(args).items())
    finally:
        live.stop(server)
    latencies = sorted(r[1] for r in results)
    bad = sum(1 for status, _ in results if status != 200)
    return {"kind": kind, "workers": workers, "rps": len(results) / seconds, "cpu_ms": 1000 * cpu / len(results),
            "client_ms": 1000 * client / len(results), "database_ms": 1000 * database / len(results),
            "busy": 100 * machine[0] / machine[1], "median": 1000 * statistics.median(latencies),
            "p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))], "errors": bad}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    args = parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing to drop the schema of a database whose name does not contain 'bench'")
    print(f"load average at start: {load()}", flush=True)
    instance = tempfile.mkdtemp(prefix="serving-bench-")
    env = dict(os.environ, INCUBATOR_INSTANCE_PATH=instance, INCUBATOR_DATABASE_URL=args.database_url,
               INCUBATOR_SECRET_KEY=secrets.token_hex(32), INCUBATOR_RATELIMIT_STORAGE_URL=args.redis_url,
               INCUBATOR_BASE_URL=f"http://127.0.0.1:{args.port}", FLASK_DEBUG="0", PYTHONPATH=str(ROOT))
    organizations, seeded = prepare(args, env)
    print(f"{os.cpu_count()} CPUs; PostgreSQL {args.database_url.rsplit('@', 1)[-1]}, demo --orgs {args.orgs} "
          f"({organizations:,} organizations) in {seeded:.1f} s; {args.requests} requests from {args.threads} "
          f"threads: platform GET /orgs as admin, floor GET / (20 of {organizations:,} rows)", flush=True)
    counts = [int(n) for n in args.workers.split(",")]
    rows = [measure(args, env, kind, workers, organizations, instance)
            for workers in counts for kind in ("platform", "floor")]
    by = {(r["kind"], r["workers"]): r for r in rows}
    print(f"{'server':<9} {'workers':>7} {'requests/s':>11} {'CPU ms/req':>11} {'client ms/req':>14} "
          f"{'database ms/req':>16} {'machine busy':>13} {'median ms':>10} {'p95 ms':>8} {'errors':>7}")
    for r in rows:
        print(f"{r['kind']:<9} {r['workers']:>7} {r['rps']:>11.1f} {r['cpu_ms']:>11.2f} {r['client_ms']:>14.2f} "
              f"{r['database_ms']:>16.2f} {r['busy']:>12.0f}% {r['median']:>10.1f} {r['p95']:>8.1f} {r['errors']:>7}")
    for workers in counts:
        ratio = by["platform", workers]["cpu_ms"] / by["floor", workers]["cpu_ms"]
        print(f"CPU per request, platform ÷ floor, {workers} worker(s): {ratio:.1f} (target ≤ 2)")
    if len(counts) > 1:
        first, last = counts[0], counts[-1]
        for kind in ("platform", "floor"):
            ratio = by[kind, last]["rps"] / by[kind, first]["rps"]
            print(f"scale-out, {kind}: {last} workers' requests/s ÷ {first}'s: {ratio:.2f} (target ≥ 1.8 for 2 ÷ 1)")
    print(f"load average at end: {load()}")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
