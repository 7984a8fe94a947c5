"""The platform's one task queue (huey) and its worker, `incubator worker`.

Tasks come from the core and from plugins (the `incubator_tasks` hook): each is a `Task` or a
`Periodic`, a plain function that runs inside an application context — the caller's in immediate
mode, the worker's own app otherwise. Code hands work over with `enqueue(name, *args)`, or with
`enqueue_after_commit` from inside a `transaction()` so that the worker finds the rows committed.

Storage: `SqliteHuey` in `<instance>/queue.db` by default (embedded, one machine); `RedisHuey` when
`INCUBATOR_QUEUE_URL` (config `QUEUE_URL`, falling back to `INCUBATOR_REDIS_URL`) is set, so workers
can run on other machines. With `QUEUE_IMMEDIATE` (the default under TESTING) a task runs at once,
in the caller. Periodic tasks are scheduled in UTC by huey and decide the district's day themselves
(`incubator.dates.today`).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey

log = logging.getLogger(__name__)
QUEUE_NAME = "incubator"
_worker_app = None  # the app a worker process runs its tasks in


@dataclass(frozen=True)
class Task:
    """A function the queue runs when asked (`enqueue(name, …)`); arguments must be JSON-like."""
    name: str
    function: object
    retries: int = 0
    retry_delay: int = 30


@dataclass(frozen=True)
class Periodic:
    """A function the worker runs on a schedule: `schedule` is a `huey.crontab(...)` (UTC)."""
    name: str
    function: object
    schedule: object = field(repr=False)


def build(app, *, url: str | None = None, immediate: bool | None = None):
    """A huey instance for `app`'s configuration with every task of the core and the plugins."""
    url = url if url is not None else app.config.get("QUEUE_URL")
    immediate = app.config.get("QUEUE_IMMEDIATE", app.testing) if immediate is None else immediate
    if url:
        huey = RedisHuey(QUEUE_NAME, url=url, immediate=immediate, results=False)
    else:
        huey = SqliteHuey(QUEUE_NAME, filename=os.path.join(app.instance_path, "queue.db"),
                          immediate=immediate, results=False)
    huey.incubator_tasks = {}
    for item in declared(app):
        if isinstance(item, Periodic):
            huey.periodic_task(item.schedule, name=item.name)(_in_app(item.function))
        else:
            retries = {} if immediate else {"retries": item.retries, "retry_delay": item.retry_delay}
            huey.incubator_tasks[item.name] = huey.task(name=item.name, **retries)(_in_app(item.function))
    return huey


def declared(app) -> list:
    registry = app.extensions["incubator_plugins"]
    return [item for items in registry.call_each("incubator_tasks") for item in items or ()]


def queue(app=None):
    """The app's huey instance (built on first use)."""
    app = app or current_app._get_current_object()
    if "incubator_queue" not in app.extensions:
        app.extensions["incubator_queue"] = build(app)
    return app.extensions["incubator_queue"]


def enqueue(name: str, *args) -> None:
    """Hand `name(*args)` to the worker (or run it now, in immediate mode)."""
    queue().incubator_tasks[name](*args)


def enqueue_after_commit(name: str, *args) -> None:
    """`enqueue` once the enclosing transaction has committed (at once outside of one)."""
    from .database import after_commit
    after_commit(lambda: enqueue(name, *args))


def _in_app(function):
    def run(*args):
        if has_app_context():  # immediate mode: inside the request or command that queued it
            return function(*args)
        app = _worker_app or _set_worker_app(_create_app())
        with app.app_context():
            try:
                return function(*args)
            finally:
                from .extensions import db
                db.session.remove()
    run.__name__ = getattr(function, "__name__", "task")
    return run


def _create_app():
    from . import create_app
    return create_app()


def _set_worker_app(app):
    global _worker_app
    _worker_app = app
    return app


def run_worker(app, workers: int = 2) -> None:
    """Consume tasks until interrupted (`incubator worker`): first the plugins' start-up work
    (`incubator_worker_started`: resume what a dead worker left), then the queue."""
    _set_worker_app(app)
    with app.app_context():
        app.extensions["incubator_plugins"].call_each("incubator_worker_started")
    consumer = queue(app).create_consumer(workers=workers, worker_type="thread")
    consumer.run()
