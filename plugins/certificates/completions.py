"""结业证书 as the academy's completions arrive (`incubator_enrolment_completed`): a few at once, the
rest handed to the queue worker together.

The academy fires the hook once per trainee — 500 times in a row when a class of 500 is closed. One
PDF document per certificate would take a minute of the request; so the first few of an app context
(a request, a command) are issued at once, and when it ends (`queue_pending_completions`, the
app-context teardown registered in __init__.py) the rest go to the worker as ONE task,
`certificates.completions`, which issues them in groups (`issue_deferred`). In immediate mode
(tests) that task runs there and then, and `incubator demo` issues them itself (its data whole
without a worker). If the queue cannot take the task, the completions stay committed and the
offering's page (为全部结业学员颁发证书) issues what is missing.
"""
from __future__ import annotations

import logging

from flask import g
from sqlalchemy import select

from incubator.errors import NotFound
from incubator.extensions import db
from incubator.queue import enqueue

from . import jobs, rendering, services
from .models import Certificate
from .offerings import completed_enrolments
from .specs import completion_spec

log = logging.getLogger(__name__)
INLINE_PER_CONTEXT = 5
TASK = "certificates.completions"


def completion_fired(enrolment) -> None:
    state = g.setdefault("certificates_completions", {"inline": 0, "pending": {}})
    if state["inline"] < INLINE_PER_CONTEXT:
        state["inline"] += 1
        services.issue_for_completion(enrolment)
    else:
        state["pending"].setdefault(enrolment.offering.id, []).append(enrolment.id)


def queue_pending_completions(exc=None) -> None:
    """At the end of an app context: the deferred completions to the worker, as one task (teardown
    handler). Its argument: `[[offering id, [enrolment ids]], …]`."""
    state = g.pop("certificates_completions", None)
    if not state or not state["pending"]:
        return
    pending = [[offering_id, ids] for offering_id, ids in state["pending"].items()]
    if g.get("certificates_demo"):  # `incubator demo`: its data whole when it ends, with no worker yet
        issue_deferred(pending)
        return
    try:
        enqueue(TASK, pending)
    except Exception:  # Redis down, the queue file unwritable…: the completions are committed
        log.exception("deferred completion certificates not queued (the task queue is unavailable): "
                      "issue them from the offering's page; enrolments by offering: %s", pending)


def issue_deferred(pending: list) -> int:
    """The task: issue the certificates of `pending` (`[[offering id, [enrolment ids]], …]`) that
    are still missing, in groups (one document per rendering process). The number issued."""
    try:
        todo = _missing_specs(pending)
        if not todo:
            return 0
        size = rendering.CHUNK * rendering.worker_count()
        executor = rendering.pool({spec.park.name for spec in todo})
        return sum(len(jobs.issue_group(todo[start:start + size], None, executor))
                   for start in range(0, len(todo), size))
    except Exception:  # the completions are committed; the offering page can issue what is missing
        db.session.rollback()
        log.exception("deferred completion certificates not issued; enrolments by offering: %s", pending)
        return 0


def _missing_specs(pending: list) -> list:
    """The specs of the enrolments named that are still completed (their offering says so) and
    have no certificate yet."""
    specs = {}
    for offering_id, ids in pending:
        wanted = set(ids)
        try:
            items = completed_enrolments(offering_id)
        except NotFound:  # the offering is gone
            continue
        for enrolment in items:
            if enrolment.id in wanted:
                spec = completion_spec(enrolment)
                specs.setdefault(spec.subject, spec)
    if not specs:
        return []
    have = set(db.session.scalars(select(Certificate.subject).where(Certificate.subject.in_(list(specs)))))
    return [spec for subject, spec in specs.items() if subject not in have]
