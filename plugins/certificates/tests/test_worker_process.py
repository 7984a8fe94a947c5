"""The platform's real worker (`incubator worker`, a separate process) killed mid-batch and started
again: every certificate is issued once, the job finishes, and the files are exactly the rows."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from incubator import queue
from incubator.extensions import db
from plugins.certificates import fonts, jobs, storage

from .conftest import swap_queue
from plugins.certificates.models import BatchJob, Certificate

INCUBATOR = str(Path(sys.executable).with_name("incubator"))
ROOT = Path(__file__).resolve().parents[3]
LEASE = 2  # seconds
TRAINEES = 40
GROUP = 4  # certificates recorded per group: a kill lands between groups or inside one


def academy_offering(parks, users, n):
    """A real academy offering (the worker's own app answers from these tables) with n completions."""
    from incubator.users.models import User
    from plugins.enrolment.models import Course, Enrolment, Offering
    course = Course(code="KILL101", title="社区议事规则", hours=Decimal(12), min_attendance=80)
    now = datetime(2026, 11, 20, 8, 0)
    offering = Offering(course=course, park=parks["fangxing"], capacity=n, enrol_opens_at=now - timedelta(days=30),
                        enrol_closes_at=now - timedelta(days=20), starts_at=now - timedelta(days=10))
    db.session.add(offering)
    for i in range(n):
        user = User(username=f"kill-{i}", name=f"学员{i:02d}", role="trainee", password_hash="x")
        db.session.add(Enrolment(offering=offering, user=user, status="completed", completed_at=now + timedelta(minutes=i),
                                 hours=Decimal(12)))
    db.session.commit()
    return offering


def start_worker(app, redis_url, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_TEST")}
    env.update(INCUBATOR_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], INCUBATOR_INSTANCE_PATH=app.instance_path,
               INCUBATOR_CERTIFICATES_DIR=app.config["CERTIFICATES_DIR"], INCUBATOR_SECRET_KEY="worker-test",
               INCUBATOR_BASE_URL="https://xueyuan.example.gov.cn/", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT),
               INCUBATOR_CERTIFICATES_JOB_LEASE=str(LEASE), INCUBATOR_CERTIFICATES_BATCH_GROUP=str(GROUP))
    env.pop("INCUBATOR_REDIS_URL", None)
    env.pop("INCUBATOR_QUEUE_URL", None)
    if redis_url:
        env["INCUBATOR_REDIS_URL"] = redis_url  # (the queue's, through the core's fallback)
    # A session of its own: the worker and its rendering processes are ended together, by group id.
    return subprocess.Popen([INCUBATOR, "worker"], env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process, sig):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # rendering processes left behind, if any
    except ProcessLookupError:
        pass


def job_state(job_id):
    db.session.expire_all()
    return db.session.get(BatchJob, job_id)


def wait_for(predicate, timeout, log_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail("timed out; worker log:\n" + Path(log_path).read_text(errors="replace")[-3000:])


QUEUES = [pytest.param(signal.SIGKILL, None, id="sqlite-kill-9"),
          pytest.param(signal.SIGTERM, None, id="sqlite-term"),
          pytest.param(signal.SIGKILL, os.environ.get("INCUBATOR_TEST_REDIS_URL"), id="redis-kill-9",
                       marks=pytest.mark.skipif(not os.environ.get("INCUBATOR_TEST_REDIS_URL"),
                                                reason="set INCUBATOR_TEST_REDIS_URL"))]


@pytest.mark.skipif(bool(fonts.problem()), reason="no CJK font")
@pytest.mark.parametrize("sig, redis_url", QUEUES)
def test_a_worker_killed_mid_batch_is_resumed_by_the_next_one(app, parks, users, tmp_path, sig, redis_url):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///:memory:"):
        pytest.skip("the worker process needs the database file")
    directory = Path(app.config["CERTIFICATES_DIR"])
    for path in [*directory.glob("*.pdf"), *directory.glob(f"{storage.STAGING}/*")]:
        path.unlink()  # earlier tests' files: their rows are gone and SQLite gives their serials again
    huey = queue.build(app, url=redis_url or "", immediate=False)  # the worker's queue, seen from here
    huey.flush()
    restore = swap_queue(app, huey)
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")
    worker = None
    try:
        offering = academy_offering(parks, users, TRAINEES)
        job = jobs.start_batch(offering.id, user=users["fangxing-mgr"])
        assert job.status == "queued" and len(huey) == 1

        worker = start_worker(app, redis_url, log)
        wait_for(lambda: job_state(job.id).done >= 2 * GROUP, 120, log_path)
        stop(worker, sig)  # in the middle of the batch
        killed = job_state(job.id)
        assert killed.status == "running" and killed.done < TRAINEES, (killed.status, killed.done, killed.error)

        time.sleep(LEASE + 0.5)  # whatever the killed worker staged is now older than any transaction
        worker = start_worker(app, redis_url, log)
        wait_for(lambda: job_state(job.id).status in ("done", "failed"), 180, log_path)
        stop(worker, signal.SIGTERM)
        worker = None
    finally:
        if worker is not None:
            stop(worker, signal.SIGKILL)
        log.close()
        huey.flush()
        restore()

    job = job_state(job.id)
    log_text = log_path.read_text(errors="replace")
    assert (job.status, job.done, job.total, job.issued) == ("done", TRAINEES, TRAINEES, TRAINEES), job.error
    assert job.attempts >= 2, log_text[-3000:]  # the killed worker's, then the next one's
    subjects = db.session.scalars(select(Certificate.subject)).all()
    assert len(subjects) == len(set(subjects)) == TRAINEES  # each issued once
    serials = set(db.session.scalars(select(Certificate.serial)))
    assert {p.stem for p in directory.glob("*.pdf")} == serials  # no file without a row, no row without a file
    assert list((directory / storage.STAGING).iterdir()) == []
    for cert in db.session.scalars(select(Certificate)):
        assert storage._sha256(storage.pdf_path(cert)) == cert.pdf_sha256
    assert db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.offering_id == offering.id)) == TRAINEES
