"""The certificates' work on the platform's queue (`incubator.queue`, run by `incubator worker`): an
offering's batch issue, the completions a request or command deferred (completions.py), and, as a
worker starts and then every minute, what a dead worker left — jobs to queue again (jobs.py) and
files half-way out of the staging area (storage.py).

`TASKS` is found by name (the plugin package convention): no hook code. Workers may run on other
machines when the queue is on Redis; they need the same database and a shared `CERTIFICATES_DIR`.
"""
from __future__ import annotations

import logging

from huey import crontab

from incubator.queue import Periodic, Task, enqueue

from . import completions, jobs, rendering, storage

log = logging.getLogger(__name__)


def recover(*, at_start: bool = False) -> list[int]:
    """Queue again the jobs a dead worker left (and those the queue never received); move into
    place the files whose rows were committed. The ids queued."""
    moved, removed = storage.sweep(jobs.lease_seconds())
    if moved or removed:
        log.warning("certificate files: %s moved into place, %s unrecorded removed", moved, removed)
    ids = jobs.resumable(at_start=at_start)
    for job_id in ids:
        log.warning("certificate batch %s: queued again (its worker stopped, or the queue was down)", job_id)
        enqueue_batch(job_id)
    return ids


TASKS = [
    # Retried when the job could not even be claimed (the database away a moment); run_batch itself
    # records a failing batch as failed.
    Task("certificates.batch", jobs.run_batch, retries=3, retry_delay=30),
    Periodic("certificates.recover", recover, crontab(minute="*")),
    Task("certificates.completions", completions.issue_deferred),
]


def enqueue_batch(job_id: int) -> None:
    enqueue("certificates.batch", job_id)


def worker_started() -> None:
    """`incubator worker` starting (`incubator_worker_started`): the rendering processes started now,
    from a warm process, and what a dead worker left taken up again."""
    rendering.pool()
    recover(at_start=True)
