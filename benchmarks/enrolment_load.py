#!/usr/bin/env python3
"""Enrolment throughput under concurrent load, and proof that no offering is over-booked.

What it does, start to finish (bounded, loopback only, stops by itself):

1. builds a scratch database (a temporary SQLite file by default, or the PostgreSQL database given
   with --database-url, whose tables it DROPS: use a scratch database such as `enrolment_bench`),
   runs the migrations, seeds the demo parks and accounts, syncs the course catalogue, schedules
   --offerings offerings of --capacity seats each, and creates --trainees trainees with API tokens;
2. starts the platform (`incubator run`, threaded) on 127.0.0.1:--port in a subprocess;
3. fires every trainee's enrolment at once from --threads client threads — each trainee twice (a
   double click), into a random offering — against `POST /api/v1/offerings/<id>/enrolments`;
   then cancels a fifth of the seats concurrently (each cancellation promotes from the waitlist);
4. prints requests per second, latencies, status codes, and checks the database: seats taken per
   offering never above capacity (the over-booking count, which must be 0), one enrolment per person,
   waitlist positions 1…n without gaps;
5. stops the server and removes the scratch files.

    .venv/bin/python benchmarks/enrolment_load.py                     # SQLite
    .venv/bin/python benchmarks/enrolment_load.py \
        --database-url postgresql://postgres@127.0.0.1:5432/enrolment_bench   # PostgreSQL

Exit status 1 if anything was over-booked, duplicated, out of order, or answered 5xx.
"""
import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from incubator import live  # noqa: E402  (the checkout, run as a script)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="scratch database (default: a temporary SQLite file)")
    parser.add_argument("--port", type=int, default=5101)
    parser.add_argument("--trainees", type=int, default=300)
    parser.add_argument("--offerings", type=int, default=3)
    parser.add_argument("--capacity", type=int, default=40)
    parser.add_argument("--threads", type=int, default=32, help="concurrent client threads")
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds of load")
    return parser.parse_args()


def environment(args, instance):
    env = dict(os.environ)
    env.update({"INCUBATOR_INSTANCE_PATH": instance, "INCUBATOR_SECRET_KEY": secrets.token_hex(16),
                "INCUBATOR_DATABASE_URL": args.database_url or f"sqlite:///{instance}/bench.db",
                "FLASK_DEBUG": "0"})
    return env


def seed(args, env):
    """Build the scratch database in this process: returns (offering ids, [(trainee id, token)])."""
    os.environ.update(env)
    from sqlalchemy import insert, select

    from incubator import create_app
    from incubator.db_types import utcnow
    from incubator.demo import ensure_accounts, ensure_network
    from incubator.extensions import db
    from incubator.testing import reset_schema
    from incubator.users.models import ApiToken, User
    from plugins.enrolment import catalogue, services

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    reset_schema(app)  # drops every table of the scratch database, then migrates
    with app.app_context():
        parks = ensure_network()
        ensure_accounts(parks, "demo12345")
        db.session.commit()
        catalogue.sync()
        manager = db.session.scalar(select(User).where(User.username == "fangxing-mgr"))
        now = utcnow()
        codes = ["CG101", "CG102", "PM101", "PM103", "CG103"]
        offering_ids = []
        for n in range(args.offerings):
            start = now + timedelta(days=14 + n)
            offering = services.create_offering({
                "course": services.course_by_code(codes[n % len(codes)]), "park": parks["fangxing"],
                "title": f"压测班{n + 1}", "venue": "活动室", "capacity": args.capacity,
                "enrol_opens_at": now - timedelta(days=1), "enrol_closes_at": now + timedelta(days=7),
                "sessions": [(start, start + timedelta(hours=3), "第一讲")]}, user=manager)
            offering_ids.append(offering.id)
        probe = User(username="probe", role="trainee")
        probe.set_password("bench-password")
        db.session.execute(insert(User), [
            {"username": f"bench-{i:05d}", "role": "trainee", "name": f"压测学员{i}", "phone": f"139{i:08d}",
             "password_hash": probe.password_hash, "active": True, "created_at": now} for i in range(args.trainees)])
        ids = db.session.scalars(select(User.id).where(User.username.like("bench-%")).order_by(User.id)).all()
        tokens = [secrets.token_urlsafe(24) for _ in ids]
        db.session.execute(insert(ApiToken), [
            {"user_id": uid, "token_hash": ApiToken.hash(tok), "created_at": now, "expires_at": now + timedelta(days=1)}
            for uid, tok in zip(ids, tokens)])
        db.session.commit()
        db.engine.dispose()
    return offering_ids, list(zip(ids, tokens))


def port_is_free(port):
    import socket
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def start_server(args, env, log_path):
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is in use: stop whatever listens there or pass --port")
    command = [str(Path(sys.executable).parent / "incubator"), "run", "--host", "127.0.0.1", "--port", str(args.port),
               "--with-threads", "--no-reload", "--no-debugger"]
    server = live.start(command, env=env, cwd=ROOT, log_path=log_path)
    try:
        live.wait_healthy(f"http://127.0.0.1:{args.port}", [server])
    except RuntimeError as exc:
        live.stop(server)
        raise SystemExit(f"{exc}; see {log_path}") from exc
    return server


def post(url, token, body=None):
    request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, json.loads(exc.read() or b"{}")
    except OSError as exc:  # connection refused/reset: counted as an error, never retried
        status, payload = 0, {"error": str(exc)}
    return status, payload, time.perf_counter() - started


def run_phase(args, jobs):
    """Run `jobs` (callables) on the client threads at once; returns (results, seconds)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        futures = [pool.submit(job) for job in jobs]
        results = [f.result(timeout=args.timeout) for f in futures]
    return results, time.perf_counter() - started


def report(name, results, seconds):
    latencies = sorted(r[2] for r in results) or [0.0]
    codes = Counter(r[0] for r in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0
    print(f"{name}: {len(results)} requests in {seconds:.2f} s = {len(results) / max(seconds, 1e-9):.1f} requests/s; "
          f"latency median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
          f"status {dict(sorted(codes.items()))}")
    return codes


def check(args, env, offering_ids):
    """Read the outcome from the database: over-booking, duplicates, waitlist order."""
    os.environ.update(env)
    from sqlalchemy import func, select

    from incubator import create_app
    from incubator.extensions import db
    from plugins.enrolment import services
    from plugins.enrolment.models import Enrolment, Offering

    app = create_app()
    problems = []
    overbooked = 0
    with app.app_context():
        for offering_id in offering_ids:
            capacity = db.session.get(Offering, offering_id).capacity
            rows = db.session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id)).all()
            by_status = Counter(r.status for r in rows)
            seated = by_status["enrolled"] + by_status["completed"]
            overbooked += max(0, seated - capacity)
            positions = sorted(services.waitlist_positions(rows).values())
            if positions != list(range(1, len(positions) + 1)):
                problems.append(f"offering {offering_id}: waitlist positions {positions[:10]}…")
            if by_status["waitlisted"] and seated < capacity:
                problems.append(f"offering {offering_id}: free seats while people wait")
            print(f"  offering {offering_id}: capacity {capacity}, seated {seated}, waitlisted "
                  f"{by_status['waitlisted']}, cancelled {by_status['cancelled']}")
        duplicates = db.session.scalar(select(func.count()).select_from(
            select(Enrolment.offering_id, Enrolment.user_id).group_by(Enrolment.offering_id, Enrolment.user_id)
            .having(func.count() > 1).subquery()))
        if duplicates:
            problems.append(f"{duplicates} duplicate enrolments")
        db.engine.dispose()
    return overbooked, problems


def main():
    args = parse_args()
    if args.database_url.startswith("postgres") and "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing to drop the tables of a database whose name does not contain 'bench'")
    instance = tempfile.mkdtemp(prefix="enrolment-bench-")
    env = environment(args, instance)
    server = None
    try:
        print(f"database: {env['INCUBATOR_DATABASE_URL'].split('@')[-1]}; {args.trainees} trainees, "
              f"{args.offerings} offerings × {args.capacity} seats, {args.threads} client threads")
        offering_ids, trainees = seed(args, env)
        server = start_server(args, env, os.path.join(instance, "server.log"))
        base = f"http://127.0.0.1:{args.port}/api/v1"
        rng = random.Random(1)
        choice = {uid: rng.choice(offering_ids) for uid, _tok in trainees}

        # Phase 1: every trainee enrols twice at once (the second must be a 409, never a second row).
        jobs = [(lambda uid=uid, tok=tok: post(f"{base}/offerings/{choice[uid]}/enrolments", tok))
                for uid, tok in trainees for _ in range(2)]
        rng.shuffle(jobs)
        results, seconds = run_phase(args, jobs)
        codes = report("enrol", results, seconds)
        created = [r[1] for r in results if r[0] == 201]

        # Phase 2: a fifth of the seated cancel at once; each cancellation promotes the next in line.
        tokens = dict(trainees)
        seated = [e for e in created if e.get("status") == "enrolled"]
        leaving = rng.sample(seated, len(seated) // 5)
        by_username = {f"bench-{i:05d}": uid for i, (uid, _t) in enumerate(trainees)}
        jobs = [(lambda e=e: post(f"{base}/enrolments/{e['id']}/cancel", tokens[by_username[e['username']]]))
                for e in leaving]
        cancel_results, cancel_seconds = run_phase(args, jobs)
        cancel_codes = report("cancel", cancel_results, cancel_seconds)

        overbooked, problems = check(args, env, offering_ids)
        errors = sum(n for code, n in (codes + cancel_codes).items() if code >= 500 or code == 0)
        if codes.get(201, 0) != len(trainees):
            problems.append(f"{codes.get(201, 0)} enrolments created for {len(trainees)} trainees")
        print(f"over-booking count: {overbooked}")
        print(f"server errors: {errors}")
        if problems:
            print("problems:\n  " + "\n  ".join(problems))
        return 1 if overbooked or errors or problems else 0
    finally:
        if server is not None:
            live.stop(server)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
