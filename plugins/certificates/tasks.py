"""Background jobs on a task queue (huey): batch issue runs in a worker, here or on another machine.

Storage: `SqliteHuey` in `<instance>/certificates-queue.db` by default (embedded, one machine);
`RedisHuey` when `INCUBATOR_REDIS_URL` (config `CERTIFICATES_REDIS_URL`) is set, so workers can run
on other machines (they need the same database and a shared `CERTIFICATES_DIR`). With
`CERTIFICATES_QUEUE_IMMEDIATE` (the default under TESTING) a task runs at once, in the caller.
Start a worker with `incubator certificates worker`. A worker, as it starts and then every
minute, queues again the jobs whose worker died (jobs.py) and finishes what a killed worker left
in the file staging area (storage.py).
"""
from __future__ import annotations

import logging
import os

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)
QUEUE_NAME = "incubator-certificates"
_worker_app = None  # the app a worker process runs its tasks in


def build(app, *, redis_url: str | None = None, immediate: bool | None = None):
    """A huey instance for `app`'s configuration, with the plugin's tasks registered on it."""
    redis_url = redis_url if redis_url is not None else app.config.get("CERTIFICATES_REDIS_URL")
    immediate = app.config.get("CERTIFICATES_QUEUE_IMMEDIATE", app.testing) if immediate is None else immediate
    if redis_url:
        huey = RedisHuey(QUEUE_NAME, url=redis_url, immediate=immediate, results=False)
    else:
        huey = SqliteHuey(QUEUE_NAME, filename=os.path.join(app.instance_path, "certificates-queue.db"),
                          immediate=immediate, results=False)
    # Retried when the job could not even be claimed (the database away a moment); run_batch
    # itself records a failing batch as failed.
    retries = {} if immediate else {"retries": 3, "retry_delay": 30}
    huey.batch_task = huey.task(name="certificates.batch", **retries)(_run_batch)
    huey.recover_task = huey.periodic_task(crontab(minute="*"), name="certificates.recover")(_recover)
    return huey


def queue(app=None):
    app = app or current_app._get_current_object()
    if "certificates_huey" not in app.extensions:
        app.extensions["certificates_huey"] = build(app)
    return app.extensions["certificates_huey"]


def enqueue_batch(job_id: int) -> None:
    queue().batch_task(job_id)


def _run_batch(job_id: int) -> None:
    from . import jobs
    _in_app(lambda: jobs.run_batch(job_id))


def _recover() -> None:
    _in_app(lambda: recover(at_start=False))


def _in_app(work) -> None:
    if has_app_context():  # immediate mode: we are inside the request or command that queued it
        work()
        return
    app = _worker_app
    if app is None:
        from incubator import create_app
        app = _set_worker_app(create_app())
    with app.app_context():
        try:
            work()
        finally:
            from incubator.extensions import db
            db.session.remove()


def recover(*, at_start: bool) -> list[int]:
    """Queue again the jobs a dead worker left (and those the queue never received); move into
    place the files whose rows were committed. The ids queued."""
    from . import jobs, storage
    moved, removed = storage.sweep(jobs.lease_seconds())
    if moved or removed:
        log.warning("certificate files: %s moved into place, %s unrecorded removed", moved, removed)
    ids = jobs.resumable(at_start=at_start)
    for job_id in ids:
        log.warning("certificate batch %s: queued again (its worker stopped, or the queue was down)", job_id)
        enqueue_batch(job_id)
    return ids


def _set_worker_app(app):
    global _worker_app
    _worker_app = app
    return app


def run_worker(app, workers: int = 1) -> None:
    """Consume batch jobs until interrupted (the `incubator certificates worker` command)."""
    from . import rendering
    _set_worker_app(app)
    with app.app_context():
        rendering.pool()  # start the rendering processes now, from a warm process
        recover(at_start=True)
    consumer = queue(app).create_consumer(workers=workers, worker_type="thread")
    consumer.run()
