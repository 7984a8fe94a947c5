"""Batch issue (批量颁发) of an offering as a job that survives its worker.

- One job per offering at a time: a partial unique index (`uq_certificate_batch_jobs_active`)
  allows one queued or running job; a second request (a double click, two managers) gets the
  first job back.
- A worker runs a job only after claiming it (one UPDATE: queued, or running with an expired
  lease), and renews the lease with each group it records. A worker killed mid-batch (SIGKILL,
  SIGTERM, a crash) leaves the job running with a lease that expires; `resumable` finds it — at
  a worker's start, and every minute in a running worker — and it is queued again. On the same
  host a dead owner's job is taken over at once.
- Each group issues only what is still missing and the database allows one version 1 per
  subject (`uq_certificates_subject_version`): a resumed or repeated job issues nobody twice.
- If the queue is down when a job is started, the job stays queued in the database, the user is
  told so, and a worker picks it up when it runs again.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from incubator import audit
from incubator.database import transaction
from incubator.db_types import utcnow
from incubator.errors import Conflict, DomainError
from incubator.extensions import db
from incubator.users.models import User

from . import rendering, services
from .models import BatchJob, Certificate
from .offerings import completed_enrolments, offering_ref
from .specs import completion_spec

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
INTERRUPTED = (BrokenProcessPool, OperationalError, InterfaceError)


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop without recording."""


def lease_seconds() -> float:
    return float(current_app.config.get("CERTIFICATES_JOB_LEASE", 120))


def group_size() -> int:
    return int(current_app.config.get("CERTIFICATES_BATCH_GROUP") or rendering.CHUNK * rendering.worker_count())


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# -- starting -------------------------------------------------------------------------------

def active_job(offering_id: int) -> BatchJob | None:
    return db.session.scalar(select(BatchJob).where(BatchJob.offering_id == offering_id,
                                                    BatchJob.status.in_(ACTIVE)))


def recent(offering_id: int, limit: int = 5) -> list[BatchJob]:
    """The offering's latest jobs, newest first (its page lists them)."""
    return list(db.session.scalars(select(BatchJob).where(BatchJob.offering_id == offering_id)
                                   .order_by(BatchJob.id.desc()).limit(limit)))


def create(offering_id: int, items: list, user) -> tuple[BatchJob, bool]:
    """The offering's active job, or a new one: (job, created?)."""
    services.public_base_url()  # refuse before queueing what could only fail
    existing = active_job(offering_id)
    if existing is not None:
        return existing, False
    ref = offering_ref(offering_id, items)
    try:
        with transaction():
            job = BatchJob(offering_id=offering_id, park_id=ref.park_id, total=len(items),
                           created_by_id=getattr(user, "id", None))
            db.session.add(job)
            audit.record("certificate.batch", job, user=user,
                         summary=f"批量颁发结业证书：班次 {offering_id}，{len(items)} 人", offering_id=offering_id)
    except Conflict:  # the same batch requested at the same moment: the other request's job
        existing = active_job(offering_id)
        if existing is None:
            raise
        return existing, False
    return job, True


def start_batch(offering_id: int, *, user) -> BatchJob:
    """Queue the batch issue for every completed enrolment of the offering; returns the job, with
    `notice` set when it was already running or could not be queued yet."""
    items = completed_enrolments(offering_id)
    if not items:
        raise Conflict(_("该班次还没有结业的学员"))
    job, created = create(offering_id, items, user)
    job.notice = ""
    if not created:
        job.notice = _("该班次的批量颁发已在进行中，请勿重复提交")
        return job
    from . import tasks
    try:
        tasks.enqueue_batch(job.id)
    except Exception:  # Redis down, queue file unwritable…: the job row waits for a worker
        db.session.rollback()
        log.exception("certificate batch %s kept queued: the task queue is unavailable", job.id)
        notice = _("任务队列暂时不可用：本次批量颁发已记录，后台任务恢复运行后将自动生成证书")
        job = db.session.get(BatchJob, job.id)
        job.notice = notice
        return job
    db.session.refresh(job)  # a worker in immediate mode (tests) may have run it already
    return job


# -- claiming and the lease -----------------------------------------------------------------

def claim(job_id: int) -> bool:
    """Take the job (queued, or running under an expired lease) for this process: did we get it?"""
    now = utcnow()
    expired = or_(BatchJob.lease_until.is_(None), BatchJob.lease_until < now)
    with transaction():
        result = db.session.execute(
            update(BatchJob)
            .where(BatchJob.id == job_id, or_(BatchJob.status == "queued", and_(BatchJob.status == "running", expired)))
            .values(status="running", owner=worker_id(), lease_until=now + timedelta(seconds=lease_seconds()),
                    attempts=BatchJob.attempts + 1, started_at=func.coalesce(BatchJob.started_at, now))
            .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _advance(job: BatchJob, done: int, issued: int) -> None:
    """Record a group's progress and renew the lease, if the job is still ours."""
    result = db.session.execute(
        update(BatchJob).where(BatchJob.id == job.id, BatchJob.owner == worker_id(), BatchJob.status == "running")
        .values(done=BatchJob.done + done, issued=BatchJob.issued + issued,
                lease_until=utcnow() + timedelta(seconds=lease_seconds()))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise LeaseLost(job.id)


def _owner_gone(owner: str) -> bool:
    """Is `owner` ("host:pid") a process of this host that no longer exists?"""
    host, _sep, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def resumable(*, at_start: bool = False) -> list[int]:
    """Jobs a worker should (re)queue: running under an expired lease or a dead local owner, and
    queued ones (their task may be lost: the queue was down, or the worker died holding it) —
    all of them at a worker's start, afterwards those waiting longer than a lease."""
    now = utcnow()
    waited = now - timedelta(seconds=lease_seconds())
    ids = []
    for job in db.session.scalars(select(BatchJob).where(BatchJob.status.in_(ACTIVE)).order_by(BatchJob.id)):
        if job.status == "queued":
            if at_start or job.created_at < waited:
                ids.append(job.id)
        elif job.lease_until is None or job.lease_until < now or _owner_gone(job.owner):
            ids.append(job.id)
            with transaction():  # expired now: the first worker to claim it takes it
                db.session.execute(update(BatchJob).where(BatchJob.id == job.id, BatchJob.owner == job.owner)
                                   .values(lease_until=now).execution_options(synchronize_session=False))
    return ids


# -- running --------------------------------------------------------------------------------

def run_batch(job_id: int, progress=None) -> BatchJob | None:
    """Do a batch job (in the worker): claim it, then render the certificates still missing in
    groups, committing and renewing the lease as it goes. A job that is done, failed, or held by
    a live worker is left alone."""
    job = db.session.get(BatchJob, job_id)
    if job is None:
        return None
    if not claim(job_id):
        db.session.refresh(job)
        return job
    db.session.refresh(job)
    user = db.session.get(User, job.created_by_id) if job.created_by_id else None
    try:
        _issue_missing(job, user, progress)
        with transaction():
            job.status, job.finished_at, job.lease_until = "done", utcnow(), None
            audit.record("certificate.batch_done", job, user=user,
                         summary=f"班次 {job.offering_id}：新颁发 {job.issued} 张", issued=job.issued)
    except LeaseLost:
        db.session.rollback()
        log.warning("certificate batch %s was taken over by another worker", job_id)
        job = db.session.get(BatchJob, job_id)
    except Exception as exc:
        if not (isinstance(exc, INTERRUPTED) or stopping()):
            _fail(job_id, exc)
            return db.session.get(BatchJob, job_id)
        # The worker is stopping (SIGTERM reaches its rendering processes first, or the interpreter
        # is shutting its process pool down) or the database went away: not the batch's fault.
        # Released for the next worker; huey retries.
        db.session.rollback()
        _release(job_id)
        log.warning("certificate batch %s interrupted; released for another attempt", job_id, exc_info=True)
        raise
    return job


def stopping() -> bool:
    """Is this process on its way out? (Its main thread has ended: a worker thread still running
    the batch then sees "cannot schedule new futures after interpreter shutdown" and the like.
    `threading._SHUTTING_DOWN` is set a moment earlier, before the process pool's exit hook runs and
    while the main thread still counts as alive: the hook waits for the documents being rendered.)"""
    return not threading.main_thread().is_alive() or bool(getattr(threading, "_SHUTTING_DOWN", False))


def _fail(job_id: int, exc: Exception) -> None:
    db.session.rollback()
    job = db.session.get(BatchJob, job_id)
    with transaction():
        job.status, job.finished_at, job.lease_until = "failed", utcnow(), None
        job.error = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    log.exception("certificate batch %s failed", job_id)


def _release(job_id: int) -> None:
    try:
        with transaction():
            db.session.execute(update(BatchJob).where(BatchJob.id == job_id, BatchJob.owner == worker_id(),
                                                      BatchJob.status == "running")
                               .values(lease_until=utcnow()).execution_options(synchronize_session=False))
    except OperationalError:  # the database is away: the lease expires by itself
        db.session.rollback()


def _issue_missing(job: BatchJob, user, progress) -> None:
    items = completed_enrolments(job.offering_id)
    todo = _missing([completion_spec(e) for e in items])
    with transaction():
        job.total, job.done = len(items), len(items) - len(todo)
    if progress:
        progress(job.done)
    executor = rendering.pool({spec.park.name for spec in todo})
    size = group_size()
    for start in range(0, len(todo), size):
        group = todo[start:start + size]
        certs = issue_group(group, user, executor)
        with transaction():
            _advance(job, len(group), len(certs))
        db.session.refresh(job)
        if progress:
            progress(len(group))


def _missing(specs: list) -> list:
    """The specs whose subject has no certificate yet (asked again before every group)."""
    if not specs:
        return []
    have = set(db.session.scalars(select(Certificate.subject).where(
        Certificate.subject.in_([spec.subject for spec in specs]))))
    return [spec for spec in specs if spec.subject not in have]


def issue_group(group: list, user, executor) -> list:
    """Issue what of `group` is still missing; if another process issued one meanwhile (the
    unique constraint says so), once more without it. (Also the deferred completions' groups.)"""
    for attempt in range(2):
        try:
            return services.issue(_missing(group), user=user, executor=executor)
        except Conflict:
            if attempt:
                raise
    return []
