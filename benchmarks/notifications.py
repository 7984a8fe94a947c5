"""Notifications: what a notice adds to the request that causes it, and how many one worker delivers.

    .venv/bin/python benchmarks/notifications.py [--moves 300] [--mails 300] [--redis redis://127.0.0.1:6379/14]

A throw-away instance (SQLite, temp dir, every plugin on), a real SMTP server (aiosmtpd) on
localhost, the queue on SQLite (or Redis with --redis), not immediate: as in production.

1. The request: a manager moves an organization between 入园孵化 and 壳外孵化 (POST, the page's
   own route) `--moves` times with the stage-moved notice on (the contact's inbox entry, an e-mail
   delivery row, one task on the queue), and as many times with the notice switched off, alternating
   in blocks in the same run; the median difference is the notice's cost to the page.
2. One worker: `--mails` pending e-mail deliveries, sent by the worker's own function (claim, render
   text and HTML, one SMTP session each, mark sent) in one thread; notices per second.
Target (issue 11): a notice adds under 2 ms to the request that causes it.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--redis", default=None, help="the queue on this Redis instead of SQLite")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="notify-bench-")
    os.environ["INCUBATOR_INSTANCE_PATH"] = tmp
    os.environ.setdefault("INCUBATOR_DATABASE_URL", f"sqlite:///{tmp}/bench.db")

    from aiosmtpd.controller import Controller

    from incubator.testing_peers import MailServer, free_port
    mail = MailServer()
    port = free_port()
    smtp = Controller(mail, hostname="127.0.0.1", port=port)
    smtp.start()

    import flask_migrate

    from incubator import create_app
    from incubator.demo import ensure_accounts, ensure_network
    from incubator.extensions import db
    from incubator.notifications import triggers
    from incubator.notifications.models import Delivery, Notification
    from incubator.notifications.sending import send_due
    from incubator.organizations.models import Organization
    from incubator.search import initials
    from incubator.users.models import User

    app = create_app({"QUEUE_IMMEDIATE": False, "QUEUE_URL": args.redis, "WTF_CSRF_ENABLED": False,
                      "MAIL_URL": f"smtp://127.0.0.1:{port}", "MAIL_FROM": "bench@example.cn",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        parks = ensure_network()
        ensure_accounts(parks, "demo12345")
        org = Organization(name="望湖邻里互助会", name_initials=initials("望湖邻里互助会"), park=parks["fangxing"],
                           category="社区社会组织", contact_name="张芳", contact_phone="13912345678",
                           stage="incubating")
        db.session.add(org)
        db.session.flush()
        contact = db.session.scalar(db.select(User).where(User.username == "contact-zhang"))
        contact.organization_id, contact.email = org.id, "zhangfang@example.cn"
        db.session.commit()
        org_id = org.id
        if args.redis:
            from incubator.queue import queue
            queue(app).flush()

    client = app.test_client()
    client.post("/login", data={"username": "fangxing-mgr", "password": "demo12345"})
    stage = ["incubating"]

    def move():
        target = "virtual" if stage[0] == "incubating" else "incubating"
        started = time.perf_counter()
        response = client.post(f"/orgs/{org_id}/move", data={"move-to_stage": target, "move-note": "基准测试"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        stage[0] = target
        return elapsed

    real_notify = triggers.notify
    timings = {"on": [], "off": []}
    for _warm in range(20):
        move()
    block = 25
    for start in range(0, args.moves, block):
        for mode in ("on", "off"):
            triggers.notify = real_notify if mode == "on" else (lambda *a, **k: None)
            timings[mode].extend(move() for _ in range(min(block, args.moves - start)))
    triggers.notify = real_notify
    on, off = statistics.median(timings["on"]) * 1000, statistics.median(timings["off"]) * 1000
    with app.app_context():
        notices = db.session.scalar(db.select(db.func.count()).select_from(Notification))
        pending = db.session.scalar(db.select(db.func.count()).select_from(Delivery))
    print(f"queue: {'Redis' if args.redis else 'SQLite (instance/queue.db)'}; SMTP: aiosmtpd on localhost")
    print(f"stage move (POST, redirect), median of {args.moves} each, alternating blocks of {block}:")
    print(f"  with the notice    {on:7.2f} ms")
    print(f"  without it         {off:7.2f} ms")
    print(f"  the notice adds    {on - off:7.2f} ms  (target < 2 ms; {notices} inbox entries, "
          f"{pending} e-mail deliveries queued)")

    # One worker: the deliveries the moves queued, then more, sent by the worker's function.
    with app.app_context():
        from incubator.notifications import notify
        need = max(0, args.mails - pending)
        with app.test_request_context():
            for i in range(need):
                notify([contact.id], "org.stage_moved", f"基准通知 {i}", "正文", f"/orgs/{org_id}")
        total = db.session.scalar(db.select(db.func.count()).select_from(Delivery).where(Delivery.status == "pending"))
        started = time.perf_counter()
        cpu = time.process_time()
        sent = 0
        while True:
            batch = send_due()
            if not batch:
                break
            sent += batch
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    smtp.stop()
    print(f"one worker thread: {sent} of {total} e-mails in {elapsed:.2f} s = {sent / elapsed:.0f} notices/s "
          f"({cpu / max(sent, 1) * 1000:.1f} ms CPU each); the SMTP server received {len(mail.messages)}")


if __name__ == "__main__":
    main()
