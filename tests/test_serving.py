"""Production serving (`incubator serve`, incubator/serve.py): what it refuses, and two servers and two
queue workers (`incubator worker`) on one PostgreSQL database and one Redis behaving as one process would.

The end-to-end test needs PostgreSQL (INCUBATOR_TEST_DATABASE_URL; it uses a database of its own
beside it, `<name>_serving`, whose schema it drops) and a Redis database of its own:
INCUBATOR_TEST_SERVING_REDIS_URL, or INCUBATOR_TEST_REDIS_URL's server with the db number before
(the certificates tests use INCUBATOR_TEST_REDIS_URL's queue: our workers must not take their tasks).
Only the rate-limit counters and the platform's queue are cleared there, never the whole db.
"""
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from types import SimpleNamespace

import pytest

from incubator import live
from incubator.serve import MAX_WORKERS, default_bind, default_workers, problems
from incubator.testing import PASSWORD, Page

ROOT = Path(__file__).resolve().parent.parent
INCUBATOR = [sys.executable, "-c", "from incubator.cli import main; main()"]
CAPACITY = 5
TRAINEES = 24
MOVES = 6


def fake_app(**config):
    values = {"RATELIMIT_STORAGE_URI": "memory://", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x",
              "SECRET_KEY": "k" * 64}
    values.update(config)
    return SimpleNamespace(config=values)


# -- the refusals ------------------------------------------------------------------------------

def test_memory_rate_limits_refused_with_several_workers():
    assert any("memory://" in p for p in problems(fake_app(), workers=2))
    assert problems(fake_app(), workers=1) == []
    assert problems(fake_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"), workers=4) == []
    assert problems(fake_app(RATELIMIT_ENABLED=False), workers=4) == []


def test_sqlite_refused_with_several_workers():
    sqlite = fake_app(SQLALCHEMY_DATABASE_URI="sqlite:////srv/instance/incubator.db",
                      RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert any("SQLite" in p for p in problems(sqlite, workers=2))
    assert problems(sqlite, workers=1) == []


def test_weak_secret_key_refused():
    assert any("secret key" in p for p in problems(fake_app(SECRET_KEY="dev"), workers=1))


def test_defaults():
    assert default_workers(1) == 3 and default_workers(2) == 5 and default_workers(64) == MAX_WORKERS
    assert default_bind({"HOST": "0.0.0.0", "PORT": "8080"}) == "0.0.0.0:8080"
    assert default_bind({}) == "127.0.0.1:8000"


def test_serve_exits_non_zero_with_a_clear_message(tmp_path):
    """The command itself: the default memory:// limits with two workers never start a server."""
    env = dict(os.environ, INCUBATOR_INSTANCE_PATH=str(tmp_path), INCUBATOR_RATELIMIT_STORAGE_URL="",
               INCUBATOR_DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    done = subprocess.run(INCUBATOR + ["serve", "--workers", "2", "--bind", f"127.0.0.1:{free_port()}"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "refusing to serve" in done.stderr and "INCUBATOR_RATELIMIT_STORAGE_URL" in done.stderr


def test_with_worker_starts_the_platforms_queue_worker(app, tmp_path, monkeypatch):
    """`incubator serve --with-worker` starts `incubator worker` beside gunicorn (the platform's one
    worker: notices, reminders, certificate batches), in this process's environment."""
    from incubator import serve
    for name, value in (("INCUBATOR_INSTANCE_PATH", str(tmp_path)), ("PYTHONUNBUFFERED", "1"),
                        ("INCUBATOR_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])):
        monkeypatch.setenv(name, value)
    for name in ("INCUBATOR_QUEUE_URL", "INCUBATOR_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    log_path, popen = tmp_path / "worker.log", subprocess.Popen
    with open(log_path, "w") as log:
        monkeypatch.setattr(serve.subprocess, "Popen",
                            lambda command: popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        worker = serve.start_queue_worker()
        try:
            deadline = time.monotonic() + 60
            while "incubator worker: queue in instance/queue.db" not in log_path.read_text():
                assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.1)
        finally:
            serve.stop(worker)
    assert worker.returncode is not None


# -- two servers, two queue workers -------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving_redis_url() -> str | None:
    url = os.environ.get("INCUBATOR_TEST_SERVING_REDIS_URL")
    base = os.environ.get("INCUBATOR_TEST_REDIS_URL")
    if url or not base:
        return url
    parts = urllib.parse.urlsplit(base)
    db = int(parts.path.strip("/") or 0)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{db - 1 if db else 1}"))


def clear_redis(url: str) -> None:
    """Stale limits (an earlier run's logins) and queued tasks (an earlier run's job ids) go."""
    import redis
    client = redis.Redis.from_url(url)
    for pattern in ("LIMITS*", "huey.*.incubator"):  # the platform's queue (incubator.queue.QUEUE_NAME)
        for key in client.scan_iter(pattern):
            client.delete(key)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Two `incubator serve --workers 2` on two ports and two `incubator worker`, on a
    migrated PostgreSQL database with the demo data; yields what the test needs to know."""
    base_url = os.environ.get("INCUBATOR_TEST_DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        pytest.skip("needs PostgreSQL: set INCUBATOR_TEST_DATABASE_URL")
    redis_url = serving_redis_url()
    if not redis_url:
        pytest.skip("needs Redis: set INCUBATOR_TEST_REDIS_URL (or INCUBATOR_TEST_SERVING_REDIS_URL)")
    import redis
    try:
        clear_redis(redis_url)
    except redis.ConnectionError:
        pytest.skip(f"Redis at {redis_url} does not answer")
    database = fresh_database(base_url)
    instance = tmp_path_factory.mktemp("serving")
    ports = [free_port(), free_port()]
    from aiosmtpd.controller import Controller

    from incubator.testing_peers import MailServer
    mail, smtp_port = MailServer(), free_port()
    smtp = Controller(mail, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = dict(os.environ, INCUBATOR_INSTANCE_PATH=str(instance), INCUBATOR_DATABASE_URL=database,
               INCUBATOR_MAIL_URL=f"smtp://127.0.0.1:{smtp_port}", INCUBATOR_MAIL_FROM="xueyuan@baohe.example.cn",
               INCUBATOR_SECRET_KEY=secrets.token_hex(32), INCUBATOR_RATELIMIT_STORAGE_URL=redis_url,
               INCUBATOR_REDIS_URL=redis_url, INCUBATOR_BASE_URL=f"http://127.0.0.1:{ports[0]}",
               FLASK_DEBUG="0", PYTHONPATH=str(ROOT))
    for command in (["db", "upgrade"], ["demo", "--orgs", "6"]):
        run(INCUBATOR + command, env)
    seeded = json.loads(run([sys.executable, "-c", "from tests.test_serving import seed; seed()"], env))
    processes = []
    try:
        for port in ports:
            processes.append(start(INCUBATOR + ["serve", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                                "--no-access-log"], env, instance / f"serve-{port}.log"))
        for n in range(2):
            processes.append(start(INCUBATOR + ["worker"], env, instance / f"worker-{n}.log"))
        for port in ports:
            wait_healthy(port, processes)
        yield SimpleNamespace(urls=[f"http://127.0.0.1:{p}" for p in ports], database=database, mail=mail, env=env,
                              logs=lambda: "\n".join(p.read_text()[-2000:] for p in sorted(instance.glob("*.log"))),
                              **seeded)
    finally:
        for process in processes:
            stop(process)
        smtp.stop()


def run(command, env) -> str:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command[3:]} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def fresh_database(base_url: str) -> str:
    import psycopg

    from incubator.testing import _worker_database
    url = _worker_database(base_url, "serving")
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return url


def start(command, env, log_path) -> subprocess.Popen:
    return live.start(command, env=env, cwd=ROOT, log_path=log_path)


def wait_healthy(port, processes):
    live.wait_healthy(f"http://127.0.0.1:{port}", processes)


def stop(process):
    live.stop(process)


def seed():
    """(In a subprocess, with the test's environment.) A small offering open for enrolment, trainees
    and an administrator with API tokens, organizations to move; the demo's finished offering loses
    its certificates so that the batch has them all to issue. Prints JSON."""
    from datetime import timedelta

    from sqlalchemy import delete, func, insert, select

    from incubator import create_app
    from incubator.db_types import utcnow
    from incubator.extensions import db
    from incubator.organizations.models import Organization, Transition
    from incubator.parks.models import Park
    from incubator.search import initials
    from incubator.users.models import ApiToken, User
    from plugins.certificates.models import Certificate
    from plugins.enrolment import services
    from plugins.enrolment.models import Enrolment

    app = create_app()
    with app.app_context():
        now = utcnow()
        park = db.session.scalar(select(Park).where(Park.code == "fangxing"))
        manager = db.session.scalar(select(User).where(User.username == "fangxing-mgr"))
        start = now + timedelta(days=20)
        offering = services.create_offering({
            "course": services.course_by_code("PM101"), "park": park, "title": "并发测试班", "venue": "活动室",
            "capacity": CAPACITY, "enrol_opens_at": now - timedelta(days=1), "enrol_closes_at": now + timedelta(days=7),
            "sessions": [(start, start + timedelta(hours=3), "第一讲")]}, user=manager)
        db.session.execute(insert(User), [{"username": f"serve-{i:03d}", "role": "trainee", "name": f"并发学员{i}",
                                           "phone": f"137{i:08d}", "password_hash": manager.password_hash,
                                           "active": True, "created_at": now} for i in range(TRAINEES)])
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        users = db.session.scalars(select(User).where(User.username.like("serve-%")).order_by(User.id)).all()
        tokens = {u.id: secrets.token_urlsafe(24) for u in users + [admin]}
        db.session.execute(insert(ApiToken), [{"user_id": uid, "token_hash": ApiToken.hash(t), "created_at": now,
                                               "expires_at": now + timedelta(days=1)} for uid, t in tokens.items()])
        orgs = [Organization(name=f"并发测试社工服务中心{n}", name_initials=initials(f"并发测试社工服务中心{n}"), park=park,
                             stage="applied", category="社工服务类", contact_name="张芳", contact_phone="13912345678",
                             registration_status="unregistered") for n in range(MOVES)]
        db.session.add_all(orgs)
        db.session.flush()
        db.session.add_all(Transition(organization_id=o.id, from_stage=None, to_stage="applied", note="",
                                      happened_on=now.date()) for o in orgs)
        # Organizations in incubation, each with a contact who gets notices by e-mail; the manager too.
        noticed = [Organization(name=f"通知测试互助会{n}", name_initials=initials(f"通知测试互助会{n}"), park=park,
                                stage="incubating", category="社区社会组织", contact_name="吴敏",
                                contact_phone="13912345678", registration_status="unregistered",
                                incubation_start=now.date() - timedelta(days=740),
                                incubation_due=now.date() - timedelta(days=5)) for n in range(MOVES)]  # overdue
        db.session.add_all(noticed)
        db.session.flush()
        db.session.add_all(User(username=f"notice-contact-{n}", role="trainee", name=f"联系人{n}", email=f"contact{n}@example.cn",
                                password_hash=manager.password_hash, organization_id=o.id) for n, o in enumerate(noticed))
        manager.email = "fangxing@baohe.example.cn"
        finished = db.session.execute(select(Enrolment.offering_id, func.count()).where(Enrolment.status == "completed")
                                      .group_by(Enrolment.offering_id)).first()
        db.session.execute(delete(Certificate).where(Certificate.offering_id == finished[0]))
        db.session.commit()
        print(json.dumps({"offering": offering.id, "trainees": [tokens[u.id] for u in users], "admin": tokens[admin.id],
                          "orgs": [o.id for o in orgs], "finished": finished[0], "completed": finished[1],
                          "noticed": [o.id for o in noticed]}))


class Client:
    """A browser of sorts: cookies kept across both servers (one host, as behind a load balancer),
    redirects not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), self._NoRedirect)

    def request(self, url, form=None, json_body=None, token=None):
        headers, data = {}, None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        if json_body is not None:
            data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def csrf(self, url) -> str:
        status, html = self.request(url)
        assert status == 200, (url, status)
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
        return re.search(r'value="([^"]+)"', field).group(1)

    def login(self, url, username, password=PASSWORD) -> int:
        token = self.csrf(f"{url}/login")
        return self.request(f"{url}/login", form={"csrf_token": token, "username": username, "password": password})[0]


def at_once(jobs):
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [f.result() for f in [pool.submit(job) for job in jobs]]


def query(database, sql, *params):
    import psycopg
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.postgres
@pytest.mark.slow
def test_two_servers_enrol_without_over_booking(stack):
    """Every trainee enrols at once, half through each server: as in one process, CAPACITY seats
    taken, the others on a gapless waitlist, nobody twice."""
    api = "/api/v1/offerings/{}/enrolments".format(stack.offering)
    results = at_once([lambda i=i, t=t: Client().request(stack.urls[i % 2] + api, json_body={}, token=t)
                       for i, t in enumerate(stack.trainees)])
    assert [status for status, _ in results] == [201] * TRAINEES, stack.logs()
    statuses = sorted(json.loads(body)["status"] for _, body in results)
    assert statuses == ["enrolled"] * CAPACITY + ["waitlisted"] * (TRAINEES - CAPACITY)
    rows = query(stack.database, "SELECT status, count(*), count(DISTINCT user_id) FROM academy_enrolments "
                                 "WHERE offering_id = %s GROUP BY status ORDER BY status", stack.offering)
    assert rows == [("enrolled", CAPACITY, CAPACITY), ("waitlisted", TRAINEES - CAPACITY, TRAINEES - CAPACITY)]


@pytest.mark.postgres
@pytest.mark.slow
def test_two_servers_move_a_stage_once(stack):
    """The same move sent to both servers at once: one wins, the other is told it changed (409)."""
    jobs = [lambda o=o, url=url: Client().request(f"{url}/api/v1/organizations/{o}/transitions",
                                                  json_body={"to_stage": "reviewing"}, token=stack.admin)[0]
            for o in stack.orgs for url in stack.urls]
    statuses = at_once(jobs)
    assert sorted(statuses) == [201] * MOVES + [409] * MOVES
    rows = query(stack.database, "SELECT organization_id, count(*) FROM transitions WHERE to_stage = 'reviewing' "
                                 "AND organization_id = ANY(%s) GROUP BY organization_id", stack.orgs)
    assert sorted(rows) == [(o, 1) for o in sorted(stack.orgs)]


def wait_for_mail(mail, count, seconds=60):
    deadline = time.monotonic() + seconds
    while len(mail.messages) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # and a little longer: a duplicate would arrive now
    return list(mail.messages)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_mail_each_notice_once(stack):
    """Stage moves on both servers, at once: each organization's contact gets one e-mail, sent by
    one of the two queue workers (a real SMTP server reads them); the workers' reminders, asked by
    two processes at once, reach the manager once per occasion."""
    before = len(stack.mail.messages)
    jobs = [lambda o=o, url=stack.urls[n % 2]: Client().request(
        f"{url}/api/v1/organizations/{o}/transitions", json_body={"to_stage": "virtual"}, token=stack.admin)[0]
            for n, o in enumerate(stack.noticed)]
    assert at_once(jobs) == [201] * MOVES
    received = wait_for_mail(stack.mail, before + MOVES)[before:]
    assert sorted(m.envelope_to[0] for m in received) == sorted(f"contact{n}@example.cn" for n in range(MOVES)), stack.logs()
    assert all("的孵化阶段已变更为“壳外孵化”" in m["Subject"] for m in received)
    assert all(stack.urls[0] + "/orgs/" in m.get_body(("plain",)).get_content() for m in received)

    before = len(stack.mail.messages)
    outputs = at_once([lambda: run(INCUBATOR + ["notifications", "remind"], stack.env) for _ in range(2)])
    assert sum(int(out.split()[0]) for out in outputs) > 0
    duplicates = query(stack.database, "SELECT user_id, key FROM notifications WHERE key IS NOT NULL "
                                       "GROUP BY user_id, key HAVING count(*) > 1")
    assert duplicates == []
    # The incubations of 方兴社区 overdue or due soon (these six among them) reach its manager: one
    # e-mail per notice in the inbox.
    noticed = query(stack.database, "SELECT count(*) FROM notifications n JOIN notices c ON c.id = n.notice_id "
                                    "JOIN users u ON u.id = n.user_id WHERE u.username = 'fangxing-mgr' "
                                    "AND c.kind LIKE 'org.incubation_%%'")[0][0]
    assert noticed >= MOVES
    received = wait_for_mail(stack.mail, before + noticed)[before:]
    to_manager = [m["Subject"] for m in received if m.envelope_to == ["fangxing@baohe.example.cn"]]
    assert len(to_manager) == noticed and len(set(to_manager)) == noticed, stack.logs()
    assert all(f"孵化已超期：通知测试互助会{n}" in to_manager for n in range(MOVES))


@pytest.mark.postgres
@pytest.mark.slow
def test_a_session_from_one_server_works_on_the_other_and_batches_issue_once(stack):
    """Logged in on A, the manager's page and form work on B; two batches of the same offering,
    started on A and B and run by two queue workers, leave one certificate per completion."""
    a, b = stack.urls
    browser = Client()
    assert browser.login(a, "district-mgr") == 302
    status, html = browser.request(f"{b}/certificates/offerings/{stack.finished}")
    assert status == 200
    assert Page(html).form(f"/certificates/offerings/{stack.finished}/batch")["submit"]
    token = browser.csrf(f"{b}/certificates/offerings/{stack.finished}")
    path = f"/certificates/offerings/{stack.finished}/batch"
    statuses = at_once([lambda url=url: browser.request(url + path, form={"csrf_token": token})[0] for url in (a, b)])
    assert statuses == [302, 302]
    # A second batch may also be refused while the first is under way (a flash, then the same 302).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = query(stack.database, "SELECT status, error FROM certificate_batch_jobs WHERE offering_id = %s",
                     stack.finished)
        if jobs and all(s in ("done", "failed") for s, _ in jobs):
            break
        time.sleep(0.5)
    rows = query(stack.database, "SELECT count(*), count(DISTINCT subject) FROM certificates "
                                 "WHERE offering_id = %s AND superseded_by_id IS NULL", stack.finished)
    assert rows == [(stack.completed, stack.completed)]  # none lost, none doubled
    # As with one worker, where a second job finds them all issued: no job fails.
    assert jobs and all(s == "done" for s, _ in jobs), (jobs, stack.logs())


@pytest.mark.postgres
@pytest.mark.slow
def test_login_rate_limit_shared_by_both_servers(stack):
    """40 logins, half on each server (two workers each), against 10 per minute: at most 10 in."""
    logins = at_once([lambda i=i: Client().login(stack.urls[i % 2], "fangxing-mgr") for i in range(40)])
    assert set(logins) <= {302, 429}
    assert 1 <= logins.count(302) <= 10, logins


def test_serve_refuses_to_start_when_a_dependency_it_needs_is_down(limited_app):
    """The same checks as /healthz, before gunicorn starts: here the rate-limit Redis."""
    from incubator.serve import reachability
    app = limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    assert reachability(app) == ["cannot reach ratelimit: unavailable"]
