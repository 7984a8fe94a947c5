"""Fixtures: stand-in academy records (the enrolment plugin is not imported) and a tiny provider plugin;
the platform's queue for real (tasks wait for a worker) or down."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from incubator import queue as platform_queue
from incubator.extensions import db
from incubator.hookspecs import hookimpl
from incubator.plugins import registry

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a queue that is down


class FakeAcademy:
    """A test plugin answering `incubator_certificate_completions` like the academy plugin would."""

    def __init__(self):
        self.offerings = {}

    @hookimpl
    def incubator_certificate_completions(self, offering_id):
        return self.offerings.get(offering_id)


@pytest.fixture
def academy(app, network):
    """academy.offering(...) and academy.complete(user, offering) build stand-in records."""
    fake = FakeAcademy()
    pm = registry().pm
    pm.register(fake, name="fake-academy")
    counter = {"enrolment": 1000, "offering": 500}

    def offering(park="fangxing", title="社区参与式治理", code="SQ101", hours=24, start=date(2026, 9, 1),
                 end=date(2026, 11, 20), min_attendance=80, completion_note="", completion_assessment=False,
                 **course_fields):
        """A course with the academy's completion rule: an attendance share, a note and whether it
        includes an assessment (front matter `completion: {attendance, note, assessment}`);
        `course_fields` adds attributes a course may grow."""
        counter["offering"] += 1
        park_obj = network["parks"][park]
        course = SimpleNamespace(code=code, title=title, hours=hours, min_attendance=min_attendance,
                                 completion_note=completion_note, completion_assessment=completion_assessment,
                                 **course_fields)
        off = SimpleNamespace(id=counter["offering"], park=park_obj, park_id=park_obj.id, course=course,
                              start_date=start, end_date=end, sessions=[])
        fake.offerings[off.id] = []
        return off

    def complete(user, off, hours=None):
        counter["enrolment"] += 1
        enrolment = SimpleNamespace(id=counter["enrolment"], user=user, offering=off,
                                    hours=hours if hours is not None else off.course.hours,
                                    completed_at=datetime(2026, 11, 20, 16, 0))
        fake.offerings[off.id].append(enrolment)
        return enrolment

    def trainee(name, username=None):
        from incubator.users.models import User
        user = User(username=username or f"t{counter['enrolment']}-{len(name)}-{abs(hash(name)) % 100000}",
                    name=name, role="trainee")
        user.set_password("demo12345")
        db.session.add(user)
        db.session.commit()
        return user

    yield SimpleNamespace(offering=offering, complete=complete, trainee=trainee, fake=fake)
    pm.unregister(fake)


@pytest.fixture
def fire_completed(app):
    """Fire `incubator_enrolment_completed` as the academy plugin does after committing a completion."""
    def _fire(enrolment):
        registry().pm.hook.incubator_enrolment_completed(enrolment=enrolment)
    return _fire


def swap_queue(app, huey):
    """Put `huey` in place of the app's queue; returns a function putting the previous one back."""
    saved = platform_queue.queue(app)  # (built now if need be, to be put back)
    app.extensions["incubator_queue"] = huey

    def restore():
        app.extensions["incubator_queue"] = saved
    return restore


@pytest.fixture
def queued(app):
    """The platform's queue for real (SQLite, not immediate): tasks wait for a worker. A test runs
    one as a worker would: `queued.execute(queued.dequeue())`."""
    huey = platform_queue.build(app, url="", immediate=False)
    huey.flush()
    restore = swap_queue(app, huey)
    yield huey
    huey.flush()
    restore()


@pytest.fixture
def queue_down(app):
    """The platform's queue on a Redis that does not answer, until `queue_down.restore()` (or the
    test's end) puts the usual one back."""
    restore = swap_queue(app, platform_queue.build(app, url=UNREACHABLE_REDIS, immediate=False))
    state = SimpleNamespace(restored=False)

    def restore_once():
        if not state.restored:
            state.restored = True
            restore()
    state.restore = restore_once
    yield state
    restore_once()
